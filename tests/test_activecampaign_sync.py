"""The ActiveCampaign connector against a fake account: what it stores, and in how many calls."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import responses

from connectors.activecampaign.context import store_lookup
from connectors.schema import Contact, Deal, StageVisit, SubscriptionEvent
from sync.pull import PullError, PullReport, pull
from sync.store import Store
from tests.fixtures.activecampaign.fake import NOW, FakeAccount, connector, deal_rows

SOURCE = "activecampaign"
# users, dealGroups, dealStages, fields, lists, dealActivities, dealCustomFieldMeta, campaigns
REFERENCE_CALLS = 8


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


def _pull(store: Store, *, now: datetime = NOW, full: bool = False, **kw: Any) -> PullReport:
    source = connector(now=now, lookup=store_lookup(store, SOURCE), **kw)
    return pull(store, [source], full=full, now=lambda: now)


def _deal(store: Store, deal_id: str) -> Deal:
    found = store.record(SOURCE, "deal", deal_id)
    assert isinstance(found, Deal), f"deal {deal_id} is not stored"
    return found


def _paths(account: FakeAccount) -> list[str]:
    return [path for path, _ in account.requests]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_a_first_sync_stores_every_object(account: FakeAccount, store: Store) -> None:
    """Users, pipelines and stages, contacts, list events and deals all reach the store."""
    report = _pull(store)
    counts = {kind: c.stored for kind, c in report.source(SOURCE).kinds.items()}
    assert counts == {"owner": 2, "stage": 5, "contact": 4, "subscription": 4, "deal": 4}
    data = store.load_dataset()
    assert {o.name for o in data.owners} == {"Ada Lovelace", "Grace Hopper"}
    assert {(s.pipeline_label, s.stage_label) for s in data.stages} >= {
        ("Expansion", "Negotiation")
    }


def test_deal_fields_are_normalized(account: FakeAccount, store: Store) -> None:
    """Cents become Decimal, currencies ISO upper case, status codes words, ids references."""
    _pull(store)
    won, lost, open_deal = _deal(store, "101"), _deal(store, "102"), _deal(store, "104")
    assert (won.amount, won.currency, won.status) == (Decimal("12500.00"), "USD", "won")
    assert (lost.amount, lost.currency, lost.status) == (Decimal("4800.00"), "EUR", "lost")
    assert (won.pipeline_id, won.stage_id, won.owner_id, won.contact_id) == ("1", "3", "1", "1")
    assert won.created_at == _at("2026-02-01T10:00:00-06:00")
    assert won.probability == 0.8
    assert (open_deal.status, open_deal.amount, open_deal.owner_id) == (
        "open",
        Decimal("999.00"),
        None,
    )
    assert _deal(store, "103").amount is None, "a value of 0 is no amount"


def test_custom_fields_fill_lost_reason_campaign_kind_and_close_date(
    account: FakeAccount, store: Store
) -> None:
    """Mapped deal fields by title: lost reason, campaign (an id names the email campaign),
    expected close date, and upsells by pipeline or by field."""
    _pull(store)
    won, lost, seats, addon = (_deal(store, i) for i in ("101", "102", "103", "104"))
    assert lost.lost_reason == "Price"
    assert won.lost_reason is None
    assert (won.campaign, lost.campaign) == ("7", "Trade fair"), "the field's value is stored"
    campaigns = {deal.id: deal.campaign for deal in store.load_dataset().deals}
    assert (campaigns["101"], campaigns["102"]) == ("Spring Launch", "Trade fair")
    assert seats.expected_close_at == datetime(2026, 12, 15, tzinfo=UTC)
    assert (seats.kind, addon.kind) == ("new", "upsell"), "a deal's own kind, by its field"
    kinds = {deal.id: deal.kind for deal in store.load_dataset().deals}
    assert [kinds[i] for i in ("101", "102", "103", "104")] == ["new", "new", "upsell", "upsell"]


def test_contacts_get_source_and_churn_date_from_custom_fields(
    account: FakeAccount, store: Store
) -> None:
    """A contact's creation is read in UTC; source and churn date come from its fields."""
    _pull(store)
    ada, bob = store.record(SOURCE, "contact", "1"), store.record(SOURCE, "contact", "2")
    assert ada == Contact(
        SOURCE, "1", datetime(2026, 1, 5, 15, tzinfo=UTC), "ada@client.example", "Webinar"
    )
    assert isinstance(bob, Contact)
    assert (bob.lead_source, bob.churned_at) == ("Ads", datetime(2026, 9, 30, tzinfo=UTC))
    assert _deal(store, "102").lead_source is None, "a deal has no source of its own"
    (loaded,) = [deal for deal in store.load_dataset().deals if deal.id == "102"]
    assert loaded.lead_source == "Ads", "a deal's source is its contact's"


