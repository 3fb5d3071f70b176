"""What ActiveCampaign does not flag: the sweep of list memberships and contact field values.

An unsubscription is not documented to move the contact's `udate` (nor is a field value's
change), so the incremental read may never return it; every `contact_sweep_days` every
contact is read again with its memberships and values.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import responses

from connectors.activecampaign.context import store_lookup
from connectors.schema import Contact
from sync.pull import pull
from sync.store import Store
from tests.fixtures.activecampaign.fake import NOW, FakeAccount, connector, load

SOURCE = "activecampaign"
UNSUBSCRIBED = "2026-11-27T09:00:00-06:00"


@pytest.fixture
def account() -> Iterator[FakeAccount]:
    fake = FakeAccount.from_fixtures()
    with responses.RequestsMock() as mock:
        fake.register(mock)
        yield fake


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.db") as opened:
        yield opened


def _pull(store: Store, now: datetime, **kw: Any) -> None:
    source = connector(now=now, lookup=store_lookup(store, SOURCE), **kw)
    pull(store, [source], full=False, now=lambda: now)


def _unsubscribes(store: Store) -> set[tuple[str, str]]:
    events = store.load_dataset().subscriptions
    return {(e.contact_id, e.list) for e in events if e.action == "unsubscribe"}


def _source(store: Store) -> str | None:
    ada = store.record(SOURCE, "contact", "1")
    assert isinstance(ada, Contact)
    return ada.lead_source


def test_an_unsubscription_that_leaves_udate_alone_is_found_by_the_sweep(
    account: FakeAccount, store: Store
) -> None:
    """Ada leaves the newsletter and her lead source is corrected, her `udate` unchanged: the
    next day's incremental read misses both; the sweep a week after the first sync finds them."""
    _pull(store, NOW)
    account.memberships[0].update(status="2", udate=UNSUBSCRIBED)
    account.field_values[0]["value"] = "Referral"
    _pull(store, NOW + timedelta(days=1))
    assert ("1", "Newsletter") not in _unsubscribes(store)
    assert _source(store) == "Webinar"
    _pull(store, NOW + timedelta(days=7))
    assert ("1", "Newsletter") in _unsubscribes(store)
    assert _source(store) == "Referral"


def _contact_rows(count: int) -> Iterator[dict[str, Any]]:
    template = load("contacts.json")[0]
    for number in range(1000, 1000 + count):
        row = copy.deepcopy(template)
        row.update(id=str(number), email=f"c{number}@client.example")
        yield row


@pytest.mark.parametrize("extra", [0, 294, 994], ids=["fixtures-only", "300", "1000"])
def test_the_sweep_costs_one_call_per_100_contacts(
    account: FakeAccount, store: Store, extra: int
) -> None:
    """The sweep reads every contact once more, 100 a call with their memberships and values,
    and a page short of 100 ends it (one more call when the count is a multiple of 100);
    measured against a sync without it."""
    account.contacts.extend(_contact_rows(extra))
    _pull(store, NOW)

    def contact_calls(now: datetime) -> int:
        before = len(account.requests)
        _pull(store, now)
        return sum(path == "/contacts" for path, _ in account.requests[before:])

    plain = contact_calls(NOW + timedelta(days=1))
    swept = contact_calls(NOW + timedelta(days=7))
    assert swept - plain == len(account.contacts) // 100 + 1


def test_the_sweep_follows_its_setting(account: FakeAccount, store: Store) -> None:
    """With `contact_sweep_days = 2` the sweep runs two days after the first sync, then not
    again until two days after that."""
    _pull(store, NOW, contact_sweep_days=2)
    account.memberships[0].update(status="2", udate=UNSUBSCRIBED)
    _pull(store, NOW + timedelta(days=1), contact_sweep_days=2)
    assert ("1", "Newsletter") not in _unsubscribes(store)
    _pull(store, NOW + timedelta(days=2), contact_sweep_days=2)
    assert ("1", "Newsletter") in _unsubscribes(store)
    before = len(account.requests)
    _pull(store, NOW + timedelta(days=3), contact_sweep_days=2)
    unfiltered = [
        q
        for p, q in account.requests[before:]
        if p == "/contacts" and "filters[updated_after]" not in q
    ]
    assert unfiltered == []
