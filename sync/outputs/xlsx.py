"""The local .xlsx output: renders a `Workbook` with openpyxl, and reads a tab back.

The tabs the model holds are replaced whole on every write, so a rerun never duplicates rows
or charts; every other tab (a user's own sheets) is kept with its contents, and so is a
`create_only` tab (the team's Inputs) once it exists. openpyxl
does not round-trip everything a spreadsheet program can add: images, charts and shapes on
those other tabs are lost, and formulas lose their cached results until the file is next
saved by a spreadsheet program.

The file is replaced atomically: the workbook is saved to a temporary file in the same
folder, flushed to disk, then moved over the old one, so a crash leaves either the old
workbook or the new one.

An existing file at the path that is not a workbook (empty, not a zip archive, or one that
openpyxl cannot open) is never overwritten or read past, since it may be the team's own file
under the wrong name: `WorkbookError` says which file and why. A publish meets it when it
reads the Inputs tab, before it computes anything.
"""

from __future__ import annotations

import os
import shutil
import uuid
import warnings
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TypeAlias

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.text import RichText
from openpyxl.comments import Comment
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RichTextProperties,
)
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from connectors.errors import RunFailure
from sync.outputs.widths import TIMES
from sync.outputs.workbook import (
    HIGHLIGHT_COLOUR,
    STYLE_COLOURS,
    WATERFALL_COLOURS,
    CellValue,
    Chart,
    FormatKind,
    Tab,
    WaterfallChart,
    Workbook,
    parse_format,
)
from sync.outputs.xlsx_sparklines import add_sparklines
from sync.private import private_file, private_folder

ExcelValue: TypeAlias = str | int | float | date | datetime | None
Saver: TypeAlias = Callable[[openpyxl.Workbook, Path], None]

PATTERNS: dict[FormatKind, str] = {
    "percent": "0.0%",
    # a change of a percent in percentage points, signed: +2.5 pp
    "points": '+0.0 "pp";-0.0 "pp";0.0 "pp"',
    # how many times a figure covers another, 2.3 followed by the sign
    "multiple": f'0.0"{TIMES}"',
    "days": "0.0",
    "hours": "0.0",
    "integer": "#,##0",
    "number": "#,##0.00",
    "date": "yyyy-mm-dd",
    # Excel has no time zones: instants are written as UTC wall time and say so
    "datetime": 'yyyy-mm-dd hh:mm:ss "UTC"',
    "text": "@",
}


def _fill(rgb: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)


HIGHLIGHT = _fill(HIGHLIGHT_COLOUR)

STYLE_FILLS: dict[str, PatternFill] = {
    style: _fill(colour) for style, colour in STYLE_COLOURS.items()
}
CHART_HEIGHT_CM = 8.5  # CHART_ROWS sheet rows of the default 15 pt, less a gap
CHART_WIDTH_CM = 18
NOTE_AUTHOR = "crm-kpi-sync"
# x labels at 45 degrees (rot is in 60000ths of a degree), so a dozen months never wrap
SLANTED_LABELS = RichText(
    bodyPr=RichTextProperties(rot=-2_700_000, vert="horz"),
    p=[Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties()), endParaRPr=None)],
)
# bottom, as every other cell: a wrapped heading sits on its figures, level with its row
WRAP = Alignment(wrap_text=True, vertical="bottom")
LINE_POINTS = 15  # the default row height: one line of the default font


