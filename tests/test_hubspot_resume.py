"""Which pulls resume an interrupted HubSpot pull, keeping its owners and pipelines, and
which read them again (`connectors/hubspot/resume.py`).

A pull is interrupted by committing only its first pages, as a kill between two commits
leaves the store; the account then changes (an owner renamed, a pipeline stage relabelled)
before the next pull.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

import pytest

from connectors.hubspot import HubSpotConnector, HubSpotOptions
from connectors.hubspot.endpoints import OWNERS_PATH
from connectors.resume import FRESH
from sync.pull import pull
from sync.store import Store
from tests.fixtures.hubspot.fake_hubspot import FakeHubSpot
from tests.fixtures.hubspot.harness import TOKEN, FakeClock
from tests.fixtures.hubspot.session import FakeSession

STARTED = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
OPTIONS = HubSpotOptions(email_subscriptions=False, nps_surveys=False)
# the owners' two pages and their closing page, the stages page, two pages of contacts
INTERRUPTED_AFTER = 6


def _account() -> FakeHubSpot:
    fake = FakeHubSpot.stock()
    for i in range(1, 301):
        fake.add("contacts", i, {"email": f"c{i}@example.com"})
    return fake


def _connector(fake: FakeHubSpot, now: datetime) -> HubSpotConnector:
    clock = FakeClock()
    return HubSpotConnector(
        TOKEN, FakeSession(fake), options=OPTIONS, sleep=clock.sleep, monotonic=clock, now=now
    )


def _interrupted(store: Store, fake: FakeHubSpot) -> None:
    """The first pages of a pull begun at `STARTED`, committed as a pull would."""
    source = _connector(fake, STARTED)
    for page in islice(source.pull(store.cursors(source.name)), INTERRUPTED_AFTER):
        store.commit_page(source.name, page, synced_at=STARTED)


def _renamed(fake: FakeHubSpot) -> FakeHubSpot:
    fake.owners[0] = {**fake.owners[0], "firstName": "Renamed"}
    stage = fake.deal_pipelines["results"][0]["stages"][0]
    fake.deal_pipelines["results"][0]["stages"][0] = {**stage, "label": "Relabelled"}
    return fake


def _reference_reads(fake: FakeHubSpot) -> list[str]:
    """The owners and pipelines calls, the owners' scope probe among them."""
    return [
        path
        for _, path, _ in fake.requests_at
        if path == OWNERS_PATH or path.startswith("/crm/v3/pipelines/")
    ]


def _names(db_path: Path) -> tuple[set[str], set[str]]:
    with sqlite3.connect(db_path) as db:
        owners = {row[0] for row in db.execute("SELECT name FROM owners WHERE deleted = 0")}
        stages = {row[0] for row in db.execute("SELECT stage_label FROM stages WHERE deleted = 0")}
    return owners, stages


def test_a_resume_within_the_hour_reads_neither_the_scopes_owners_nor_pipelines(
    tmp_path: Path,
) -> None:
    """Resumed five minutes on, the pull goes on with the contacts, and builds what needs
    the pipelines from those the interrupted pull committed."""
    db_path = tmp_path / "store.db"
    with Store.open(db_path) as store:
        _interrupted(store, _account())
        fake = _renamed(_account())
        resumed_at = STARTED + timedelta(minutes=5)
        pull(store, [_connector(fake, resumed_at)], full=False, now=lambda: resumed_at)
    # the contacts' last page and its sweep of archived ones, the (empty) deals and tickets:
    # no probe, no owners, no pipelines
    paths = [path for _, path, _ in fake.requests_at]
    assert paths == [f"/crm/v3/objects/{name}" for name in ("contacts",) * 2 + ("deals", "tickets")]
    assert "Renamed Lovelace" not in _names(db_path)[0]


@pytest.mark.parametrize(
    ("later", "finished", "full"),
    [
        (FRESH + timedelta(minutes=1), False, False),
        (timedelta(days=1), True, False),
        (timedelta(minutes=5), False, True),
    ],
    ids=["interrupted-over-an-hour-ago", "next-day-after-a-finished-pull", "full"],
)
def test_a_pull_that_resumes_nothing_reads_owners_and_pipelines_again(
    tmp_path: Path, later: timedelta, finished: bool, full: bool
) -> None:
    """An owner renamed and a stage relabelled since reach the store."""
    db_path = tmp_path / "store.db"
    with Store.open(db_path) as store:
        if finished:
            pull(store, [_connector(_account(), STARTED)], full=False, now=lambda: STARTED)
        else:
            _interrupted(store, _account())
        fake = _renamed(_account())
        at = STARTED + later
        pull(store, [_connector(fake, at)], full=full, now=lambda: at)
    assert len(_reference_reads(fake)) == 5, "the owners probe, two owners pages, two pipelines"
    owners, stages = _names(db_path)
    assert ("Renamed Lovelace" in owners, "Relabelled" in stages) == (True, True)
