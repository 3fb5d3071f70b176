"""A sync killed mid-way leaves every deal's versions whole: a page's are all there or none."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from connectors.base import Page, Pulled
from connectors.schema import Deal
from sync.store import Store
from tests.killing import kill_midway, stored

DEALS = 20_000
PAGE_SIZE = 200
# the kill waits for this many pages of new versions, so it lands well inside the sync
KILL_AFTER = DEALS + 5 * PAGE_SIZE
FIRST = datetime(2026, 3, 1, tzinfo=UTC)

SYNC_SCRIPT = """
import sys
from datetime import UTC, datetime
from pathlib import Path

from connectors.base import Page, Pulled
from sync.store import Store
from tests.test_store_versions_killed import DEALS, PAGE_SIZE, deal

with Store.open(Path(sys.argv[1])) as store:
    for first in range(0, DEALS, PAGE_SIZE):
        items = tuple(Pulled(deal(n, "s2"), {}) for n in range(first, first + PAGE_SIZE))
        store.commit_page("crm", Page("deals", "deal", items), synced_at=datetime.now(UTC))
"""


def deal(number: int, stage_id: str) -> Deal:
    return Deal("crm", f"d{number:05}", "p1", stage_id, "open", FIRST)


def test_a_killed_sync_leaves_no_half_written_version(tmp_path: Path) -> None:
    """Killed while storing changed deals, the store holds whole pages of new versions, each
    closing its deal's first one, and a rerun adds exactly the rest."""
    db_path = tmp_path / "store.db"
    with Store.open(db_path) as store:
        items = tuple(Pulled(deal(n, "s1"), {}) for n in range(DEALS))
        store.commit_page("crm", Page("deals", "deal", items), synced_at=FIRST)

    kill_midway(SYNC_SCRIPT, [str(db_path)], db_path, "deal_versions", KILL_AFTER)

    added = stored(db_path, "deal_versions") - DEALS
    assert KILL_AFTER - DEALS <= added < DEALS
    assert added % PAGE_SIZE == 0, "a page's versions were stored in part"
    with sqlite3.connect(db_path) as db:
        moved = db.execute("SELECT count(*) FROM deals WHERE stage_id = 's2'").fetchone()[0]
        current = db.execute(
            "SELECT count(*) FROM deal_versions AS v JOIN deals AS d "
            "ON d.source = v.source AND d.id = v.deal_id "
            "WHERE v.valid_to IS NULL AND v.stage_id = d.stage_id"
        ).fetchone()[0]
        closed = db.execute(
            "SELECT count(*) FROM deal_versions AS a JOIN deal_versions AS b "
            "ON b.source = a.source AND b.deal_id = a.deal_id AND b.valid_from = a.valid_to"
        ).fetchone()[0]
    assert moved == added
    assert current == DEALS, "each deal's one current version holds its stored state"
    assert closed == added, "each new version closes the one before it"

    with Store.open(db_path) as store:
        pages = [
            Page(
                "deals",
                "deal",
                tuple(Pulled(deal(n, "s2"), {}) for n in range(first, first + PAGE_SIZE)),
            )
            for first in range(0, DEALS, PAGE_SIZE)
        ]
        rerun = sum(
            store.commit_page("crm", page, synced_at=datetime.now(UTC)).versions for page in pages
        )
    assert rerun == DEALS - added
    assert stored(db_path, "deal_versions") == 2 * DEALS
