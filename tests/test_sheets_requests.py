"""The request bodies themselves: valid for Google's discovery document, values and ranges."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from sync.outputs.sheets.cells import a1_range, column_letters, number_format, sheet_value
from sync.outputs.sheets.charts import rule_requests
from sync.outputs.sheets.layout import SheetInfo, TabPlan, plan_tabs, stable_id
from sync.outputs.sheets.writer import format_requests, value_ranges
from sync.outputs.workbook import CellValue
from tests.fixtures.sheets.builders import dashboard_tab, workbook
from tests.fixtures.sheets.discovery import problems


def test_every_body_of_a_first_and_a_later_publish_is_valid() -> None:
    """Formatting and values batches match the discovery document's schemas exactly."""
    plans = plan_tabs(workbook(), {})
    assert problems({"requests": format_requests(plans)}, "BatchUpdateSpreadsheetRequest") == []
    body = {
        "valueInputOption": "RAW",
        "data": value_ranges(plans),
        "includeValuesInResponse": False,
    }
    assert problems(body, "BatchUpdateValuesRequest") == []


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (
            {
                "requests": [
                    {"addChart": {"chart": {"spec": {"basicChart": {"chartType": "LINES"}}}}}
                ]
            },
            "'LINES' is not one of",
        ),
        (
            {
                "requests": [
                    {"updateSheetProperties": {"properties": {"gridProperties": {"frozenRows": 1}}}}
                ]
            },
            "unknown property 'frozenRows'",
        ),
        ({"requests": [{"repeatCell": {"range": {"sheetId": "1"}}}]}, "'1' is not an integer"),
        ({"requests": [{"addSheet": {"properties": {"sheetId": 2**31}}}]}, "does not fit in int32"),
    ],
    ids=["bad-enum", "unknown-property", "wrong-type", "int32"],
)
def test_the_validator_catches_what_google_would_refuse(body: object, complaint: str) -> None:
    """The validator is strict: enums, property names, types and int32 ranges."""
    found = problems(body, "BatchUpdateSpreadsheetRequest")
    assert any(complaint in problem for problem in found), found


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("=1+1", "=1+1"),
        (Decimal("12000.50"), 12000.5),
        (7, 7),
        (date(2026, 10, 1), 46296),
        (datetime(2026, 10, 1, 18, 0, tzinfo=UTC), 46296.75),
        (float("nan"), ""),
        ("x" * 60_000, "x" * 50_000),
    ],
    ids=["none", "formula-text", "decimal", "int", "date", "instant", "nan", "long-text"],
)
def test_values_are_written_raw_as_sheets_stores_them(value: CellValue, expected: object) -> None:
    """Empty is "", numbers are numbers, dates are serial days, text is never parsed."""
    assert sheet_value(value) == expected


def test_ranges_quote_tab_names_and_count_columns_past_z() -> None:
    """A1 ranges double quotes in tab names; column 27 is AA, 703 is AAA."""
    assert a1_range("Sales performance", 10, 3) == "'Sales performance'!A1:C10"
    assert a1_range("Ada's", 1, 1) == "'Ada''s'!A1:A1"
    assert [column_letters(n) for n in (1, 26, 27, 703)] == ["A", "Z", "AA", "AAA"]


def test_currency_shows_its_code_like_the_xlsx() -> None:
    """Money reads `#,##0.00 "EUR"` in both outputs, whatever the spreadsheet's locale."""
    assert number_format("currency:EUR") == {"type": "CURRENCY", "pattern": '#,##0.00 "EUR"'}
    assert number_format("percent") == {"type": "PERCENT", "pattern": "0.0%"}


@pytest.mark.parametrize(
    ("held", "expected"),
    [
        (0, ["addConditionalFormatRule"]),
        (1, ["updateConditionalFormatRule"]),
        (
            3,
            [
                "updateConditionalFormatRule",
                "deleteConditionalFormatRule",
                "deleteConditionalFormatRule",
            ],
        ),
    ],
    ids=["none-yet", "one", "surplus"],
)
def test_rules_are_updated_by_index_and_surplus_ones_deleted_from_the_last(
    held: int, expected: list[str]
) -> None:
    """The tab ends with exactly the model's rules, whatever it held before."""
    tab = dashboard_tab()
    existing = SheetInfo(
        sheet_id=5,
        title=tab.name,
        index=0,
        rows=40,
        columns=5,
        chart_ids=(),
        rules=held,
        filtered=False,
    )
    plan = TabPlan(
        tab=tab,
        sheet_id=5,
        index=0,
        existing=existing if held else None,
        rows=40,
        columns=5,
        chart_ids=(1,),
    )
    requests = list(rule_requests(plan))
    assert [next(iter(request)) for request in requests] == expected
    deleted = [
        r["deleteConditionalFormatRule"]["index"]
        for r in requests
        if "deleteConditionalFormatRule" in r
    ]
    assert deleted == sorted(deleted, reverse=True)


def test_ids_are_stable_and_avoid_those_taken() -> None:
    """The same name gives the same id; a taken id moves to the next free one."""
    first = stable_id("crm-kpi-sync tab KPIs", set())
    assert stable_id("crm-kpi-sync tab KPIs", set()) == first
    taken = {first}
    assert stable_id("crm-kpi-sync tab KPIs", taken) == first + 1
    assert 0 < first < 2**31


def test_a_chart_id_taken_on_another_tab_is_not_reused() -> None:
    """A user's chart elsewhere with our id pushes ours to another; on our tab it is reused."""
    book = workbook()
    [ours] = plan_tabs(book, {})[0].chart_ids
    elsewhere = SheetInfo(
        sheet_id=1,
        title="Mine",
        index=0,
        rows=10,
        columns=2,
        chart_ids=(ours,),
        rules=0,
        filtered=False,
    )
    assert plan_tabs(book, {"Mine": elsewhere})[0].chart_ids != (ours,)
    on_dashboard = replace(elsewhere, title="Dashboard")
    assert plan_tabs(book, {"Dashboard": on_dashboard})[0].chart_ids == (ours,)
