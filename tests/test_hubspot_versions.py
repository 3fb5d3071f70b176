"""Deals' versions back in time from HubSpot's property history, and each record's change
time (docs/hubspot.md, Deal versions)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from connectors.base import Pulled
from connectors.hubspot import HubSpotConnector, HubSpotOptions, batches, records
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.endpoints import DEALS
from connectors.hubspot.options import DEFAULTS
from connectors.hubspot.pipelines import Pipelines
from connectors.hubspot.streams import ObjectStream, StreamSync
from connectors.hubspot.versions import history_properties
from connectors.schema import Deal, DealVersion, SchemaError
from sync.store import Store
from tests.fixtures.hubspot.fake_hubspot import FIXTURES, T0, FakeHubSpot
from tests.fixtures.hubspot.harness import TOKEN, FakeClock, connector, pull_into
from tests.fixtures.hubspot.replies import iso
from tests.fixtures.hubspot.session import FakeSession

HISTORY_READ = "/crm/v3/objects/deals/batch/read"
# the nine properties a stock account reads with their history
STOCK_HISTORY = [
    "dealstage",
    "pipeline",
    "amount",
    "deal_currency_code",
    "closedate",
    "hubspot_owner_id",
    "hs_is_closed",
    "hs_is_closed_won",
    "hs_forecast_probability",
]
PIPELINES = Pipelines(json.loads((FIXTURES / "deal_pipelines.json").read_text(encoding="utf-8")))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def entry(value: str, when: datetime) -> dict[str, Any]:
    """One `propertiesWithHistory` entry as HubSpot documents it."""
    return {
        "value": value,
        "timestamp": iso(when),
        "sourceType": "CRM_UI",
        "sourceId": "userId:28604240",
        "updatedByUserId": 28604240,
    }


def newest_first(*changes: tuple[str, datetime]) -> list[dict[str, Any]]:
    return [entry(value, when) for value, when in sorted(changes, key=lambda c: c[1], reverse=True)]


def add_fixture_deal(fake: FakeHubSpot) -> None:
    """The deal of `deal_history.json`, its histories served by the fake."""
    raw = json.loads((FIXTURES / "deal_history.json").read_text(encoding="utf-8"))
    history = dict(raw.pop("propertiesWithHistory"))
    fake.objects["deals"][raw["id"]] = raw
    fake.histories[raw["id"]] = history.pop("dealstage")
    fake.property_histories[raw["id"]] = history


def pulled(source: HubSpotConnector, cursors: Mapping[str, str] | None = None) -> list[Pulled]:
    return [item for page in source.pull(cursors or {}) for item in page.items]


def deals_of(items: Iterable[Pulled]) -> dict[str, Deal]:
    return {item.record.id: item.record for item in items if isinstance(item.record, Deal)}


def version(
    start: str, end: str | None, stage: str, amount: str, owner: str, expected: str, **kw: Any
) -> DealVersion:
    return DealVersion(
        valid_from=at(start),
        valid_to=None if end is None else at(end),
        pipeline_id="default",
        stage_id=stage,
        status=kw.get("status", "open"),
        amount=Decimal(amount),
        currency="EUR",
        owner_id=owner,
        closed_at=kw.get("closed_at"),
        expected_close_at=at(expected),
    )


# deal_history.json: created 22 Sep with 1000 EUR for owner 101, closing 15 Dec; 1500 on
# 27 Sep; qualified and closing 31 Jan on 2 Oct; owner 102 on 4 Oct; 1500 set again on 7 Oct
# (no new state); won on 12 Oct, its close date set to then
FIXTURE_VERSIONS = (
    version("2026-09-22T06:00", "2026-09-27T06:00", "appointmentscheduled", "1000", "101",
            "2026-12-15T00:00"),
    version("2026-09-27T06:00", "2026-10-02T06:00", "appointmentscheduled", "1500", "101",
            "2026-12-15T00:00"),
    version("2026-10-02T06:00", "2026-10-04T06:00", "qualifiedtobuy", "1500", "101",
            "2027-01-31T00:00"),
    version("2026-10-04T06:00", "2026-10-12T06:00", "qualifiedtobuy", "1500", "102",
            "2027-01-31T00:00"),
    version("2026-10-12T06:00", None, "closedwon", "1500", "102", "2026-10-12T06:00",
            status="won", closed_at=at("2026-10-12T06:00")),
)  # fmt: skip


@responses.activate
def test_the_first_pull_merges_each_property_history_into_versions() -> None:
    """Stage, amount, close date and owner changed at different times: a state per change
    time, the repeated amount making none, the last state the deal as it is."""
    fake = FakeHubSpot.stock()
    add_fixture_deal(fake)
    fake.register()
    deal = deals_of(pulled(connector()))["9001"]
    assert deal.versions == FIXTURE_VERSIONS
    assert deal.versions[-1].state() == deal.version(at("2026-10-12T06:00")).state()


@responses.activate
def test_a_searched_deal_gets_its_versions_from_a_history_batch_read() -> None:
    """Search returns no history; the batch read of the deal it finds (read again: it is the
    newest change) asks for every versioned property, and the versions are as listed."""
    fake = FakeHubSpot.stock()
    add_fixture_deal(fake)
    fake.register()
    first = list(connector().pull({}))
    cursors = {page.stream: page.cursor for page in first if page.cursor is not None}
    start = len(responses.calls)
    deal = deals_of(pulled(connector(), cursors))["9001"]
    (call,) = [c for c in list(responses.calls)[start:] if HISTORY_READ in (c.request.url or "")]
    assert json.loads(call.request.body or b"{}")["propertiesWithHistory"] == STOCK_HISTORY
    assert deal.versions == FIXTURE_VERSIONS


def deal_raw(
    properties: Mapping[str, str], history: Mapping[str, list[dict[str, Any]]] | None
) -> dict[str, Any]:
    """A deal as a list page with history shows it; `history` None as one read without it."""
    raw: dict[str, Any] = {
        "id": "7",
        "properties": {"createdate": "2026-09-01T00:00:00.000Z", **properties},
        "createdAt": "2026-09-01T00:00:00.000Z",
        "updatedAt": properties.get("hs_lastmodifieddate", "2026-09-01T00:00:00.000Z"),
        "archived": False,
    }
    if history is not None:
        raw["propertiesWithHistory"] = dict(history)
    return raw


def built(raw: Mapping[str, Any], options: HubSpotOptions = DEFAULTS) -> Deal:
    return records.deal("hubspot", raw, PIPELINES, PIPELINES.stage_ids(), options)


SEP1, SEP5, SEP9 = at("2026-09-01T00:00"), at("2026-09-05T00:00"), at("2026-09-09T00:00")
TWO_STAGES = {
    "pipeline": newest_first(("default", SEP1)),
    "dealstage": newest_first(("appointmentscheduled", SEP1), ("qualifiedtobuy", SEP5)),
}


def test_a_property_without_history_holds_its_present_value_throughout() -> None:
    """Amount has no history (not returned), owner and currency were never set."""
    raw = deal_raw(
        {"pipeline": "default", "dealstage": "qualifiedtobuy", "amount": "250"}, TWO_STAGES
    )
    deal = built(raw)
    assert [
        (v.valid_from, v.stage_id, v.amount, v.owner_id, v.currency) for v in deal.versions
    ] == [
        (SEP1, "appointmentscheduled", Decimal("250"), None, None),
        (SEP5, "qualifiedtobuy", Decimal("250"), None, None),
    ]


def test_a_deal_read_without_history_has_no_versions() -> None:
    """No `propertiesWithHistory` (a batch read that missed it): the store starts the record."""
    raw = deal_raw({"pipeline": "default", "dealstage": "qualifiedtobuy"}, None)
    assert built(raw).versions == ()


def test_a_history_behind_the_deal_gives_way_to_its_present_value_from_its_last_change() -> None:
    """The stage history ends in qualifiedtobuy but the deal is in presentation since it was
    last modified on 9 Sep."""
    properties = {
        "pipeline": "default",
        "dealstage": "presentationscheduled",
        "hs_lastmodifieddate": iso(SEP9),
    }
    deal = built(deal_raw(properties, TWO_STAGES))
    assert [(v.valid_from, v.valid_to, v.stage_id) for v in deal.versions] == [
        (SEP1, SEP5, "appointmentscheduled"),
        (SEP5, SEP9, "qualifiedtobuy"),
        (SEP9, None, "presentationscheduled"),
    ]


def test_a_state_closed_without_a_close_date_closed_when_it_entered_its_stage() -> None:
    """Lost on 5 Sep with no close date: that state's close time is its stage's entry."""
    history = {
        "pipeline": newest_first(("default", SEP1)),
        "dealstage": newest_first(("appointmentscheduled", SEP1), ("closedlost", SEP5)),
        "amount": newest_first(("400", SEP1), ("300", SEP9)),
    }
    properties = {"pipeline": "default", "dealstage": "closedlost", "amount": "300"}
    deal = built(deal_raw(properties, history))
    assert [(v.valid_from, v.status, v.closed_at, v.amount) for v in deal.versions] == [
        (SEP1, "open", None, Decimal("400")),
        (SEP5, "lost", SEP5, Decimal("400")),
        (SEP9, "lost", SEP5, Decimal("300")),
    ]
    assert deal.closed_at == SEP5


def test_a_cleared_value_is_none_from_when_it_was_cleared() -> None:
    """HubSpot records clearing a property as an empty value."""
    history = {**TWO_STAGES, "hubspot_owner_id": newest_first(("101", SEP1), ("", SEP9))}
    properties = {"pipeline": "default", "dealstage": "qualifiedtobuy"}
    deal = built(deal_raw(properties, history))
    assert [(v.valid_from, v.owner_id) for v in deal.versions] == [
        (SEP1, "101"),
        (SEP5, "101"),
        (SEP9, None),
    ]


def test_a_history_time_that_is_not_a_time_skips_the_deal_naming_the_property() -> None:
    history = {**TWO_STAGES, "amount": [{**entry("10", SEP1), "timestamp": "yesterday"}]}
    raw = deal_raw({"pipeline": "default", "dealstage": "qualifiedtobuy", "amount": "10"}, history)
    with pytest.raises(SchemaError, match=r"propertiesWithHistory\.amount: 'yesterday'"):
        built(raw)


@pytest.mark.parametrize(
    ("probability", "expected"),
    [
        ("hs_forecast_probability", [*STOCK_HISTORY]),
        ("hs_deal_stage_probability", [*STOCK_HISTORY[:-1], "hs_deal_stage_probability"]),
        ("", STOCK_HISTORY[:-1]),
    ],
    ids=["stock", "stage-probability", "none"],
)
def test_the_probability_property_is_read_with_history_as_mapped(
    probability: str, expected: list[str]
) -> None:
    options = HubSpotOptions(deal_probability_property=probability)
    assert list(history_properties(options)) == expected


def test_the_mapped_probability_changes_make_versions() -> None:
    history = {**TWO_STAGES, "hs_deal_stage_probability": newest_first(("20", SEP1), ("0.4", SEP9))}
    properties = {
        "pipeline": "default",
        "dealstage": "qualifiedtobuy",
        "hs_deal_stage_probability": "0.4",
    }
    options = HubSpotOptions(deal_probability_property="hs_deal_stage_probability")
    deal = built(deal_raw(properties, history), options)
    assert [(v.valid_from, v.probability) for v in deal.versions] == [
        (SEP1, 0.2),
        (SEP5, 0.2),
        (SEP9, 0.4),
    ]


@pytest.mark.parametrize(
    ("object_type", "properties"),
    [
        ("deals", {"pipeline": "default", "dealstage": "appointmentscheduled"}),
        ("contacts", {"email": "a@example.com"}),
        ("tickets", {"hs_pipeline": "0", "hs_pipeline_stage": "1"}),
    ],
    ids=["deal", "contact", "ticket"],
)
@responses.activate
def test_every_record_carries_its_last_modified_time_as_its_change_time(
    object_type: str, properties: dict[str, str]
) -> None:
    """`hs_lastmodifieddate` (contacts: `lastmodifieddate`), not when the sync saw it."""
    fake = FakeHubSpot.stock()
    modified = T0 - timedelta(days=3, minutes=7)
    fake.add(object_type, 5, properties, modified=modified)
    fake.register()
    options = HubSpotOptions(email_subscriptions=False, nps_surveys=False)
    (item,) = [item for item in pulled(connector(options)) if item.record.id == "5"]
    assert item.changed_at == modified


def add_deal(fake: FakeHubSpot, deal_id: int, stage: str, modified: datetime) -> None:
    """A deal created 30 days before T0 with 100, in `stage` since `modified`."""
    created = T0 - timedelta(days=30)
    fake.add(
        "deals",
        deal_id,
        {"pipeline": "default", "dealstage": stage, "amount": "100"},
        modified=modified,
        created=created,
    )
    stages = [("appointmentscheduled", created)]
    if stage != "appointmentscheduled":
        stages.append((stage, modified))
    fake.histories[str(deal_id)] = newest_first(*stages)
    fake.property_histories[str(deal_id)] = {"amount": newest_first(("100", created))}


def history_inputs(start: int) -> list[list[str]]:
    return [
        [item["id"] for item in json.loads(call.request.body or b"{}")["inputs"]]
        for call in list(responses.calls)[start:]
        if HISTORY_READ in (call.request.url or "")
    ]


@responses.activate
def test_an_incremental_pull_reads_history_only_for_the_deals_that_changed() -> None:
    """120 deals listed; 3 move stage; the next pull reads the history of those 3 and of
    deal 1, the newest change before, which every pull reads again (the search overlap)."""
    fake = FakeHubSpot.stock()
    for deal_id in range(1, 121):
        add_deal(fake, deal_id, "appointmentscheduled", T0 - timedelta(days=2, hours=deal_id))
    fake.register()
    options = HubSpotOptions(email_subscriptions=False, nps_surveys=False)
    first = list(connector(options).pull({}))
    cursors = {page.stream: page.cursor for page in first if page.cursor is not None}
    moved = T0 + timedelta(minutes=30)
    for deal_id in (7, 64, 119):
        add_deal(fake, deal_id, "qualifiedtobuy", moved)
    start = len(responses.calls)
    deals = deals_of(pulled(connector(options), cursors))
    assert history_inputs(start) == [["1", "7", "64", "119"]]
    assert sorted(deals, key=int) == ["1", "7", "64", "119"]
    assert [(v.stage_id, v.valid_from) for v in deals["64"].versions] == [
        ("appointmentscheduled", T0 - timedelta(days=30)),
        ("qualifiedtobuy", moved),
    ]


def deal_calls(history: tuple[str, ...], cursor: str | None) -> list[str]:
    """The calls of one deals stream pass, reading `history` or none."""
    clock = FakeClock()
    api = HubSpotApi(TOKEN, requests.Session(), sleep=clock.sleep, clock=clock)
    stream = ObjectStream(
        DEALS,
        DEALS.properties,
        partial(records.deal, "hubspot", pipelines=PIPELINES, stage_ids=(), options=DEFAULTS),
        history=history,
        after_search=partial(batches.with_history, api, DEALS.object_type, history),
    )
    start = len(responses.calls)
    pages = list(StreamSync(api, "hubspot", stream, overlap_ms=0).pages(cursor))
    assert sum(len(page.items) for page in pages) > 0
    return [
        f"{call.request.method} {(call.request.url or '').split('?')[0].split('/deals')[-1]}"
        for call in list(responses.calls)[start:]
    ]


@pytest.mark.parametrize(
    ("history", "listed", "history_reads"),
    [((), 2, 0), (tuple(STOCK_HISTORY), 3, 3)],
    ids=["without-history", "with-history"],
)
@responses.activate
def test_the_calls_history_costs_at_fixture_scale(
    history: tuple[str, ...], listed: int, history_reads: int
) -> None:
    """120 deals: the full pass lists ceil(120/100) = 2 pages without history, ceil(120/50) =
    3 with; all 120 changed, the incremental pass adds ceil(120/50) = 3 history batch reads
    to its one search (and one archived list), none without history."""
    fake = FakeHubSpot.stock()
    for deal_id in range(1, 121):
        add_deal(fake, deal_id, "appointmentscheduled", T0 - timedelta(days=2))
    fake.register()
    full = deal_calls(history, None)
    assert full == ["GET "] * listed
    done = json.dumps({"mode": "done", "fields": _fields(history), "since": 0})
    for deal_id in range(1, 121):
        add_deal(fake, deal_id, "qualifiedtobuy", T0)
    incremental = deal_calls(history, done)
    assert incremental == ["POST /search", *["POST /batch/read"] * history_reads, "GET "]


def _fields(history: tuple[str, ...]) -> str:
    api = HubSpotApi(TOKEN, requests.Session())
    stream = ObjectStream(DEALS, DEALS.properties, lambda raw: None, history=history)
    return StreamSync(api, "hubspot", stream, overlap_ms=0).fields


OPTIONS = HubSpotOptions(email_subscriptions=False, nps_surveys=False)
# the owners' two pages and their closing page, the stages page, the contacts' one (empty)
# page, then the first page of deals
INTERRUPTED_AFTER = 6


def stored_raws(db_path: Path) -> dict[str, dict[str, Any]]:
    with sqlite3.connect(db_path) as db:
        return {row[0]: json.loads(row[1]) for row in db.execute("SELECT id, raw FROM deals")}


def test_a_pull_killed_mid_deals_keeps_every_deal_history_once_resumed(tmp_path: Path) -> None:
    """Each page's deals are committed with the history they were read with; the resumed
    pull lists the rest with history too, so every stored deal has it."""
    fake = FakeHubSpot.stock()
    for deal_id in range(1, 121):
        add_deal(fake, deal_id, "qualifiedtobuy", T0 - timedelta(days=2))
    started = T0 + timedelta(hours=1)
    clock = FakeClock()

    def source() -> HubSpotConnector:
        return HubSpotConnector(
            TOKEN,
            FakeSession(fake),
            options=OPTIONS,
            sleep=clock.sleep,
            monotonic=clock,
            now=started,
        )

    db_path = tmp_path / "store.db"
    with Store.open(db_path) as store:
        for page in islice(source().pull(store.cursors("hubspot")), INTERRUPTED_AFTER):
            store.commit_page("hubspot", page, synced_at=started)
        assert len(stored_raws(db_path)) == 50
        fake.requests_at.clear()
        pull_into(store, source())
    listed = [path for _, path, _ in fake.requests_at if path == DEALS.path]
    raws = stored_raws(db_path)
    # the two pages not committed, then the archived list a resumed full pass ends with
    assert len(listed) == 2 + 1
    assert sorted(raws, key=int) == [str(i) for i in range(1, 121)]
    assert all(
        set(raw["propertiesWithHistory"]) == {"dealstage", "amount"} for raw in raws.values()
    )