class WorkbookError(RunFailure):
    """The file at the workbook path cannot be read as a workbook; `detail` and `fix` say why."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.detail = f"xlsx.path: {path} {reason}"
        self.fix = (
            "move it away (the next publish writes a new workbook) or point xlsx.path elsewhere"
        )
        super().__init__(f"{self.detail}; {self.fix}")


def open_workbook(path: Path, *, read_only: bool = False) -> openpyxl.Workbook:
    """The existing workbook at `path`; `WorkbookError` when the file is not one."""
    try:
        if path.is_dir():
            raise WorkbookError(path, "is a folder, not a workbook")
        size = path.stat().st_size
        if size == 0:
            raise WorkbookError(path, "is empty (0 bytes), not a workbook")
        if not zipfile.is_zipfile(path):
            raise WorkbookError(path, "is not a workbook (not a zip archive, as every .xlsx is)")
    except OSError as exc:
        raise WorkbookError(path, f"cannot be read: {exc.strerror}") from None
    try:
        with warnings.catch_warnings():
            # the sparklines this tool wrote: dropped here, written again with their tab
            warnings.filterwarnings("ignore", "Sparkline Group extension is not supported")
            if read_only:
                return openpyxl.load_workbook(path, read_only=True, data_only=True)
            return openpyxl.load_workbook(path, rich_text=True)
    # a damaged archive fails deep inside openpyxl with KeyError, a zip or an XML error,
    # whichever part is missing; to the user each means the same thing
    except Exception as exc:
        raise WorkbookError(
            path, f"is a zip archive openpyxl cannot open as a workbook ({_reason(exc)})"
        ) from None


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def number_format(fmt: str) -> str:
    """The Excel number format of a semantic format; currency shows its ISO code."""
    kind, code = parse_format(fmt)
    if kind == "currency":
        return f'#,##0.00 "{code}"'
    if kind == "whole_currency":
        return f'#,##0 "{code}"'
    return PATTERNS[kind]


def save_book(book: openpyxl.Workbook, path: Path) -> None:
    """Write the openpyxl workbook to `path`; the seam tests replace to fail mid-save."""
    book.save(path)


def write_xlsx(workbook: Workbook, path: Path, *, save: Saver = save_book) -> None:
    """Replace the model's tabs in the .xlsx at `path` (created when missing), keep the rest."""
    book = open_workbook(path) if path.exists() else _empty_book()
    private_folder(path.parent)
    written: list[tuple[Tab, Worksheet]] = []
    for tab in workbook.tabs:
        if tab.create_only and tab.name in book.sheetnames:
            continue
        sheet = _fresh_sheet(book, tab.name)
        _render(tab, sheet)
        written.append((tab, sheet))

    def save_with_sparklines(book: openpyxl.Workbook, target: Path) -> None:
        save(book, target)
        # a sheet's part name is settled by the save that writes it
        add_sparklines(target, {sheet.path.lstrip("/"): tab for tab, sheet in written})

    _replace_atomically(book, path, save_with_sparklines)


def read_tab(path: Path, name: str) -> list[list[object]] | None:
    """The values of tab `name`, row by row; None when the file or the tab does not exist.

    Formulas read as their last computed result, as the spreadsheet program saved it.
    `WorkbookError` when the file is not a workbook.
    """
    if not path.exists():
        return None
    book = open_workbook(path, read_only=True)
    try:
        if name not in book.sheetnames:
            return None
        return [list(row) for row in book[name].iter_rows(values_only=True)]
    # read-only mode parses a tab's XML only while its rows are read
    except Exception as exc:
        raise WorkbookError(
            path, f"has a tab {name!r} openpyxl cannot read ({_reason(exc)})"
        ) from None
    finally:
        book.close()


def _empty_book() -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    for sheet in list(book.worksheets):
        book.remove(sheet)
    return book


def _fresh_sheet(book: openpyxl.Workbook, name: str) -> Worksheet:
    """An empty sheet called `name`, in the place of the old one so reruns keep tab order."""
    index = None
    if name in book.sheetnames:
        index = book.sheetnames.index(name)
        book.remove(book[name])
    sheet: Worksheet = book.create_sheet(name, index)
    return sheet


def _render(tab: Tab, sheet: Worksheet) -> None:
    for row_number, values in enumerate(tab.grid(), start=1):
        for column_number, value in enumerate(values, start=1):
            if value is not None and value != "":
                _put(sheet, row_number, column_number, value)
    for row_number in (1, *(row + 2 for row in tab.bold_rows)):
        for cell in sheet[row_number]:
            cell.font = Font(bold=True)
    patterns: dict[str, str] = {}
    for row in range(len(tab.rows)):
        for column in range(len(tab.header)):
            fmt = tab.format_at((row, column))
            pattern = patterns.setdefault(fmt, number_format(fmt))
            sheet.cell(row=row + 2, column=column + 1).number_format = pattern
    for row, column in tab.highlights:
        sheet.cell(row=row + 2, column=column + 1).fill = HIGHLIGHT
    for (row, column), style in tab.cell_styles.items():
        sheet.cell(row=row + 2, column=column + 1).fill = STYLE_FILLS[style]
    for (row, column), text in tab.cell_notes.items():
        sheet.cell(row=row + 2, column=column + 1).comment = Comment(text, NOTE_AUTHOR)
    for row, column in tab.fit.wrapped:
        sheet.cell(row=row + 2, column=column + 1).alignment = WRAP
    for row, lines in tab.fit.row_lines.items():
        sheet.row_dimensions[row + 2].height = LINE_POINTS * lines
    for column, width in enumerate(tab.column_widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    if tab.frozen_rows:
        sheet.freeze_panes = f"A{tab.frozen_rows + 1}"
    _print_setup(tab, sheet)
    if tab.autofilter:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(tab.header))}{len(tab.rows) + 1}"
    for index, chart in enumerate(tab.charts):
        row, column = tab.chart_anchor(index)
        drawn = (
            _waterfall_chart(chart, sheet)
            if isinstance(chart, WaterfallChart)
            else _line_chart(chart, sheet)
        )
        sheet.add_chart(drawn, f"{get_column_letter(column + 1)}{row + 1}")


