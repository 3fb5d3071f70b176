"""`status` says how far behind now the newest change in the store is, whatever the clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.base import Page
from sync.status import describe_newest
from sync.store import Store

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("newest", "expected"),
    [
        (
            NOW - timedelta(hours=3, minutes=2),
            "newest change 2026-11-27 05:58 UTC (3 h 2 min before now)",
        ),
        (NOW - timedelta(days=14), "newest change 2026-11-13 09:00 UTC (14 d 0 min before now)"),
        (
            NOW + timedelta(minutes=40),
            "newest change 2026-11-27 09:40 UTC (the machine's clock is behind the CRM's by "
            "40 min)",
        ),
    ],
    ids=["hours", "clock-ahead", "clock-behind"],
)
def test_the_newest_change_is_told_against_now(newest: datetime, expected: str) -> None:
    """The gap is never negative: a change after now names the clock that is behind."""
    assert describe_newest(newest, NOW) == expected


def test_the_store_reads_the_newest_change_of_each_source(tmp_path: Path) -> None:
    """The latest `newest` over a source's cursors; cursors without one count for nothing."""
    cursors = {
        ("hubspot", "deals"): {"mode": "done", "newest": "2026-11-20T10:00:00+00:00"},
        ("hubspot", "tickets"): {"mode": "done", "newest": "2026-11-21T10:00:00+00:00"},
        ("hubspot", "owners"): {"mode": "done"},
        ("other", "contacts"): {"since": 1},
    }
    with Store.open(tmp_path / "store.db") as store:
        for (source, stream), cursor in cursors.items():
            page = Page(stream, "deal", cursor=json.dumps(cursor))
            store.commit_page(source, page, synced_at=NOW)
        found = store.newest_changes()
    assert found == {"hubspot": datetime(2026, 11, 21, 10, 0, tzinfo=UTC)}