def test_list_memberships_become_subscribe_and_unsubscribe_events(
    account: FakeAccount, store: Store
) -> None:
    """Subscribed members joined at `sdate`; unsubscribed ones also left at `udate`."""
    _pull(store)
    events = {(e.contact_id, e.list, e.action, e.at) for e in store.load_dataset().subscriptions}
    assert events == {
        ("1", "Newsletter", "subscribe", _at("2026-01-05T09:05:00-06:00")),
        ("2", "Newsletter", "subscribe", _at("2026-01-10T08:35:00-06:00")),
        ("2", "Newsletter", "unsubscribe", _at("2026-06-01T11:00:00-05:00")),
        ("2", "Product updates", "subscribe", datetime(2026, 1, 10, 8, 40, tzinfo=UTC)),
    }


def test_a_first_sync_dates_closes_and_stages_from_activities(
    account: FakeAccount, store: Store
) -> None:
    """Where the activity log shows moves and the win, they are used; elsewhere `mdate`."""
    _pull(store)
    won, lost = _deal(store, "101"), _deal(store, "102")
    assert won.closed_at == _at("2026-03-20T15:30:00-05:00")
    assert [(v.stage_id, v.exited_at) for v in won.stage_history] == [
        ("1", _at("2026-02-10T10:00:00-06:00")),
        ("2", _at("2026-03-01T10:00:00-06:00")),
        ("3", won.closed_at),
    ]
    assert lost.closed_at == _at("2026-05-04T12:00:00-05:00"), "closed before the first sync"
    assert lost.stage_history == (), "it was in a later stage, since an unknown time"
    assert _deal(store, "104").stage_history == (StageVisit("1", _deal(store, "104").created_at),)


def test_without_the_activity_log_closes_fall_back_to_mdate(
    account: FakeAccount, store: Store
) -> None:
    """With history_from_activities off, the log is not read and a won deal closes at `mdate`."""
    _pull(store, history_from_activities=False)
    assert "/dealActivities" not in _paths(account)
    assert _deal(store, "101").closed_at == _at("2026-06-15T16:00:00-05:00")


