"""Deals' `dealstage` history is read on the first pull (list pages of 50) and, for the deals
an incremental pull finds changed, by batch reads of 50: every visit is stored, a re-entered
stage twice (docs/hubspot.md, Stage history)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import responses

from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.endpoints import DEALS
from connectors.hubspot.streams import ObjectStream, StreamSync
from connectors.schema import Deal
from sync.store import Store
from tests.fixtures.hubspot.fake_hubspot import HISTORY_LIMIT, T0, FakeHubSpot
from tests.fixtures.hubspot.harness import TOKEN, connector, pull_into
from tests.fixtures.hubspot.replies import iso

HISTORY_READ = "/crm/v3/objects/deals/batch/read"
# the deal's stays: qualified, back to the first stage, qualified again, then presentation
JOURNEY = (
    ("appointmentscheduled", T0 - timedelta(days=30)),
    ("qualifiedtobuy", T0 - timedelta(days=25)),
    ("appointmentscheduled", T0 - timedelta(days=20)),
    ("qualifiedtobuy", T0 - timedelta(days=18)),
)


def history(changes: tuple[tuple[str, datetime], ...]) -> list[dict[str, Any]]:
    """A `propertiesWithHistory.dealstage` list as HubSpot documents it: newest first."""
    return [
        {
            "value": stage,
            "timestamp": iso(at),
            "sourceType": "CRM_UI",
            "sourceId": "userId:28604240",
            "updatedByUserId": 28604240,
        }
        for stage, at in reversed(changes)
    ]


def add_deal(fake: FakeHubSpot, deal_id: int, changes: tuple[tuple[str, datetime], ...]) -> None:
    """A deal in the last stage of `changes`, its timing properties showing latest visits."""
    stage, modified = changes[-1]
    fake.add(
        "deals",
        deal_id,
        {
            "pipeline": "default",
            "dealstage": stage,
            "hs_v2_date_entered_appointmentscheduled": iso(changes[2][1]),
            "hs_v2_date_exited_appointmentscheduled": iso(changes[3][1]),
            "hs_v2_date_entered_qualifiedtobuy": iso(changes[3][1]),
        },
        modified=modified,
        created=changes[0][1],
    )
    fake.histories[str(deal_id)] = history(changes)


def visits(deal: Deal) -> list[tuple[str, datetime, datetime | None]]:
    return [(v.stage_id, v.entered_at, v.exited_at) for v in deal.stage_history]


def history_reads(start: int = 0) -> list[dict[str, Any]]:
    return [
        json.loads(call.request.body or b"{}")
        for call in list(responses.calls)[start:]
        if call.request.method == "POST" and HISTORY_READ in (call.request.url or "")
    ]


@responses.activate
def test_the_first_pull_stores_every_visit_from_the_listed_history(tmp_path: Path) -> None:
    """The list page carries the history: the re-entered stages have two visits each, with no
    call of its own."""
    fake = FakeHubSpot.stock()
    add_deal(fake, 1, JOURNEY)
    fake.register()
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
        (deal,) = store.load_dataset().deals
    days = [at for _, at in JOURNEY]
    assert visits(deal) == [
        ("appointmentscheduled", days[0], days[1]),
        ("qualifiedtobuy", days[1], days[2]),
        ("appointmentscheduled", days[2], days[3]),
        ("qualifiedtobuy", days[3], None),
    ]
    assert history_reads() == []


@responses.activate
def test_a_changed_deal_gets_its_whole_journey_from_a_batch_read(tmp_path: Path) -> None:
    """Search returns no history; the batch read adds it, so the journey is not cut down to
    the timing properties' latest visits."""
    fake = FakeHubSpot.stock()
    add_deal(fake, 1, JOURNEY)
    fake.register()
    moved = T0 + timedelta(minutes=30)
    journey = (*JOURNEY, ("presentationscheduled", moved))
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
        add_deal(fake, 1, journey)
        fake.objects["deals"]["1"]["properties"]["hs_v2_date_entered_presentationscheduled"] = iso(
            moved
        )
        start = len(responses.calls)
        pull_into(store, connector())
        (deal,) = store.load_dataset().deals
    assert [(v.stage_id, v.exited_at) for v in deal.stage_history] == [
        ("appointmentscheduled", JOURNEY[1][1]),
        ("qualifiedtobuy", JOURNEY[2][1]),
        ("appointmentscheduled", JOURNEY[3][1]),
        ("qualifiedtobuy", moved),
        ("presentationscheduled", None),
    ]
    (body,) = history_reads(start)
    assert body == {
        "inputs": [{"id": "1"}],
        "properties": [],
        "propertiesWithHistory": [
            "dealstage",
            "pipeline",
            "amount",
            "deal_currency_code",
            "closedate",
            "hubspot_owner_id",
            "hs_is_closed",
            "hs_is_closed_won",
            "hs_forecast_probability",
        ],
    }


@responses.activate
def test_changed_deals_are_read_with_history_fifty_a_call(tmp_path: Path) -> None:
    """120 changed deals: ceil(120/50) = 3 batch reads of 50, 50 and 20, every journey whole."""
    fake = FakeHubSpot.stock()
    fake.register()
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
        for deal_id in range(1, 121):
            add_deal(fake, deal_id, JOURNEY)
        start = len(responses.calls)
        pull_into(store, connector())
        deals = store.load_dataset().deals
    assert [len(body["inputs"]) for body in history_reads(start)] == [50, 50, 20]
    assert len(deals) == 120
    assert all(len(deal.stage_history) == len(JOURNEY) for deal in deals)


@responses.activate
def test_the_fake_refuses_a_history_read_of_more_than_fifty(tmp_path: Path) -> None:
    """As HubSpot does: a list page or a batch read of over 50 with history is a 400."""
    fake = FakeHubSpot.stock()
    fake.register()
    listed = fake.handle(
        "GET",
        f"https://api.hubapi.com/crm/v3/objects/deals?limit={HISTORY_LIMIT + 1}"
        "&propertiesWithHistory=dealstage",
        None,
    )
    inputs = [{"id": str(i)} for i in range(HISTORY_LIMIT + 1)]
    read = fake.handle(
        "POST",
        f"https://api.hubapi.com{HISTORY_READ}",
        {"inputs": inputs, "propertiesWithHistory": ["dealstage"]},
    )
    assert (listed.status, read.status) == (400, 400)


def test_a_cursor_written_without_history_starts_a_full_pass() -> None:
    """Asking for history changes the cursor's fingerprint, so deals stored before it was
    asked for are listed again, each with its whole journey."""
    api = HubSpotApi(TOKEN, requests.Session())
    with_history = ObjectStream(DEALS, DEALS.properties, lambda raw: None, history=("dealstage",))
    without = replace(with_history, history=())
    new = StreamSync(api, "hubspot", with_history, overlap_ms=0)
    old = StreamSync(api, "hubspot", without, overlap_ms=0)
    assert new.fields != old.fields
