"""A machine whose clock runs two weeks ahead of ActiveCampaign's still finds every change."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses

from connectors.activecampaign.context import store_lookup
from connectors.activecampaign.cursor import EPOCH, Position, plan
from connectors.schema import Contact, Deal
from sync.pull import pull
from sync.store import Store
from tests.fixtures.activecampaign.fake import NOW, FakeAccount, connector

SOURCE = "activecampaign"
# the pulls run on this machine's clock, NOW and after; the account's is two weeks behind
CRM_NOW = NOW - timedelta(days=14)


@pytest.fixture
def account() -> Iterator[FakeAccount]:
    fake = FakeAccount.from_fixtures()
    fake.update_deal("104", CRM_NOW.isoformat())
    fake.contacts[0]["udate"] = CRM_NOW.isoformat()
    with responses.RequestsMock() as mock:
        fake.register(mock)
        yield fake


def _pull(store: Store, now: datetime) -> None:
    source = connector(now=now, lookup=store_lookup(store, SOURCE))
    pull(store, [source], full=False, now=lambda: now)


def test_a_change_dated_before_this_clock_is_still_found(
    account: FakeAccount, tmp_path: Path
) -> None:
    """A deal and a contact changed after the first pull, by the account's clock, are read by
    the next one; status's newest change is the later of the two."""
    changed = CRM_NOW + timedelta(days=1)
    with Store.open(tmp_path / "store.db") as store:
        _pull(store, NOW)
        account.update_deal("103", changed.isoformat(), stage="5")
        account.contacts[0].update(email="ada@new.example", udate=changed.isoformat())
        _pull(store, NOW + timedelta(hours=1))
        deal, contact = store.record(SOURCE, "deal", "103"), store.record(SOURCE, "contact", "1")
        newest = store.newest_changes()
    assert isinstance(deal, Deal) and deal.stage_id == "5"
    assert isinstance(contact, Contact) and contact.email == "ada@new.example"
    assert newest == {SOURCE: changed}


def _done(**fields: object) -> str:
    cursor = {
        "since": None,
        "started": NOW.isoformat(),
        "after": 0,
        "complete": True,
        "swept": None,
        **fields,
    }
    return json.dumps(cursor)


LATER = NOW + timedelta(days=1)


@pytest.mark.parametrize(
    ("cursor", "since"),
    [
        (_done(newest=(CRM_NOW).isoformat()), CRM_NOW),
        (_done(since=CRM_NOW.isoformat(), newest=None), CRM_NOW),
        (_done(newest=None), EPOCH),
        (_done(), NOW),
        (_done(since=CRM_NOW.isoformat()), NOW),
    ],
    ids=["newest", "read-nothing", "never-read", "old-cursor", "old-incremental"],
)
def test_the_next_pass_starts_from_the_newest_change(cursor: str, since: datetime) -> None:
    """From `newest`; a pass that read nothing keeps its start, a stream never read from
    starts at the epoch, and a cursor written before `newest` at its `started`."""
    position = plan(cursor, full=False, now=LATER)
    assert (position.since, position.started) == (since, LATER)


def test_newest_only_moves_forward() -> None:
    """Pages read out of modification order never move `newest` back; unknown times count
    for nothing."""
    start = Position(since=None, started=NOW)
    position = start.seen([CRM_NOW, None]).seen([CRM_NOW - timedelta(days=3)]).seen([])
    assert position.newest == CRM_NOW
    assert Position.decode(position.encode()) == position
    assert position.newest.tzinfo is UTC
