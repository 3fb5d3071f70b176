"""Every tab of the demo workbook fits, freezes its header and prints one page wide.

The demo is synced at a fixed instant, published to an .xlsx, and planned for Google Sheets;
the checks read the written workbook back with openpyxl and the Sheets request bodies, and
judge what a cell shows from the number format the writer actually set.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sync.config import load_config
from sync.outputs.publication import prepare, workbook
from sync.outputs.sheets.cells import pixels
from sync.outputs.sheets.formatting import LINE_PIXELS, sheet_requests
from sync.outputs.sheets.layout import plan_tabs
from sync.outputs.workbook import Tab, Workbook
from sync.outputs.xlsx import LINE_POINTS, write_xlsx
from sync.run import kpi_settings, report_periods, run_sync
from sync.store import Store
from tests.fixtures.sheets.discovery import problems, schemas

XlsxCell = Cell | MergedCell
NOW = datetime(2026, 11, 18, 6, 0, tzinfo=UTC)
CONFIG = """
[store]
path = "crmkpi.db"
[reporting]
timezone = "Europe/Berlin"
currency = "EUR"
periods = ["month", "quarter"]
history_periods = 12
crm_go_live = 2026-06-01
comparison_months = 3
[currency.rates]
USD = 0.92
GBP = 1.16
[connectors.demo]
seed = 7
scale = 0.4
[xlsx]
path = "kpis.xlsx"
[[goals]]
name = "Close rate 25 % by year end"
kpi = "close_rate"
target = 0.25
start = 2026-07-01
due = 2027-01-01
[[goals]]
name = "Net new revenue 2 M this year"
kpi = "net_new_revenue"
target = 2000000
start = 2026-01-01
due = 2027-01-01
"""


@dataclass(frozen=True)
class Demo:
    model: Workbook
    xlsx: openpyxl.Workbook
    requests: dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    folder = tmp_path_factory.mktemp("demo")
    (folder / "crmkpi.toml").write_text(CONFIG, encoding="utf-8")
    config = load_config(folder / "crmkpi.toml")
    with Store.open(config.store_path) as store:
        run_sync(config, store, full=True, clock=lambda: NOW)
        data = store.load_dataset(contacts="customers", sources=config.connectors.names)
    settings = kpi_settings(config, now=NOW)
    model = workbook(prepare(config, data, settings, report_periods(config, NOW), NOW))
    requests = {plan.tab.name: sheet_requests(plan) for plan in plan_tabs(model, {})}
    return Demo(model, openpyxl.load_workbook(folder / "kpis.xlsx"), requests)


TABS = (
    "Dashboard",
    "KPIs",
    "Goals",
    "Pipeline",
    "Pipeline changes",
    "Sales performance",
    "Lost deals",
    "Forecast",
    "Before vs after",
    "Inputs",
)


def test_the_demo_has_every_tab(demo: Demo) -> None:
    """The checks below cover every tab the demo publishes."""
    assert tuple(demo.xlsx.sheetnames) == TABS


def _excel_text(cell: XlsxCell) -> str:
    """What a cell shows under the number format the writer set: a reading of the pattern
    independent of the model's own."""
    value, pattern = cell.value, cell.number_format
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S} UTC" if "hh" in pattern else f"{value:%Y-%m-%d}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) or pattern in ("@", "General"):
        return str(value)
    assert isinstance(value, int | float)
    # positive;negative;zero sections: a section of its own writes the sign as a literal
    sections = pattern.split(";")
    section = (
        0 if value > 0 or len(sections) == 1 else 1 if value < 0 else min(2, len(sections) - 1)
    )
    number, _, suffix = sections[section].partition(" ")
    sign = number[0] if number[0] in "+-" and len(sections) > 1 else ""
    number = number.lstrip("+-") if sign else number
    shown = abs(value) if sign else value
    decimals = len(number.partition(".")[2].rstrip("%"))
    grouping = "," if number.startswith("#,##") else ""
    scaled = shown * 100 if number.endswith("%") else shown
    text = sign + f"{scaled:{grouping}.{decimals}f}" + ("%" if number.endswith("%") else "")
    return f"{text} {suffix.strip(chr(34))}" if suffix else text


def _width(sheet: Worksheet, column: int) -> float:
    return float(sheet.column_dimensions[get_column_letter(column)].width)


