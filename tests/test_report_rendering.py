"""The report tabs as both writers render them: the .xlsx cells and the Sheets requests."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl

from kpis.dataset import Dataset
from kpis.periods import parse_period
from kpis.reports.before_after import before_after
from kpis.reports.lost_deals import lost_deals
from sync.outputs.before_after_tab import before_after_tab
from sync.outputs.report_tabs import lost_deals_tab
from sync.outputs.sheets.layout import plan_tabs
from sync.outputs.sheets.writer import format_requests
from sync.outputs.workbook import Tab, Workbook
from sync.outputs.xlsx import write_xlsx
from tests.fixtures.sheets.discovery import problems
from tests.kpi_builders import BERLIN, at, deal, details, settings

NOW = at("2026-10-15T10:00Z")
POINTS = '+0.0 "pp";-0.0 "pp";0.0 "pp"'
# win rate 0 of 1 before go-live, 1 of 2 after: +50 points
DATA = Dataset(
    deals=[
        details(deal("l-before", lost="2026-05-01"), reason="Price"),
        deal("w-after", won="2026-09-01"),
        details(deal("l-after", lost="2026-09-02"), reason="Price"),
    ]
)


USD_LOST = Dataset(
    deals=[
        details(deal("lost-usd", lost="2026-10-05", amount="200", currency="USD"), reason="Price")
    ]
)


def _tab() -> Tab:
    return before_after_tab(before_after(DATA, settings(), date(2026, 8, 1), 6, NOW))


def _lost_tab() -> Tab:
    return lost_deals_tab(
        lost_deals(USD_LOST, parse_period("2026-10", BERLIN), settings(rates={"USD": "0.92"}))
    )


def _win_rate_row(tab: Tab) -> int:
    return next(i for i, row in enumerate(tab.rows) if row[0] == "Win rate")


def _number_format_at(requests: list[dict[str, Any]], row: int, column: int) -> object:
    """The number format the formatting batch gives one cell (0-based, header row 0)."""
    (found,) = [
        r["repeatCell"]["cell"]["userEnteredFormat"]["numberFormat"]
        for r in requests
        if "numberFormat" in json.dumps(r.get("repeatCell", {}).get("cell", {}))
        and r["repeatCell"]["range"].get("startColumnIndex") == column
        and r["repeatCell"]["range"]["startRowIndex"]
        <= row
        < r["repeatCell"]["range"]["endRowIndex"]
    ]
    return found


def test_xlsx_shows_a_rate_change_in_signed_points(tmp_path: Path) -> None:
    """The .xlsx change cell of a rate holds 50.0 with the signed points format."""
    tab = _tab()
    path = tmp_path / "kpis.xlsx"
    write_xlsx(Workbook(tabs=(tab,)), path)
    # the header is sheet row 1, data row i is sheet row i + 2; change is column E
    cell = openpyxl.load_workbook(path)["Before vs after"][f"E{_win_rate_row(tab) + 2}"]
    assert (cell.value, cell.data_type, cell.number_format) == (50.0, "n", POINTS)


def test_sheets_requests_show_a_rate_change_in_signed_points() -> None:
    """The Sheets formatting batch gives the rate's change cell the same pattern, validly."""
    tab = _tab()
    requests = format_requests(plan_tabs(Workbook(tabs=(tab,)), {}))
    assert problems({"requests": requests}, "BatchUpdateSpreadsheetRequest") == []
    assert _number_format_at(requests, _win_rate_row(tab) + 1, 4) == {
        "type": "NUMBER",
        "pattern": POINTS,
    }


def _lost_usd_row(tab: Tab) -> int:
    return next(i for i, row in enumerate(tab.rows) if row[0] == "lost-usd")


def test_xlsx_lists_a_deal_amount_in_its_currency_beside_its_code(tmp_path: Path) -> None:
    """The .xlsx list row holds the code as text, the amount in USD, the value in EUR."""
    tab = _lost_tab()
    path = tmp_path / "kpis.xlsx"
    write_xlsx(Workbook(tabs=(tab,)), path)
    row = openpyxl.load_workbook(path)["Lost deals"][_lost_usd_row(tab) + 2]
    assert [(c.value, c.number_format) for c in row[3:6]] == [
        ("USD", "@"),
        (200, '#,##0.00 "USD"'),
        (184, '#,##0.00 "EUR"'),
    ]


def test_sheets_requests_list_a_deal_amount_in_its_currency() -> None:
    """The Sheets batch formats the listed amount in USD and the value beside it in EUR."""
    tab = _lost_tab()
    requests = format_requests(plan_tabs(Workbook(tabs=(tab,)), {}))
    assert problems({"requests": requests}, "BatchUpdateSpreadsheetRequest") == []
    row = _lost_usd_row(tab) + 1
    assert [_number_format_at(requests, row, column) for column in (4, 5)] == [
        {"type": "CURRENCY", "pattern": '#,##0.00 "USD"'},
        {"type": "CURRENCY", "pattern": '#,##0.00 "EUR"'},
    ]