def test_an_unreadable_activity_log_does_not_stop_the_sync(
    account: FakeAccount, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """A key that may not read the log still syncs every deal, with the fallback dates."""
    account.fail("/dealActivities", status=404)
    _pull(store)
    assert _deal(store, "101").closed_at == _at("2026-06-15T16:00:00-05:00")
    assert "deal activity log cannot be read" in caplog.text


def test_bad_records_are_skipped_with_a_warning_naming_them(
    account: FakeAccount, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """A garbled contact, a membership, a deal without pipeline permission and a bad status
    are each skipped with a warning; everything else is stored."""
    with caplog.at_level(logging.WARNING):
        _pull(store)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("contact '5' skipped: cdate" in w for w in warnings)
    assert any("list membership '5' skipped: sdate" in w for w in warnings)
    assert any("deal '2' skipped: isDisabled" in w for w in warnings)
    assert any(
        "deal '105' skipped: status: must be 0 (open), 1 (won) or 2 (lost)" in w for w in warnings
    )
    assert store.record(SOURCE, "contact", "6") is not None, "a numeric id is read as text"


@pytest.mark.parametrize("extra", [0, 294, 994], ids=["fixtures-only", "300-deals", "1000-deals"])
def test_a_full_sync_of_n_deals_takes_n_over_100_calls_plus_a_constant(
    account: FakeAccount, store: Store, extra: int
) -> None:
    """Deals cost one call per 100 (rounded up); everything else is a fixed handful of calls."""
    account.deals.extend(deal_rows(extra))
    deals = len(account.deals)
    _pull(store)
    contact_pages = 1
    assert len(account.requests) == REFERENCE_CALLS + contact_pages + math.ceil(deals / 100)
    assert store.counts()["deals"] == 4 + extra


def test_pages_and_cursors_follow_the_page_size(account: FakeAccount, store: Store) -> None:
    """With 2 records a page, contacts go by `id_greater` and deals by `offset`, two at a time."""
    _pull(store, page_size=2)
    contacts = [q["id_greater"] for path, q in account.requests if path == "/contacts"]
    deals = [q["offset"] for path, q in account.requests if path == "/deals"]
    assert contacts == ["0", "2", "4", "6"], "a full last page needs one more call to end"
    assert deals == ["0", "2", "4"], "meta.total ends the deals without an empty page"
    assert store.counts()["deals"] == 4


def _second_day(account: FakeAccount) -> datetime:
    """Changes in the account during the day after the first sync."""
    account.update_deal("103", "2026-11-27T10:00:00-06:00", stage="5")
    account.update_deal("104", "2026-11-27T11:00:00-06:00", status="1")
    account.deals.extend(deal_rows(1, start=500, month=11))
    account.deals[-1].update(cdate="2026-11-27T09:00:00+00:00", mdate="2026-11-27T09:00:00+00:00")
    return NOW + timedelta(days=1)


def test_a_second_sync_reads_only_what_changed(account: FakeAccount, store: Store) -> None:
    """The next sync asks for what was updated since a day before the newest change read:
    deal 105's `mdate` (2026-07-06) and Bob's `udate` (2026-06-01)."""
    _pull(store)
    first = len(account.requests)
    later = _second_day(account)
    report = _pull(store, now=later)
    second = account.requests[first:]
    deals = [q for path, q in second if path == "/deals"]
    assert [q["filters[updated_after]"] for q in deals] == ["2026-07-05"]
    assert all(
        q.get("filters[updated_after]") == "2026-05-31" for p, q in second if p == "/contacts"
    )
    assert "/dealActivities" not in [path for path, _ in second]
    assert report.source(SOURCE).kinds["deal"].stored == 3
    assert [path for path, _ in second] == [
        "/users",
        "/dealGroups",
        "/dealStages",
        "/fields",
        "/contacts",
        "/lists",
        "/dealCustomFieldMeta",
        "/campaigns",
        "/deals",
    ], "the reference data, then one page each of what changed; the newest change is read "
    "again, Bob's list memberships with it name their lists, and a renamed campaign would "
    "reach the deals"
    assert store.counts()["deals"] == 5


def test_changes_the_sync_observes_are_recorded(account: FakeAccount, store: Store) -> None:
    """A stage move and a win seen by the second sync are dated by the deal's `mdate`."""
    _pull(store)
    _pull(store, now=_second_day(account))
    moved, won = _deal(store, "103"), _deal(store, "104")
    assert moved.stage_history == (
        StageVisit("4", moved.created_at, _at("2026-11-27T10:00:00-06:00")),
        StageVisit("5", _at("2026-11-27T10:00:00-06:00")),
    )
    assert won.closed_at == _at("2026-11-27T11:00:00-06:00")
    assert won.stage_history[-1].exited_at == won.closed_at


def test_a_closed_deal_edited_again_keeps_its_close_date(
    account: FakeAccount, store: Store
) -> None:
    """Editing a won deal later moves its `mdate` but not the close date stored before."""
    _pull(store)
    closed = _deal(store, "101").closed_at
    account.update_deal("101", "2026-11-28T08:00:00-06:00", title="Acme rollout (renewed)")
    _pull(store, now=NOW + timedelta(days=2))
    assert _deal(store, "101").name == "Acme rollout (renewed)"
    assert _deal(store, "101").closed_at == closed


def test_reading_the_same_changes_twice_stores_them_once(
    account: FakeAccount, store: Store
) -> None:
    """Overlapping incremental syncs upsert: counts and histories do not change."""
    _pull(store)
    later = _second_day(account)
    _pull(store, now=later)
    before = store.load_dataset()
    _pull(store, now=later + timedelta(hours=1))
    after = store.load_dataset()
    assert store.counts()["deals"] == 5
    assert sorted(before.deals, key=lambda d: d.id) == sorted(after.deals, key=lambda d: d.id)
    assert len(after.subscriptions) == len(before.subscriptions)


def test_deals_deleted_in_activecampaign_are_found_by_the_sweep(
    account: FakeAccount, store: Store
) -> None:
    """After `sweep_days`, every deal id is read again; stored deals no longer there are deleted."""
    _pull(store)
    account.delete_deal("102")
    _pull(store, now=NOW + timedelta(days=1))
    assert store.record(SOURCE, "deal", "102") is not None, "no sweep is due yet"
    report = _pull(store, now=NOW + timedelta(days=8))
    assert store.record(SOURCE, "deal", "102") is None
    assert report.source(SOURCE).kinds["deal"].deleted == 1
    sweeps = [
        q for path, q in account.requests if path == "/deals" and "filters[updated_after]" not in q
    ]
    assert len(sweeps) == 2, "the first sync and the sweep read every deal"


def test_the_sweep_adds_deals_that_no_pass_returned(account: FakeAccount, store: Store) -> None:
    """A deal missing from the store (unchanged since before the last pass) is added by a sweep."""
    _pull(store)
    (old,) = deal_rows(1, start=700, month=1)
    account.deals.append(old)
    _pull(store, now=NOW + timedelta(days=8))
    assert _deal(store, "700").created_at.month == 1


@pytest.mark.parametrize(
    ("deleted", "found_at_once"),
    [("104", True), ("101", False)],
    ids=["not-yet-read", "already-read"],
)
def test_deals_deleted_during_the_sweep(
    account: FakeAccount, store: Store, deleted: str, found_at_once: bool
) -> None:
    """A deal deleted mid-sweep before it was read is found at once (the offset steps back);
    one deleted after it was read leaves the ids unproven, so nothing is marked deleted and
    the next pull sweeps again."""
    _pull(store, page_size=2)

    def delete_during_sweep(path: str, params: dict[str, str]) -> None:
        if path == "/deals" and "filters[updated_after]" not in params and params["offset"] == "2":
            account.delete_deal(deleted)

    account.before = delete_during_sweep
    _pull(store, now=NOW + timedelta(days=8), page_size=2)
    assert (store.record(SOURCE, "deal", deleted) is None) is found_at_once
    account.before = None
    _pull(store, now=NOW + timedelta(days=9), page_size=2)
    assert store.record(SOURCE, "deal", deleted) is None


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "headers": {"Retry-After": "2"}},
        {"status": 503},
        {"status": 200, "body": b""},
        {"status": 200, "body": b'{"deals": [{"id": "101", "ti'},
    ],
    ids=["429", "503", "empty-body", "truncated-json"],
)
def test_faults_mid_sync_are_retried_and_the_sync_completes(
    account: FakeAccount, store: Store, fault: dict[str, Any]
) -> None:
    """A rate limit, an outage or a garbled body on the deals page is retried; all is stored."""
    account.fail("/deals", **fault)
    _pull(store)
    assert store.counts()["deals"] == 4