def _cells(sheet: Worksheet) -> Iterator[tuple[XlsxCell, bool]]:
    """Each non-empty cell, and whether it is text running over empty neighbours to its
    right."""
    for row in sheet.iter_rows():
        filled = [cell.value is not None for cell in row]
        for index, cell in enumerate(row):
            if filled[index]:
                over = isinstance(cell.value, str) and index < len(row) - 1
                yield cell, over and not any(filled[index + 1 :])


def _bold_factor(cell: XlsxCell) -> float:
    # bold letters run wider than the digits a column width counts
    return 1.1 if cell.font.b else 1.0


@pytest.mark.parametrize("name", TABS)
def test_every_cell_fits_its_column_or_wraps(demo: Demo, name: str) -> None:
    """No `###`, no cut text: each cell's shown text fits its column, a capped column's
    cells wrap, and text running over empty neighbours fits before the tab's last column."""
    sheet = demo.xlsx[name]
    widths = [_width(sheet, c) for c in range(1, sheet.max_column + 1)]
    too_narrow = []
    for cell, spills in _cells(sheet):
        need = math.ceil(len(_excel_text(cell)) * _bold_factor(cell)) + 1
        if spills:
            room = sum(widths[cell.column - 1 :])
        elif cell.alignment.wrap_text:
            continue
        else:
            room = widths[cell.column - 1]
        if need > room:
            too_narrow.append((cell.coordinate, _excel_text(cell), room))
    assert too_narrow == []


def test_the_same_cells_wrap_in_sheets(demo: Demo) -> None:
    """The cells that wrap in the .xlsx (sheet rows, header 0) wrap in Sheets."""
    wrapped = {
        (name, cell.row - 1, cell.column - 1)
        for name in TABS
        for cell, _ in _cells(demo.xlsx[name])
        if cell.alignment.wrap_text
    }
    assert wrapped == _sheets_wrapped(demo.requests)


def _sheets_wrapped(requests: dict[str, list[dict[str, Any]]]) -> set[tuple[str, int, int]]:
    """The (tab, sheet row, column) of every cell a Sheets request makes wrap."""
    return {
        (name, row, area["startColumnIndex"])
        for name, batch in requests.items()
        for request in batch
        if request.get("repeatCell", {}).get("cell", {}).get("userEnteredFormat", {})
        == {"wrapStrategy": "WRAP"}
        for area in (request["repeatCell"]["range"],)
        for row in range(area["startRowIndex"], area["endRowIndex"])
    }


