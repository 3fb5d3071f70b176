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
from connectors.hubspot.journeys import timing_properties
from connectors.hubspot.options import DEFAULTS, HubSpotOptions
from connectors.hubspot.pipelines import Pipelines
from connectors.hubspot.values import parse_instant
from connectors.schema import Deal, SchemaError, Stage
from kpis.dataset import Dataset
from kpis.engine import compute
from kpis.results import ALL
from kpis.stages import stage_duration_days
from tests.kpi_builders import only, period, settings

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


def test_timing_properties_name_both_dates_of_every_stage_in_both_sets() -> None:
    """Two properties per stage in each set (hs_v2 and the older one), for every pipeline."""
    names = timing_properties(STAGE_IDS)
    assert len(names) == 2 * 2 * 10
    assert "hs_v2_date_entered_23456781" in names
    assert "hs_v2_date_exited_closedwon" in names
    assert "hs_date_entered_23456781" in names
    assert "hs_date_exited_closedwon" in names


def test_a_portal_with_only_the_older_timing_properties_still_has_stage_history() -> None:
    """Without any hs_v2 value the hs_date_entered_/hs_date_exited_ set gives the visits."""
    result = deal(
        dealstage="contractsent",
        hs_date_entered_appointmentscheduled=at(1),
        hs_date_exited_appointmentscheduled=at(3),
        hs_date_entered_contractsent=at(3),
    )
    visits = [(v.stage_id, v.entered_at, v.exited_at) for v in result.stage_history]
    assert visits == [("appointmentscheduled", utc(1), utc(3)), ("contractsent", utc(3), None)]


def test_the_hs_v2_set_wins_over_the_older_one_when_a_deal_has_both() -> None:
    result = deal(
        dealstage="contractsent",
        hs_v2_date_entered_contractsent=at(5),
        hs_date_entered_contractsent=at(3),
    )
    assert [(v.stage_id, v.entered_at) for v in result.stage_history] == [("contractsent", utc(5))]


def history(*changes: tuple[str, str]) -> dict[str, Any]:
    """A `propertiesWithHistory.dealstage` list as HubSpot sends it: newest change first."""
    entries = [
        {"value": stage, "timestamp": stamp, "sourceType": "CRM_UI", "sourceId": "userId:1"}
        for stage, stamp in changes
    ]
    return {"dealstage": list(reversed(entries))}


def history_deal(changes: dict[str, Any], **properties: str | None) -> Deal:
    raw = {**raw_deal(**properties), "propertiesWithHistory": changes}
    return records.deal("hs", raw, DEALS, STAGE_IDS, DEFAULTS)


def test_a_re_entered_stage_is_two_visits_from_the_dealstage_history() -> None:
    """Forward, back and forward again: qualifiedtobuy is visited twice, each visit closed."""
    result = history_deal(
        history(
            ("appointmentscheduled", at(1)),
            ("qualifiedtobuy", at(3)),
            ("contractsent", at(5)),
            ("qualifiedtobuy", at(6)),
            ("contractsent", at(10)),
        ),
        dealstage="contractsent",
        hs_v2_date_entered_qualifiedtobuy=at(6),
        hs_v2_date_exited_qualifiedtobuy=at(10),
    )
    visits = [(v.stage_id, v.entered_at, v.exited_at) for v in result.stage_history]
    assert visits == [
        ("appointmentscheduled", utc(1), utc(3)),
        ("qualifiedtobuy", utc(3), utc(5)),
        ("contractsent", utc(5), utc(6)),
        ("qualifiedtobuy", utc(6), utc(10)),
        ("contractsent", utc(10), None),
    ]


def test_stage_duration_days_counts_both_visits_of_a_re_entered_stage() -> None:
    """Qualified To Buy for 2 days (3rd to 5th) and again for 4 (6th to 10th): mean 3, n 2."""
    result = history_deal(
        history(
            ("appointmentscheduled", at(1)),
            ("qualifiedtobuy", at(3)),
            ("contractsent", at(5)),
            ("qualifiedtobuy", at(6)),
            ("contractsent", at(10)),
        ),
        dealstage="contractsent",
    )
    stages = [item.record for item in DEALS.records("hs") if isinstance(item.record, Stage)]
    data = Dataset(stages=stages, deals=[result])
    rows = stage_duration_days(data, period("2026-10"), settings())
    row = only(rows, "stage", "Sales Pipeline / Qualified To Buy")
    assert (row.value, row.n) == (3.0, 2)