def _print_setup(tab: Tab, sheet: Worksheet) -> None:
    """Landscape, one page wide and as many pages long as it takes, the header on each page.

    fitToHeight 0 leaves the page count down the sheet free (ECMA-376 Part 1, 18.3.1.63
    pageSetup); the fit applies only with the sheet's fitToPage flag set.
    """
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    if tab.frozen_rows:
        sheet.print_title_rows = f"1:{tab.frozen_rows}"


def _line_chart(chart: Chart, sheet: Worksheet) -> LineChart:
    """A line chart whose series names come from the row above the data, as the model says."""
    line = LineChart()
    line.title = chart.title
    line.height, line.width = CHART_HEIGHT_CM, CHART_WIDTH_CM
    names_row, last_row = chart.first_row + 1, chart.last_row + 2
    for column in chart.series:
        data = Reference(sheet, min_col=column + 1, min_row=names_row, max_row=last_row)
        line.add_data(data, titles_from_data=True)
    line.set_categories(
        Reference(sheet, min_col=chart.categories + 1, min_row=names_row + 1, max_row=last_row)
    )
    # a reader may smooth a line that does not say otherwise (LibreOffice did, drawing
    # revenue below zero between two months), so every series says straight
    for series in line.series:
        series.smooth = False
    line.y_axis.number_format = number_format(chart.y_format)
    line.x_axis.txPr = SLANTED_LABELS
    # openpyxl leaves the axes' <c:delete> flag unset, and some readers then hide them;
    # Excel itself writes 0 there
    line.x_axis.delete = False
    line.y_axis.delete = False
    return line


def _waterfall_chart(chart: WaterfallChart, sheet: Worksheet) -> BarChart:
    """Stacked columns: an invisible base carries each total, rise or fall bar, since
    openpyxl writes no waterfall chart (Excel's own is a chartex part it does not know)."""
    bars = BarChart()
    bars.type, bars.grouping, bars.overlap = "col", "stacked", 100
    bars.title = chart.title
    bars.height, bars.width = CHART_HEIGHT_CM, CHART_WIDTH_CM
    names_row, last_row = chart.first_row + 1, chart.last_row + 2
    for column in (chart.base, chart.totals, chart.rises, chart.falls):
        data = Reference(sheet, min_col=column + 1, min_row=names_row, max_row=last_row)
        bars.add_data(data, titles_from_data=True)
    bars.set_categories(
        Reference(sheet, min_col=chart.categories + 1, min_row=names_row + 1, max_row=last_row)
    )
    base, *shown = bars.series
    base.graphicalProperties.noFill = True
    base.graphicalProperties.line.noFill = True
    for series, kind in zip(shown, ("total", "rise", "fall"), strict=True):
        series.graphicalProperties.solidFill = WATERFALL_COLOURS[kind]
        series.graphicalProperties.line.solidFill = WATERFALL_COLOURS[kind]
    # the base is no series a reader should look for, and the colours say the rest
    bars.legend = None
    bars.gapWidth = 60
    bars.y_axis.number_format = number_format(chart.y_format)
    bars.x_axis.delete = False
    bars.y_axis.delete = False
    return bars


def _put(sheet: Worksheet, row: int, column: int, value: CellValue) -> None:
    cell = sheet.cell(row=row, column=column, value=_excel_value(value))
    # openpyxl turns any text starting with "=" into a formula; CRM names are never formulas
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"


def _excel_value(value: CellValue) -> ExcelValue:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError(f"{value.isoformat()} has no UTC offset")
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, str):
        # control characters make openpyxl refuse the whole workbook
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _replace_atomically(book: openpyxl.Workbook, path: Path, save: Saver) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        # owner-only before a byte is written; a workbook already there keeps its mode
        private_file(temporary)
        save(book, temporary)
        with temporary.open("r+b") as written:
            os.fsync(written.fileno())
        if path.exists():
            shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