def test_a_long_reason_wraps_alike_in_both_writers(tmp_path: Path) -> None:
    """A column capped for a long reason wraps its text cells in the .xlsx and in Sheets."""
    reason = "Chose a competitor after a long evaluation of both offers and a pilot " * 2
    tab = Tab(
        name="Lost deals",
        header=("reason", "deals"),
        rows=((reason, 3), ("price", 1), (None, 2)),
        column_formats=("text", "integer"),
    )
    write_xlsx(Workbook(tabs=(tab,)), tmp_path / "k.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "k.xlsx")["Lost deals"]
    in_xlsx = {(c.row - 1, c.column - 1) for c, _ in _cells(sheet) if c.alignment.wrap_text}
    (plan,) = plan_tabs(Workbook(tabs=(tab,)), {})
    in_sheets = {
        (row, column) for name, row, column in _sheets_wrapped({"Lost deals": sheet_requests(plan)})
    }
    assert in_xlsx == in_sheets == {(1, 0), (2, 0)}
    assert problems({"requests": sheet_requests(plan)}, "BatchUpdateSpreadsheetRequest") == []


@pytest.mark.parametrize("name", TABS)
def test_the_sheets_requests_are_valid(demo: Demo, name: str) -> None:
    """Every request the demo's tabs make fits Google's own schema."""
    body = {"requests": demo.requests[name]}
    assert problems(body, "BatchUpdateSpreadsheetRequest") == []


def _sheets_pixels(requests: list[dict[str, Any]], dimension: str = "COLUMNS") -> list[int]:
    found: dict[int, int] = {}
    for request in requests:
        update = request.get("updateDimensionProperties")
        if update is not None and update["range"]["dimension"] == dimension:
            for index in range(update["range"]["startIndex"], update["range"]["endIndex"]):
                found[index] = update["properties"]["pixelSize"]
    return [found[index] for index in sorted(found)]


@pytest.mark.parametrize("name", TABS)
def test_sheets_gets_the_same_widths_as_the_xlsx(demo: Demo, name: str) -> None:
    """Every column of every tab is sized in Sheets from the widths the .xlsx has."""
    sheet = demo.xlsx[name]
    widths = [round(_width(sheet, c)) for c in range(1, sheet.max_column + 1)]
    assert _sheets_pixels(demo.requests[name]) == [pixels(width) for width in widths]


@pytest.mark.parametrize("name", TABS)
def test_every_tab_prints_landscape_one_page_wide_with_its_header(demo: Demo, name: str) -> None:
    """Landscape, fit to one page across and any number down, the header row on each page."""
    sheet = demo.xlsx[name]
    setup = sheet.page_setup
    assert sheet.sheet_properties.pageSetUpPr is not None
    assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == "$1:$1"


@pytest.mark.parametrize("name", TABS)
def test_every_tab_freezes_its_header(demo: Demo, name: str) -> None:
    """The header row stays in view in the .xlsx and in Sheets."""
    assert demo.xlsx[name].freeze_panes == "A2"
    first = demo.requests[name][0]["addSheet"]["properties"]["gridProperties"]
    assert first["frozenRowCount"] == 1


def _kpi_cells(demo: Demo, column: str) -> Iterator[tuple[XlsxCell, str]]:
    sheet = demo.xlsx["KPIs"]
    header = [cell.value for cell in sheet[1]]
    unit = header.index("unit")
    index = header.index(column)
    for row in sheet.iter_rows(min_row=2):
        if row[index].value is not None:
            yield row[index], str(row[unit].value)


def test_whole_counts_show_as_integers(demo: Demo) -> None:
    """Each count value, sample size and count numerator or denominator shows no decimals."""
    counts = [
        cell
        for column in ("value", "n", "numerator", "denominator")
        for cell, unit in _kpi_cells(demo, column)
        if isinstance(cell.value, int) and (column != "value" or unit == "count")
    ]
    assert counts
    assert {cell.number_format for cell in counts} == {"#,##0"}


@pytest.mark.parametrize("name", TABS)
def test_sheets_gets_the_same_number_formats_as_the_xlsx(demo: Demo, name: str) -> None:
    """Each data cell has one pattern in both outputs: counts are integers in Sheets too."""
    rows = len(demo.model.tab(name).rows)
    in_sheets = {
        (row, area["startColumnIndex"]): request["repeatCell"]["cell"]["userEnteredFormat"][
            "numberFormat"
        ]["pattern"]
        for request in demo.requests[name]
        if "numberFormat"
        in request.get("repeatCell", {}).get("cell", {}).get("userEnteredFormat", {})
        for area in (request["repeatCell"]["range"],)
        for row in range(area["startRowIndex"], min(area["endRowIndex"], rows + 1))
    }
    sheet = demo.xlsx[name]
    in_xlsx = {
        (row, column): sheet.cell(row=row + 1, column=column + 1).number_format
        for row, column in in_sheets
    }
    assert in_sheets == in_xlsx


def test_the_sheets_api_has_no_print_settings() -> None:
    """docs/sheets.md says Sheets cannot take a print setup: the v4 discovery document has no
    page or print property on a sheet, so the writer sets none."""
    properties = {
        name.lower()
        for schema in ("SheetProperties", "GridProperties", "SpreadsheetProperties")
        for name in schemas()[schema]["properties"]
    }
    assert not {p for p in properties if "print" in p or "page" in p or "orient" in p}


@pytest.mark.parametrize("name", TABS)
def test_a_row_with_wrapped_text_is_as_tall_as_its_lines_in_both(demo: Demo, name: str) -> None:
    """A row whose wrapped cell needs more lines is made that tall, alike in .xlsx and Sheets;
    every other row is one line."""
    sheet = demo.xlsx[name]
    tall = {
        row: sheet.row_dimensions[row].height / LINE_POINTS
        for row in range(1, sheet.max_row + 1)
        if sheet.row_dimensions[row].height
    }
    # the Dashboard's trend tables wrap their long KPI labels: the check is never empty there
    assert tall or name != "Dashboard"
    heights = _sheets_pixels(demo.requests[name], "ROWS")
    assert {i + 1: h / LINE_PIXELS for i, h in enumerate(heights) if h != LINE_PIXELS} == tall
    for row in tall:
        assert any(cell.alignment.wrap_text for cell in sheet[row]), row