def test_repeated_values_in_the_history_are_one_visit() -> None:
    """A change that sets the stage it already had (an import, a workflow) is no new visit."""
    result = history_deal(
        history(
            ("appointmentscheduled", at(1)), ("appointmentscheduled", at(2)), ("closedwon", at(4))
        ),
        dealstage="closedwon",
        closedate=None,
    )
    visits = [(v.stage_id, v.entered_at, v.exited_at) for v in result.stage_history]
    assert visits == [("appointmentscheduled", utc(1), utc(4)), ("closedwon", utc(4), None)]
    assert result.closed_at == utc(4)


def test_a_history_that_ends_elsewhere_than_the_deal_falls_back_to_the_timing() -> None:
    """A history behind the deal's stage is not trusted; the timing properties are used."""
    result = history_deal(
        history(("appointmentscheduled", at(1))),
        dealstage="contractsent",
        hs_v2_date_entered_contractsent=at(4),
    )
    assert [(v.stage_id, v.entered_at) for v in result.stage_history] == [("contractsent", utc(4))]


def test_a_history_time_that_does_not_parse_names_the_property() -> None:
    with pytest.raises(SchemaError, match=r"propertiesWithHistory.dealstage: 'soon'"):
        history_deal(history(("appointmentscheduled", "soon")))


@pytest.mark.parametrize(
    ("properties", "field", "reason"),
    [
        ({"amount": "lots"}, "amount", "'lots' is not a number"),
        ({"createdate": "yesterday"}, "createdate", "'yesterday' is not a date or time"),
        ({"pipeline": None}, "pipeline", "is required"),
        ({"amount": "-5"}, "amount", "must not be negative"),
        ({"dealstage": "closedwon", "closedate": "2026-09-01T00:00:00Z"}, "closed_at", "before"),
    ],
    ids=["amount-text", "bad-date", "no-pipeline", "negative", "closed-first"],
)
def test_malformed_deal_names_its_id_and_field(
    properties: dict[str, str | None], field: str, reason: str
) -> None:
    """A value that cannot be used raises SchemaError naming the deal and the property."""
    with pytest.raises(SchemaError) as caught:
        deal(**properties)
    assert (caught.value.kind, caught.value.record_id, caught.value.field) == ("deal", "7", field)
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("flags", "status", "closed_at"),
    [
        ({}, "open", None),
        ({"hs_is_closed": "true", "hs_is_closed_won": "true"}, "won", utc(20)),
        ({"hs_is_closed": "true", "hs_is_closed_won": "false"}, "lost", utc(20)),
    ],
    ids=["open", "won", "lost"],
)
def test_a_deal_in_an_archived_stage_is_kept_with_its_closed_flags(
    flags: dict[str, str], status: str, closed_at: datetime | None
) -> None:
    """A stage the pipelines response lacks keeps the deal, its stage id, its closed flags."""
    result = deal(dealstage="98765", closedate=at(20), **flags)
    assert (result.stage_id, result.status, result.closed_at) == ("98765", status, closed_at)


def test_kpis_count_a_won_deal_in_an_archived_stage() -> None:
    """Every KPI computes; the deal's revenue and win count, with the stage id as its label."""
    won = deal(dealstage="98765", closedate=at(20), hs_is_closed="true", hs_is_closed_won="true")
    stages = [item.record for item in DEALS.records("hs") if isinstance(item.record, Stage)]
    rows = compute(Dataset(stages=stages, deals=[won]), [period("2026-10")], settings())
    by_kpi = {row.kpi: row for row in rows if row.segment_by == ALL}
    assert by_kpi["win_rate"].value == 1
    assert by_kpi["net_new_revenue"].value == Decimal("1500.50")


@pytest.mark.parametrize(
    ("properties", "closed_at"),
    [
        ({"hs_v2_date_entered_4": at(9), "hs_date_entered_4": at(8)}, utc(9)),
        ({"hs_date_entered_4": at(8)}, utc(8)),
        ({}, utc(12)),
    ],
    ids=["hs-v2-entered", "older-entered", "last-modified"],
)
def test_a_ticket_in_a_closed_stage_without_closed_date_is_closed(
    properties: dict[str, str], closed_at: datetime
) -> None:
    """ticketState CLOSED closes it: when it entered the stage, else its last modification."""
    raw = {
        "id": "302",
        "properties": {
            "hs_pipeline": "0",
            "hs_pipeline_stage": "4",
            "createdate": at(5),
            "closed_date": None,
            "hs_lastmodifieddate": at(12),
            **properties,
        },
    }
    assert records.ticket("hs", raw, TICKETS, DEFAULTS).closed_at == closed_at


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
