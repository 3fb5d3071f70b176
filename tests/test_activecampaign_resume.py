"""Which pulls resume an interrupted ActiveCampaign pull, keeping its users, stages, contacts
pass and activity log, and which read them again (`connectors/activecampaign/resume.py`,
`activity_log.py`).

A pull is interrupted by committing only its first pages, as a kill between two commits
leaves the store; the account then changes (a user renamed, a stage retitled) before the
next pull.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from itertools import islice
from pathlib import Path

import pytest

from connectors.activecampaign.activity_log import PREFIX
from connectors.activecampaign.context import store_lookup
from connectors.resume import FRESH
from sync.pull import pull
from sync.store import Store
from tests.fixtures.activecampaign.fake import NOW, FakeAccount, FakeSession, connector, deal_rows

PAGE_SIZE = 20
# the users' page and closing page, the stages, the contacts and their events, the campaign
# list, the deals pass's start, then three pages of the activity log: the kill falls inside
# the log
INTERRUPTED_AFTER = 10


def _account() -> FakeAccount:
    fake = FakeAccount.from_fixtures()
    fake.deals.extend(deal_rows(60))
    template = fake.activities[1]
    fake.activities.extend({**template, "id": str(100 + n)} for n in range(100))
    return fake


def _pull(store: Store, fake: FakeAccount, later: timedelta, *, full: bool = False) -> None:
    at = NOW + later
    lookup = store_lookup(store, "activecampaign")
    source = connector(FakeSession(fake), now=at, lookup=lookup, page_size=PAGE_SIZE)
    pull(store, [source], full=full, now=lambda: at)


def _interrupted(store: Store) -> None:
    """The first pages of a pull begun at `NOW`, committed as a pull would."""
    lookup = store_lookup(store, "activecampaign")
    source = connector(FakeSession(_account()), lookup=lookup, page_size=PAGE_SIZE)
    for page in islice(source.pull(store.cursors(source.name)), INTERRUPTED_AFTER):
        store.commit_page(source.name, page, synced_at=NOW)


def _renamed() -> FakeAccount:
    fake = _account()
    fake.collections["users"][0] = {**fake.collections["users"][0], "firstName": "Renamed"}
    fake.collections["dealStages"][0] = {**fake.collections["dealStages"][0], "title": "Retitled"}
    return fake


def _names(db_path: Path) -> tuple[set[str], set[str]]:
    with sqlite3.connect(db_path) as db:
        owners = {row[0] for row in db.execute("SELECT name FROM owners WHERE deleted = 0")}
        stages = {row[0] for row in db.execute("SELECT stage_label FROM stages WHERE deleted = 0")}
    return owners, stages


def _reads(fake: FakeAccount, *paths: str) -> list[str]:
    return [path for path, _ in fake.requests if path in paths]


def test_a_resume_within_the_hour_reads_on_from_the_activity_log_it_kept(tmp_path: Path) -> None:
    """No users, stages or contacts again, and the log from the page after the last kept."""
    db_path = tmp_path / "store.db"
    with Store.open(db_path) as store:
        _interrupted(store)
        fake = _renamed()
        _pull(store, fake, timedelta(minutes=5))
    assert _reads(fake, "/users", "/dealGroups", "/dealStages", "/contacts") == []
    offsets = [query["offset"] for path, query in fake.requests if path == "/dealActivities"]
    assert offsets[0] == str(3 * PAGE_SIZE)
    assert "Ada Lovelace" in _names(db_path)[0]


def test_a_finished_full_pass_empties_the_activity_log_it_kept(tmp_path: Path) -> None:
    """The log's changes are in the deals' payloads once the pass is done."""
    with Store.open(tmp_path / "store.db") as store:
        _interrupted(store)
        _pull(store, _account(), timedelta(minutes=5))
        kept = {k: v for k, v in store.cursors("activecampaign").items() if k.startswith(PREFIX)}
    assert len(kept) == (len(_account().activities) + PAGE_SIZE - 1) // PAGE_SIZE + 1
    assert set(kept.values()) == {"{}"}


@pytest.mark.parametrize(
    ("later", "finished", "full"),
    [
        (FRESH + timedelta(minutes=1), False, False),
        (timedelta(days=1), True, False),
        (timedelta(minutes=5), False, True),
    ],
    ids=["interrupted-over-an-hour-ago", "next-day-after-a-finished-pull", "full"],
)
def test_a_pull_that_resumes_nothing_reads_users_and_stages_again(
    tmp_path: Path, later: timedelta, finished: bool, full: bool
) -> None:
    """A user renamed and a stage retitled since reach the store."""
    db_path = tmp_path / "store.db"
    with Store.open(db_path) as store:
        if finished:
            _pull(store, _account(), timedelta(0))
        else:
            _interrupted(store)
        fake = _renamed()
        _pull(store, fake, later, full=full)
    assert _reads(fake, "/users", "/dealGroups", "/dealStages") == [
        "/users",
        "/dealGroups",
        "/dealStages",
    ]
    owners, stages = _names(db_path)
    assert ("Renamed Lovelace" in owners, "Retitled" in stages) == (True, True)


def test_a_log_that_could_not_be_read_is_not_read_again_by_the_resume(tmp_path: Path) -> None:
    """The pass went on without the log; its resume does too, so every deal is dated alike."""
    fake = _account()
    fake.fail("/dealActivities", status=404)
    with Store.open(tmp_path / "store.db") as store:
        lookup = store_lookup(store, "activecampaign")
        source = connector(FakeSession(fake), lookup=lookup, page_size=PAGE_SIZE)
        for page in islice(source.pull(store.cursors(source.name)), INTERRUPTED_AFTER):
            store.commit_page(source.name, page, synced_at=NOW)
        resumed = _account()
        _pull(store, resumed, timedelta(minutes=5))
    assert _reads(resumed, "/dealActivities") == []
