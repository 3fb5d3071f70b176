"""The report tabs as both writers render them: the .xlsx cells and the Sheets requests."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import openpyxl

from kpis.dataset import Dataset
from kpis.reports.before_after import before_after
from sync.outputs.report_tabs import before_after_tab
from sync.outputs.sheets.layout import plan_tabs
from sync.outputs.sheets.writer import format_requests
from sync.outputs.workbook import Tab, Workbook
from sync.outputs.xlsx import write_xlsx
from tests.fixtures.sheets.discovery import problems
from tests.kpi_builders import at, deal, details, settings

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


def _tab() -> Tab:
    return before_after_tab(before_after(DATA, settings(), date(2026, 8, 1), 6, NOW))


def _win_rate_row(tab: Tab) -> int:
    return next(i for i, row in enumerate(tab.rows) if row[0] == "Win rate")


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
    row = _win_rate_row(tab) + 1
    formats = [
        r["repeatCell"]
        for r in requests
        if "repeatCell" in r and "numberFormat" in json.dumps(r["repeatCell"]["cell"])
    ]
    (change,) = [
        f
        for f in formats
        if f["range"].get("startColumnIndex") == 4
        and f["range"]["startRowIndex"] <= row < f["range"]["endRowIndex"]
    ]
    assert change["cell"]["userEnteredFormat"]["numberFormat"] == {
        "type": "NUMBER",
        "pattern": POINTS,
    }
