"""The Dashboard's promises as both writers render them: straight lines, whole-money axes,
slanted x labels, sparklines, good/bad colours (the .xlsx XML and the Sheets bodies)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kpis.results import Unit
from sync.outputs.dashboard.cells import change
from sync.outputs.dashboard.tabs import GOALS_HEADER, goals_tab
from sync.outputs.sheets.charts import chart_spec, status_rules
from sync.outputs.sheets.layout import plan_tabs
from sync.outputs.sheets.writer import format_requests, value_ranges
from sync.outputs.workbook import Tab, Workbook
from sync.outputs.xlsx import write_xlsx
from tests.fixtures.sheets.discovery import problems
from tests.test_dashboard_tabs import _dashboard, _find, _goal, _row

COVERAGE_COLUMNS = (GOALS_HEADER.index("coverage"), GOALS_HEADER.index("weighted_coverage"))
TIMES_PATTERN = '0.0"\N{MULTIPLICATION SIGN}"'


def _xlsx(tmp_path: Path, tab: Tab) -> dict[str, str]:
    path = tmp_path / "kpis.xlsx"
    write_xlsx(Workbook(tabs=(tab,)), path)
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def _charts(parts: dict[str, str]) -> list[str]:
    return [xml for name, xml in parts.items() if name.startswith("xl/charts/chart")]


def test_xlsx_series_are_never_smoothed(tmp_path: Path) -> None:
    """Every series of every chart says smooth 0."""
    charts = _charts(_xlsx(tmp_path, _dashboard()))
    assert charts
    for xml in charts:
        series = re.findall(r"<ser>.*?</ser>", xml)
        assert series
        assert all(re.search(r'<smooth val="0"\s*/>', one) for one in series)


def test_xlsx_axes_show_whole_money_and_slanted_labels(tmp_path: Path) -> None:
    """A money chart's y axis has no cents; x labels are turned 45 degrees."""
    charts = _charts(_xlsx(tmp_path, _dashboard()))
    money = [xml for xml in charts if "EUR" in xml]
    assert money
    assert all('formatCode="#,##0 &quot;EUR&quot;"' in xml for xml in money)
    assert all('rot="-2700000"' in xml for xml in charts)


def test_xlsx_sparklines_sit_in_the_trend_cells(tmp_path: Path) -> None:
    """One x14 sparkline per headline row, drawn from its complete months."""
    tab = _dashboard()
    sheet = _xlsx(tmp_path, tab)["xl/worksheets/sheet1.xml"]
    found = re.findall(r"<xm:f>([^<]*)</xm:f><xm:sqref>([^<]*)</xm:sqref>", sheet)
    close = _find(tab, "Close rate")
    first, partial = _find(tab, "2025-09"), _find(tab, "2026-10 (to date)")
    assert len(found) == len(tab.sparklines)
    assert ("'Dashboard'!B" + f"{first + 2}:B{partial + 1}", f"I{close + 2}") in found


def test_xlsx_rewrite_keeps_one_set_of_sparklines(tmp_path: Path) -> None:
    """A second write over the same file replaces the sparklines rather than adding more."""
    tab = _dashboard()
    _xlsx(tmp_path, tab)
    sheet = _xlsx(tmp_path, tab)["xl/worksheets/sheet1.xml"]
    assert sheet.count("<x14:sparkline>") == len(tab.sparklines)
    assert sheet.count("<extLst>") == 1


def test_sheets_charts_say_no_smoothing() -> None:
    """Every Sheets chart sets lineSmoothing false."""
    tab = _dashboard()
    assert all(chart_spec(c, 1)["basicChart"]["lineSmoothing"] is False for c in tab.charts)


def test_sheets_sparklines_are_formulas_the_values_batch_keeps() -> None:
    """The formatting batch writes =SPARKLINE over the complete months; the values batch
    sends null there, so the formula stays."""
    tab = _dashboard()
    plans = plan_tabs(Workbook(tabs=(tab,)), {})
    close = _find(tab, "Close rate")
    first, partial = _find(tab, "2025-09"), _find(tab, "2026-10 (to date)")
    formulas = {
        (
            r["updateCells"]["range"]["startRowIndex"],
            r["updateCells"]["range"]["startColumnIndex"],
        ): r["updateCells"]["rows"][0]["values"][0]["userEnteredValue"]["formulaValue"]
        for r in format_requests(plans)
        if "userEnteredValue" in r.get("updateCells", {}).get("fields", "")
    }
    assert (
        formulas[(close + 1, 8)]
        == f'=SPARKLINE(B{first + 2}:B{partial + 1},{{"charttype","line"}})'
    )
    assert len(formulas) == len(tab.sparklines)
    (values,) = value_ranges(plans)
    assert values["values"][close + 1][8] is None
    assert values["values"][close + 1][0] == "Close rate"


