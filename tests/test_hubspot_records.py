"""HubSpot objects become normalized records: status from stage metadata, history, bad values."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.hubspot import records
from connectors.hubspot.batches import split_properties
from connectors.hubspot.options import DEFAULTS, HubSpotOptions
from connectors.hubspot.pipelines import Pipelines, timing_properties
from connectors.hubspot.values import parse_instant
from connectors.schema import Deal, SchemaError

FIXTURES = Path(__file__).parent / "fixtures" / "hubspot"
DEALS = Pipelines(json.loads((FIXTURES / "deal_pipelines.json").read_text()))
TICKETS = Pipelines(json.loads((FIXTURES / "ticket_pipelines.json").read_text()))
STAGE_IDS = DEALS.stage_ids()


def at(day: int, hour: int = 10) -> str:
    return f"2026-10-{day:02d}T{hour:02d}:00:00.000Z"


def utc(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def raw_deal(**properties: str | None) -> dict[str, Any]:
    base = {
        "pipeline": "default",
        "dealstage": "appointmentscheduled",
        "createdate": at(1),
        "amount": "1500.50",
    }
    return {"id": "7", "properties": {**base, **properties}, "createdAt": at(1)}


def deal(options: HubSpotOptions = DEFAULTS, **properties: str | None) -> Deal:
    return records.deal("hs", raw_deal(**properties), DEALS, STAGE_IDS, options)


@pytest.mark.parametrize(
    ("pipeline", "stage", "status"),
    [
        ("default", "contractsent", "open"),
        ("default", "closedwon", "won"),
        ("default", "closedlost", "lost"),
        ("12345678", "23456782", "won"),
        ("12345678", "23456783", "lost"),
    ],
    ids=["open", "won-relabelled", "lost-relabelled", "custom-won", "custom-lost"],
)
def test_status_comes_from_stage_metadata_not_labels(
    pipeline: str, stage: str, status: str
) -> None:
    """Won and lost follow isClosed and probability, whatever the stage is called."""
    result = deal(pipeline=pipeline, dealstage=stage, closedate=at(20))
    assert result.status == status
    assert result.closed_at == (None if status == "open" else utc(20))
    assert result.expected_close_at == utc(20)


def test_stages_carry_probability_and_closed_won_flags() -> None:
    """Stage records keep order, probability and closed/won from the pipeline metadata."""
    stages = {pulled.record.stage_id: pulled.record for pulled in DEALS.records("hs")}
    assert (stages["closedwon"].is_closed, stages["closedwon"].is_won) == (True, True)
    assert (stages["closedlost"].is_closed, stages["closedlost"].is_won) == (True, False)
    assert stages["decisionmakerboughtin"].probability == 0.8
    assert stages["decisionmakerboughtin"].stage_order == 3
    assert stages["23456781"].pipeline_label == "Renewals"


@pytest.mark.parametrize(
    ("dealtype", "upsell_types", "kind"),
    [
        ("existingbusiness", ("existingbusiness",), "upsell"),
        ("newbusiness", ("existingbusiness",), "new"),
        (None, ("existingbusiness",), "new"),
        ("expansion", ("existingbusiness", "expansion"), "upsell"),
    ],
    ids=["stock-upsell", "stock-new", "no-type", "configured-type"],
)
def test_deal_type_decides_upsell(
    dealtype: str | None, upsell_types: tuple[str, ...], kind: str
) -> None:
    """`dealtype` in `upsell_deal_types` makes an upsell; anything else is new business."""
    options = HubSpotOptions(upsell_deal_types=upsell_types)
    assert deal(options, dealtype=dealtype).kind == kind


def test_mapped_properties_feed_the_deal() -> None:
    """Amount, currency, owner, source, campaign, lost reason and probability are read."""
    options = HubSpotOptions(campaign_property="utm_campaign", company_currency="EUR")
    result = deal(
        options,
        dealstage="closedlost",
        closedate=at(9),
        hubspot_owner_id="101",
        hs_analytics_source="PAID_SEARCH",
        utm_campaign="Spring",
        closed_lost_reason="Budget",
        hs_forecast_probability="35",
    )
    assert (result.amount, result.currency, result.owner_id) == (Decimal("1500.50"), "EUR", "101")
    assert (result.lead_source, result.campaign, result.lost_reason) == (
        "PAID_SEARCH",
        "Spring",
        "Budget",
    )
    assert result.probability == pytest.approx(0.35)


def test_primary_contact_is_the_lowest_associated_id() -> None:
    """Of several associated contacts, the deal keeps the lowest id, numerically."""
    raw = raw_deal()
    links = [{"id": "1000", "type": "deal_to_contact"}, {"id": "999", "type": "deal_to_contact"}]
    raw["associations"] = {"contacts": {"results": links}}
    assert records.deal("hs", raw, DEALS, STAGE_IDS, DEFAULTS).contact_id == "999"


def test_stage_history_from_date_entered_and_exited() -> None:
    """Each entered stage is a visit; the current one is open; unentered stages are absent."""
    result = deal(
        dealstage="contractsent",
        hs_v2_date_entered_appointmentscheduled=at(1),
        hs_v2_date_exited_appointmentscheduled=at(3),
        hs_v2_date_entered_qualifiedtobuy=at(3),
        hs_v2_date_exited_qualifiedtobuy=at(8),
        hs_v2_date_entered_contractsent=at(8),
        hs_v2_date_exited_contractsent=at(2),
    )
    visits = [(v.stage_id, v.entered_at, v.exited_at) for v in result.stage_history]
    assert visits == [
        ("appointmentscheduled", utc(1), utc(3)),
        ("qualifiedtobuy", utc(3), utc(8)),
        ("contractsent", utc(8), None),
    ]


def test_a_re_entered_stage_keeps_only_its_latest_visit() -> None:
    """An exit older than the latest entry belongs to an earlier visit: the visit stays open."""
    result = deal(
        dealstage="contractsent",
        hs_v2_date_entered_qualifiedtobuy=at(10),
        hs_v2_date_exited_qualifiedtobuy=at(5),
        hs_v2_date_entered_contractsent=at(12),
    )
    qualified = [v for v in result.stage_history if v.stage_id == "qualifiedtobuy"]
    assert [(v.entered_at, v.exited_at) for v in qualified] == [(utc(10), None)]


def test_closed_deal_without_close_date_closed_when_it_entered_its_stage() -> None:
    """A won deal with no close date takes the date it entered the won stage."""
    result = deal(dealstage="closedwon", closedate=None, hs_v2_date_entered_closedwon=at(14))
    assert result.closed_at == utc(14)


def test_timing_properties_name_both_dates_of_every_stage() -> None:
    """Two properties per stage, built from the stage ids of every pipeline."""
    names = timing_properties(STAGE_IDS)
    assert len(names) == 2 * 10
    assert "hs_v2_date_entered_23456781" in names
    assert "hs_v2_date_exited_closedwon" in names


@pytest.mark.parametrize(
    ("properties", "field", "reason"),
    [
        ({"amount": "lots"}, "amount", "'lots' is not a number"),
        ({"createdate": "yesterday"}, "createdate", "'yesterday' is not a date or time"),
        ({"dealstage": "nosuchstage"}, "dealstage", "stage 'nosuchstage' is not in pipeline"),
        ({"pipeline": None}, "pipeline", "is required"),
        ({"amount": "-5"}, "amount", "must not be negative"),
        ({"dealstage": "closedwon", "closedate": "2026-09-01T00:00:00Z"}, "closed_at", "before"),
    ],
    ids=["amount-text", "bad-date", "unknown-stage", "no-pipeline", "negative", "closed-first"],
)
def test_malformed_deal_names_its_id_and_field(
    properties: dict[str, str | None], field: str, reason: str
) -> None:
    """A value that cannot be used raises SchemaError naming the deal and the property."""
    with pytest.raises(SchemaError) as caught:
        deal(**properties)
    assert (caught.value.kind, caught.value.record_id, caught.value.field) == ("deal", "7", field)
    assert reason in caught.value.reason


def test_reopened_ticket_is_open_whatever_closed_date_says() -> None:
    """A ticket in an open stage has no close time even when closed_date is still set."""
    raw = {
        "id": "301",
        "properties": {
            "hs_pipeline": "0",
            "hs_pipeline_stage": "2",
            "createdate": at(5),
            "closed_date": at(6),
            "hs_num_times_contacted": "3",
        },
    }
    result = records.ticket("hs", raw, TICKETS, DEFAULTS)
    assert (result.closed_at, result.followups, result.pipeline) == (None, 3, "Support Pipeline")
    raw["properties"]["hs_pipeline_stage"] = "4"
    assert records.ticket("hs", raw, TICKETS, DEFAULTS).closed_at == utc(6)


@pytest.mark.parametrize(
    ("survey_type", "value", "score"),
    [("NPS", "9", 9), ("nps", "0", 0), ("CSAT", "5", None)],
    ids=["promoter", "lowercase-type", "not-nps"],
)
def test_only_nps_submissions_become_survey_responses(
    survey_type: str, value: str, score: int | None
) -> None:
    """NPS answers keep their score; other surveys are left out."""
    raw = {
        "id": "401",
        "properties": {"hs_survey_type": survey_type, "hs_value": value, "hs_createdate": at(8)},
    }
    result = records.survey("hs", raw)
    assert (result.score if result else None) == score


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-08T09:00:00.000Z", datetime(2026, 10, 8, 9, tzinfo=UTC)),
        ("2026-10-08T11:00:00+02:00", datetime(2026, 10, 8, 9, tzinfo=UTC)),
        ("2026-10-08", datetime(2026, 10, 8, tzinfo=UTC)),
        ("1791417600000", datetime(2026, 10, 8, tzinfo=UTC)),
        ("2026-10-08T09:00:00", None),
        ("soon", None),
    ],
    ids=["datetime", "offset", "date", "epoch-ms", "naive", "text"],
)
def test_instants_parse_every_form_hubspot_sends(text: str, expected: datetime | None) -> None:
    """Datetimes, date-only values and epoch milliseconds all become aware UTC datetimes."""
    assert parse_instant(text) == expected


def test_properties_that_do_not_fit_the_url_budget_are_split_off() -> None:
    """Names fill the budget (commas count as %2C) in order; the rest go to a batch read."""
    names = [f"property_{i:02d}" for i in range(10)]
    fitting, rest = split_properties(names, budget=50)
    assert fitting == names[:3]
    assert rest == names[3:]
    assert split_properties(names, budget=10_000) == (names, [])
