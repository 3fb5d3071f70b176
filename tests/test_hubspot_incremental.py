"""Later HubSpot pulls search for what changed, past the 10,000 cap, and sweep deletions."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import responses

from connectors.hubspot import HubSpotOptions
from sync.store import Store
from tests.fixtures.hubspot.fake_hubspot import T0, FakeHubSpot, modified_property
from tests.fixtures.hubspot.harness import connector, ids, pull_into
from tests.fixtures.hubspot.replies import iso
from tests.test_hubspot_full_sync import CONSTANT_CALLS, populate

# an incremental pull with nothing new: the constant calls, then per object one search and
# one page of archived records
NO_CHANGE_CALLS = CONSTANT_CALLS + 4 * 2
# the search starts at the newest change less the overlap, so it reads that change again:
# one subscription status batch for the contact, one association batch and one history
# batch for the deal
REREAD_CALLS = 3
LATER = T0 + timedelta(hours=1)


def populate_settled(fake: FakeHubSpot, n: int) -> None:
    """`populate`, with record 1 of each object changed last, at T0, two days after the rest."""
    populate(fake, n)
    for object_type, objects in fake.objects.items():
        objects["1"]["properties"][modified_property(object_type)] = iso(T0)
        objects["1"]["updatedAt"] = iso(T0)


def calls_since(start: int, path_part: str = "") -> list[responses.Call]:
    return [c for c in list(responses.calls)[start:] if path_part in (c.request.url or "")]


def search_bodies(start: int, object_type: str) -> list[dict[str, object]]:
    found = calls_since(start, f"/crm/v3/objects/{object_type}/search")
    return [json.loads(call.request.body or b"{}") for call in found]


@pytest.mark.parametrize("n", [10, 500], ids=["10", "500"])
@responses.activate
def test_an_unchanged_account_costs_a_constant_number_of_calls(tmp_path: Path, n: int) -> None:
    """With nothing modified since the last pull, the calls do not grow with the account."""
    fake = FakeHubSpot.stock()
    populate_settled(fake, n)
    fake.register()
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
        before = len(responses.calls)
        report = pull_into(store, connector())
    assert len(responses.calls) - before == NO_CHANGE_CALLS + REREAD_CALLS
    contacts = report.source("hubspot").kinds["contact"]
    assert (contacts.stored, contacts.new, contacts.changed) == (1, 0, 0)


@responses.activate
def test_second_pull_fetches_only_what_changed(tmp_path: Path) -> None:
    """Modified and new records are searched for since the newest change (less the overlap)."""
    fake = FakeHubSpot.stock()
    populate_settled(fake, 300)
    fake.register()
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
        changed = T0 + timedelta(minutes=20)
        fake.add("contacts", 7, {"email": "new-address@example.com"}, modified=changed)
        fake.add(
            "deals",
            301,
            {"pipeline": "default", "dealstage": "closedwon", "closedate": "2026-11-01T06:10:00Z"},
            modified=changed,
        )
        fake.deal_contacts["301"] = ["7"]
        start = len(responses.calls)
        report = pull_into(store, connector())
        contacts = {c.id: c for c in store.load_dataset().contacts}
        deals = {d.id: d for d in store.load_dataset().deals}
    kinds = report.source("hubspot").kinds
    assert (kinds["contact"].changed, kinds["deal"].new) == (1, 1)
    assert contacts["7"].email == "new-address@example.com"
    assert (deals["301"].status, deals["301"].contact_id) == ("won", "7")
    # one search per object, the deals' contacts by one association batch and their stage
    # history by one batch read, one status batch
    assert len(responses.calls) - start == NO_CHANGE_CALLS + 3
    body = search_bodies(start, "contacts")[0]
    since = body["filterGroups"][0]["filters"][0]  # type: ignore[index]
    assert since == {
        "propertyName": "lastmodifieddate",
        "operator": "GTE",
        "value": str(int((T0 - timedelta(minutes=15)).timestamp() * 1000)),
    }
    assert body["limit"] == 200


@responses.activate
def test_a_deal_whose_contacts_fill_two_association_pages_reads_the_second(
    tmp_path: Path,
) -> None:
    """A v4 batch result with `paging` is asked again with `after`; the lowest id is on page 2."""
    fake = FakeHubSpot.stock()
    populate_settled(fake, 3)
    fake.association_page = 2
    fake.register()
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
        fake.add(
            "deals",
            301,
            {"pipeline": "default", "dealstage": "contractsent"},
            modified=T0 + timedelta(minutes=20),
        )
        # HubSpot's order within a result is not the id order: the lowest id comes last
        fake.deal_contacts["301"] = ["9", "8", "3"]
        start = len(responses.calls)
        pull_into(store, connector())
        deals = {d.id: d for d in store.load_dataset().deals}
    batches = calls_since(start, "/crm/v4/associations/deals/contacts/batch/read")
    inputs = [json.loads(call.request.body or b"{}")["inputs"] for call in batches]
    assert inputs[-1] == [{"id": "301", "after": "2"}]
    assert deals["301"].contact_id == "3"


@responses.activate
def test_ten_thousand_cap_with_one_shared_timestamp_loses_and_repeats_nothing(
    tmp_path: Path,
) -> None:
    """10,200 contacts stamped by one bulk update are read 200 a search, each exactly once."""
    fake = FakeHubSpot.stock()
    fake.register()
    options = HubSpotOptions(email_subscriptions=False, nps_surveys=False)
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector(options))
        bulk = T0 + timedelta(minutes=30)
        for i in range(1, 10_201):
            fake.add("contacts", i, {"email": f"c{i}@example.com"}, modified=bulk)
        start = len(responses.calls)
        report = pull_into(store, connector(options))
    searches = calls_since(start, "/crm/v3/objects/contacts/search")
    assert len(searches) == 51
    assert all(call.response.status_code == 200 for call in searches)  # type: ignore[union-attr]
    assert report.source("hubspot").kinds["contact"].stored == 10_200
    assert len(ids(tmp_path / "store.db", "contacts")) == 10_200
    floors = [
        body["filterGroups"][0]["filters"][1]["value"] for body in search_bodies(start, "contacts")
    ]  # type: ignore[index]
    assert floors[:3] == ["0", "200", "400"]


@responses.activate
def test_overlap_catches_what_search_had_not_indexed_yet(tmp_path: Path) -> None:
    """A change search did not show at one pull is read by the next, thanks to the overlap."""
    fake = FakeHubSpot.stock()
    fake.register()
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
        late = LATER - timedelta(minutes=5)
        fake.add(
            "tickets",
            9,
            {"hs_pipeline": "0", "hs_pipeline_stage": "4", "closed_date": "2026-11-01T06:50:00Z"},
            modified=late,
            created=T0,
        )
        fake.hidden.add("9")
        pull_into(store, connector())
        assert ids(tmp_path / "store.db", "tickets") == []
        fake.hidden.clear()
        pull_into(store, connector())
    assert ids(tmp_path / "store.db", "tickets") == ["9"]


@responses.activate
def test_archived_records_are_swept_and_marked_deleted(tmp_path: Path) -> None:
    """Archiving leaves the modified time alone; the archived list marks the record deleted."""
    fake = FakeHubSpot.account()
    fake.register()
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
        fake.archive("deals", "4")
        fake.archive("contacts", "204")
        report = pull_into(store, connector())
        live_deals = {deal.id for deal in store.load_dataset().deals}
    assert report.source("hubspot").kinds["deal"].deleted == 1
    assert ids(tmp_path / "store.db", "deals", deleted=True) == ["4"]
    assert ids(tmp_path / "store.db", "contacts", deleted=True) == ["204"]
    assert "4" not in live_deals


@responses.activate
def test_a_changed_mapping_triggers_a_full_pass(tmp_path: Path) -> None:
    """Asking for another property re-reads every record of that object, not only changes."""
    fake = FakeHubSpot.account()
    fake.register()
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
        start = len(responses.calls)
        options = HubSpotOptions(campaign_property="utm_campaign")
        pull_into(store, connector(options))
    assert calls_since(start, "/crm/v3/objects/deals?limit=50")
    assert not calls_since(start, "/crm/v3/objects/deals/search")
    assert calls_since(start, "/crm/v3/objects/contacts/search")