def test_sheets_bodies_with_the_dashboard_are_valid() -> None:
    """The Dashboard's requests (fills, formulas, charts) match the discovery document."""
    plans = plan_tabs(Workbook(tabs=(_dashboard(),)), {})
    assert problems({"requests": format_requests(plans)}, "BatchUpdateSpreadsheetRequest") == []
    body = {"valueInputOption": "RAW", "data": value_ranges(plans)}
    assert problems(body, "BatchUpdateValuesRequest") == []


def test_sheets_colours_good_and_bad_as_fixed_fills() -> None:
    """A good change is filled green, a bad one red, with no conditional rule for either."""
    tab = _dashboard()
    plans = plan_tabs(Workbook(tabs=(tab,)), {})
    churn = _find(tab, "Customer churn rate")
    fills = {
        (
            r["repeatCell"]["range"].get("startRowIndex"),
            r["repeatCell"]["range"].get("startColumnIndex"),
        ): r["repeatCell"]["cell"]["userEnteredFormat"]["backgroundColor"]
        for r in format_requests(plans)
        if r.get("repeatCell", {}).get("fields") == "userEnteredFormat.backgroundColor"
    }
    assert fills[(churn + 1, 5)] == {"red": 1.0, "green": 0.7804, "blue": 0.8078}
    assert status_rules(tab, 1) == []


def _goals() -> Tab:
    return goals_tab([_goal(), _goal(kpi="close_rate", coverage=None)], currency="EUR")


def test_xlsx_goal_coverage_reads_as_a_multiple(tmp_path: Path) -> None:
    """The .xlsx keeps the coverages as numbers shown as multiples; a rate goal's are empty."""
    path = tmp_path / "kpis.xlsx"
    write_xlsx(Workbook(tabs=(_goals(),)), path)
    sheet = openpyxl.load_workbook(path)["Goals"]
    cells = [sheet.cell(row=2, column=c + 1) for c in COVERAGE_COLUMNS]
    assert [(c.value, c.number_format) for c in cells] == [
        (2.3, TIMES_PATTERN),
        (0.8, TIMES_PATTERN),
    ]
    assert [sheet.cell(row=3, column=c + 1).value for c in COVERAGE_COLUMNS] == [None, None]


def test_sheets_goal_coverage_reads_as_a_multiple() -> None:
    """Sheets gets the same pattern on both coverage columns and the numbers as numbers."""
    plans = plan_tabs(Workbook(tabs=(_goals(),)), {})
    patterns = {
        r["repeatCell"]["range"]["startColumnIndex"]: r["repeatCell"]["cell"]["userEnteredFormat"][
            "numberFormat"
        ]
        for r in format_requests(plans)
        if r.get("repeatCell", {}).get("fields") == "userEnteredFormat.numberFormat"
        and r["repeatCell"]["range"]["startRowIndex"] == 1
    }
    assert [patterns[c] for c in COVERAGE_COLUMNS] == [
        {"type": "NUMBER", "pattern": TIMES_PATTERN},
        {"type": "NUMBER", "pattern": TIMES_PATTERN},
    ]
    (values,) = value_ranges(plans)
    assert [values["values"][1][c] for c in COVERAGE_COLUMNS] == [2.3, 0.8]
    assert [values["values"][2][c] for c in COVERAGE_COLUMNS] == ["", ""]
    body = {"requests": format_requests(plans)}
    assert problems(body, "BatchUpdateSpreadsheetRequest") == []


@pytest.mark.parametrize(
    ("unit", "now", "before", "text"),
    [
        ("ratio", 0.1204, 0.12, "0.0 pp"),  # rounds to no change: no arrow
        ("currency", 500, 0, "▲ +500 EUR"),  # from nothing: the amount, no percent
        ("days", 3.0, 0.0, "▲ +3.0 days"),
        ("score", -5, 5, "▼ -10 pts"),
    ],
    ids=["rate-flat", "money-from-zero", "days-from-zero", "nps-down"],
)
def test_change_text(unit: Unit, now: float, before: float, text: str) -> None:
    """Changes read in points for rates and NPS, in the unit itself from a zero base."""
    kpi = {"ratio": "close_rate", "currency": "net_new_revenue", "days": "sales_cycle_days"}
    key = kpi.get(unit, "nps")
    shown = change(key, _row(key, "2026-09", now, unit), _row(key, "2026-08", before, unit), "EUR")
    assert shown.text == text
