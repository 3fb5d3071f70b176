"""A status change that leaves the contact's last-modified time alone is read by the sweep."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
import responses

from connectors.hubspot import HubSpotConnector, HubSpotOptions
from connectors.hubspot.options import DEFAULTS
from sync.store import Store
from tests.fixtures.hubspot.fake_hubspot import T0, FakeHubSpot
from tests.fixtures.hubspot.harness import TOKEN, FakeClock, pull_into
from tests.test_hubspot_incremental import NO_CHANGE_CALLS, REREAD_CALLS, populate_settled

N = 250


def at(now: datetime, options: HubSpotOptions = DEFAULTS) -> HubSpotConnector:
    """A connector whose pull starts at `now`."""
    clock = FakeClock()
    return HubSpotConnector(
        TOKEN, requests.Session(), options=options, sleep=clock.sleep, monotonic=clock, now=now
    )


def unsubscribe(fake: FakeHubSpot, email: str, when: datetime) -> None:
    """What an unsubscribe link does: a new status for the address, the contact untouched."""
    fake.statuses[email] = [
        {
            "channel": "EMAIL",
            "status": "UNSUBSCRIBED",
            "subscriptionId": 1001,
            "subscriptionName": "Newsletter",
            "subscriberIdString": email,
            "source": "SOURCE_UNSUBSCRIBE_LINK",
            "timestamp": when.isoformat().replace("+00:00", "Z"),
        }
    ]


@pytest.mark.parametrize(
    ("days_later", "sweep_calls", "events"),
    [(3, 0, 0), (7, 2 * 3, 1)],
    ids=["before-the-sweep", "sweep-due"],
)
@responses.activate
def test_an_unsubscription_that_leaves_the_contact_alone_is_read_by_the_sweep(
    tmp_path: Path, days_later: int, sweep_calls: int, events: int
) -> None:
    """Every 7 days the N contacts are listed again, with their statuses: twice ⌈N/100⌉ calls."""
    fake = FakeHubSpot.stock()
    populate_settled(fake, N)
    fake.register()
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, at(T0))
        unsubscribe(fake, "c42@example.com", T0 + timedelta(days=1))
        start = len(responses.calls)
        pull_into(store, at(T0 + timedelta(days=days_later)))
        stored = [e for e in store.load_dataset().subscriptions if e.contact_id == "42"]
    assert len(responses.calls) - start == NO_CHANGE_CALLS + REREAD_CALLS + sweep_calls
    assert [(e.action, e.list) for e in stored] == [("unsubscribe", "Newsletter")] * events


@responses.activate
def test_a_sweep_restarts_its_count_and_the_option_sets_its_period(tmp_path: Path) -> None:
    """After a sweep the next is `subscription_sweep_days` later; a first pull counts as one."""
    fake = FakeHubSpot.stock()
    populate_settled(fake, 5)
    fake.register()
    options = HubSpotOptions(subscription_sweep_days=2)
    contacts = "/crm/v3/objects/contacts?"
    with Store.open(tmp_path / "store.db") as store:
        listed = []
        for day in (0, 1, 2, 3, 4):
            source = at(T0 + timedelta(days=day), options)
            start = len(responses.calls)
            pull_into(store, source)
            urls = [c.request.url or "" for c in list(responses.calls)[start:]]
            listed.append(sum(contacts in u and "archived=false" in u for u in urls))
    assert listed == [1, 0, 1, 0, 1]