def test_a_lasting_outage_fails_the_source_and_keeps_what_was_committed(
    account: FakeAccount, store: Store
) -> None:
    """When retries run out the pull reports the failure; pages before it stay stored."""
    for _ in range(6):
        account.fail("/deals", status=503)
    with pytest.raises(
        PullError, match="activecampaign: RetriableError: ActiveCampaign GET /deals: 503"
    ):
        _pull(store)
    assert store.counts()["contacts"] == 4
    assert store.counts()["deals"] == 0


def test_without_side_loading_the_values_are_read_another_way(
    account: FakeAccount, store: Store
) -> None:
    """If a page comes back without its side-loaded values, they are read whole, once."""
    account.side_load = False
    _pull(store)
    assert _deal(store, "102").lost_reason == "Price"
    contact = store.record(SOURCE, "contact", "2")
    assert isinstance(contact, Contact)
    assert contact.lead_source == "Ads"
    paths = _paths(account)
    assert paths.count("/dealCustomFieldData") == 1
    assert paths.count("/fieldValues") == 2, "one read per mapped contact field"


def test_a_contact_deleted_in_activecampaign_is_marked_deleted(
    account: FakeAccount, store: Store
) -> None:
    """A contact the API lists as deleted leaves the store's live records."""
    account.contacts[3]["deleted"] = "0"
    _pull(store)
    assert store.record(SOURCE, "contact", "4") is not None
    account.contacts[3].update(deleted="1", udate="2026-11-27T08:00:00-06:00")
    _pull(store, now=NOW + timedelta(days=1))
    assert store.record(SOURCE, "contact", "4") is None


def test_events_keep_their_own_keys(account: FakeAccount, store: Store) -> None:
    """A resubscription adds a subscribe event; earlier events stay, so history is kept."""
    _pull(store)
    account.memberships[1].update(status="1", sdate="2026-11-27T09:00:00-06:00", udate=None)
    account.contacts[1]["udate"] = "2026-11-27T09:00:00-06:00"
    _pull(store, now=NOW + timedelta(days=1))
    bob = [
        e
        for e in store.load_dataset().subscriptions
        if e.contact_id == "2" and e.list == "Newsletter"
    ]
    assert [e.action for e in sorted(bob, key=lambda e: e.at)] == [
        "subscribe",
        "unsubscribe",
        "subscribe",
    ]
    assert all(isinstance(e, SubscriptionEvent) for e in bob)
