"""The spreadsheet as a pure model: tabs of typed cells with semantic formats.

Every output format (the local .xlsx, Google Sheets) renders the same `Workbook`, so what a
tab shows is decided here once. Formats are semantic (`"percent"`, `"currency:EUR"`, ...)
and each writer maps them to its own patterns.

Coordinates: a `Cell` is `(row, column)`, 0-based, where row 0 is the first data row under
the header. In the sheet the header is row 0, the data rows follow, then one blank row, then
the tab's note lines in the first column (`Tab.grid()` lays this out for every writer).
Charts sit under the grid, one below the other (`Tab.chart_anchor()`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Literal, TypeAlias, get_args

from kpis.goals import GOAL_STATUSES
from kpis.results import Number, Unit
from sync.outputs.widths import Fit, fit_columns

CellValue: TypeAlias = str | int | float | Decimal | date | datetime | None
Cell: TypeAlias = tuple[int, int]
FormatKind: TypeAlias = Literal[
    "percent",
    "points",
    "multiple",
    "currency",
    "whole_currency",
    "days",
    "hours",
    "integer",
    "number",
    "date",
    "datetime",
    "text",
]
# kinds that carry an ISO 4217 code after the colon: amounts with cents and without
MONEY_KINDS: frozenset[str] = frozenset({"currency", "whole_currency"})
FORMAT_KINDS: frozenset[str] = frozenset(get_args(FormatKind))

_CURRENCY_CODE = re.compile(r"[A-Z]{3}")

STATUS_STYLE_PREFIX = "status:"
# a change for the better or the worse, a period still running, a sample too small to trust
GOOD, BAD, PARTIAL, LOW_SAMPLE = "good", "bad", "partial", "low sample"
# semantic cell styles, each shown in the same colour by both writers (`STYLE_COLOURS`)
CELL_STYLES: frozenset[str] = frozenset(
    {GOOD, BAD, PARTIAL, LOW_SAMPLE, *(f"{STATUS_STYLE_PREFIX}{s}" for s in GOAL_STATUSES)}
)
# Excel's own Good / Neutral / Bad cell-style colours, and a light grey for "nothing yet"
_GREEN, _AMBER, _RED, _GREY = "C6EFCE", "FFEB9C", "FFC7CE", "E7E6E6"
STYLE_COLOURS: Mapping[str, str] = MappingProxyType(
    {
        GOOD: _GREEN,
        BAD: _RED,
        LOW_SAMPLE: _AMBER,
        PARTIAL: _GREY,
        f"{STATUS_STYLE_PREFIX}achieved": _GREEN,
        f"{STATUS_STYLE_PREFIX}on track": _GREEN,
        f"{STATUS_STYLE_PREFIX}at risk": _AMBER,
        f"{STATUS_STYLE_PREFIX}off track": _RED,
        f"{STATUS_STYLE_PREFIX}missed": _RED,
        f"{STATUS_STYLE_PREFIX}too early": _GREY,
        f"{STATUS_STYLE_PREFIX}no data": _GREY,
    }
)
"""The `RRGGBB` fill of each semantic style, in the .xlsx and in Sheets alike."""
HIGHLIGHT_COLOUR = "FFF2CC"
"""The fill of a highlighted cell (the bottleneck stage)."""
CHART_ROWS = 18  # sheet rows each chart takes under the grid, gap included


def status_style(status: str) -> str:
    """The semantic style of a goal status cell, e.g. `status:on track`."""
    return f"{STATUS_STYLE_PREFIX}{status}"


def currency_format(code: str) -> str:
    """The semantic format of amounts in the ISO 4217 currency `code`."""
    return f"currency:{code}"


def whole_currency_format(code: str) -> str:
    """The semantic format of amounts in `code` shown without cents (the Dashboard's)."""
    return f"whole_currency:{code}"


def parse_format(fmt: str) -> tuple[FormatKind, str | None]:
    """A semantic format's kind and, for `currency:XXX` and `whole_currency:XXX`, its code."""
    kind, _, code = fmt.partition(":")
    for known in get_args(FormatKind):
        if kind != known:
            continue
        if known in MONEY_KINDS and _CURRENCY_CODE.fullmatch(code):
            return known, code
        if known not in MONEY_KINDS and not code:
            return known, None
    raise ValueError(
        f"format {fmt!r} is not one of {', '.join(sorted(FORMAT_KINDS - MONEY_KINDS))} "
        "or currency:XXX / whole_currency:XXX with an ISO 4217 code"
    )


@dataclass(frozen=True, kw_only=True)
class Chart:
    """A line chart over a block of a tab's data rows.

    `categories` is the column of the x-axis labels and `series` the columns drawn, one line
    each, over the data rows `first_row` to `last_row` (both included). The row just above
    `first_row` (the header when it is 0) names the series. `y_format` is the semantic format
    of the y axis.
    """

    title: str
    categories: int
    series: tuple[int, ...]
    first_row: int
    last_row: int
    y_format: str


WATERFALL_COLOURS: Mapping[str, str] = MappingProxyType(
    {"total": "4472C4", "rise": "70AD47", "fall": "E15759"}
)
"""The `RRGGBB` of a waterfall's totals, rises and falls, in the .xlsx and in Sheets alike."""


@dataclass(frozen=True, kw_only=True)
class WaterfallChart:
    """A waterfall over the data rows `first_row` to `last_row` (both included): the first
    and the last row are totals, the rows between steps up or down from the total so far.

    `categories` labels each bar and `change` holds its signed amount (a total's own
    value). Writers without a waterfall chart (the .xlsx) stack columns instead: an
    invisible bar of height `base` carries the visible one from `totals`, `rises` or
    `falls`, so those four columns hold the same bars as numbers.
    """

    title: str
    categories: int
    change: int
    base: int
    totals: int
    rises: int
    falls: int
    first_row: int
    last_row: int
    y_format: str

    @property
    def columns(self) -> tuple[int, ...]:
        return (self.categories, self.change, self.base, self.totals, self.rises, self.falls)


AnyChart: TypeAlias = Chart | WaterfallChart


@dataclass(frozen=True, kw_only=True)
class Sparkline:
    """A small line in data cell `cell` drawn from column `column`, rows `first_row` to
    `last_row` (both included) of the same tab."""

    cell: Cell
    column: int
    first_row: int
    last_row: int


@dataclass(frozen=True, kw_only=True)
class Tab:
    """One tab: a header, data rows and how to show them.

    `column_formats` has one entry per header column; `cell_formats` overrides a column's
    format for single cells. Column widths are not given: `fit` computes them from what the
    cells show (`sync.outputs.widths`), with the cells that wrap and the note lines broken to
    the table's width. `frozen_rows` are the header rows kept in view and printed atop each
    page. `highlights` are cells to mark (a bottleneck), `cell_styles` give cells a semantic
    style of `CELL_STYLES` (a goal status), `bold_rows` are data rows shown bold (the title of
    a section), `cell_notes` attach a note to a cell, `notes` are lines of text under the
    table. `autofilter` puts a filter on the header. `charts` are drawn under the grid,
    `sparklines` in empty cells of the table. A `create_only` tab is the team's to fill in:
    written when the spreadsheet lacks it, never overwritten.
    """

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[CellValue, ...], ...]
    column_formats: tuple[str, ...]
    frozen_rows: int = 1
    highlights: frozenset[Cell] = frozenset()
    notes: tuple[str, ...] = ()
    cell_formats: Mapping[Cell, str] = field(default_factory=dict)
    cell_notes: Mapping[Cell, str] = field(default_factory=dict)
    cell_styles: Mapping[Cell, str] = field(default_factory=dict)
    bold_rows: frozenset[int] = frozenset()
    autofilter: bool = False
    charts: tuple[AnyChart, ...] = ()
    sparklines: tuple[Sparkline, ...] = ()
    create_only: bool = False
    fit: Fit = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cell_formats", MappingProxyType(dict(self.cell_formats)))
        object.__setattr__(self, "cell_notes", MappingProxyType(dict(self.cell_notes)))
        object.__setattr__(self, "cell_styles", MappingProxyType(dict(self.cell_styles)))
        width = len(self.header)
        if len(self.column_formats) != width:
            raise ValueError(
                f"tab {self.name!r}: {len(self.column_formats)} column_formats for {width} columns"
            )
        for index, row in enumerate(self.rows):
            if len(row) != width:
                raise ValueError(
                    f"tab {self.name!r}: row {index} has {len(row)} cells, not {width}"
                )
        for fmt in (*self.column_formats, *self.cell_formats.values()):
            parse_format(fmt)
        for cell in (*self.cell_formats, *self.highlights, *self.cell_notes, *self.cell_styles):
            if not (0 <= cell[0] < len(self.rows) and 0 <= cell[1] < width):
                raise ValueError(f"tab {self.name!r}: cell {cell} is outside the table")
        for style in self.cell_styles.values():
            if style not in CELL_STYLES:
                raise ValueError(f"tab {self.name!r}: cell style {style!r} is unknown")
        for bold in self.bold_rows:
            if not 0 <= bold < len(self.rows):
                raise ValueError(f"tab {self.name!r}: bold row {bold} is outside the table")
        if self.frozen_rows < 0:
            raise ValueError(f"tab {self.name!r}: frozen_rows {self.frozen_rows} is negative")
        for chart in self.charts:
            self._check_chart(chart)
        for sparkline in self.sparklines:
            self._check_sparkline(sparkline)
        parsed: dict[str, tuple[FormatKind, str | None]] = {}

        def kind_at(cell: Cell) -> tuple[FormatKind, str | None]:
            fmt = self.format_at(cell)
            return parsed.get(fmt) or parsed.setdefault(fmt, parse_format(fmt))

        fit = fit_columns(self.header, self.rows, kind_at, self.bold_rows, self.notes)
        object.__setattr__(self, "fit", fit)

    @property
    def column_widths(self) -> tuple[int, ...]:
        """Each column's width in characters, from its content."""
        return self.fit.widths

    def _check_sparkline(self, sparkline: Sparkline) -> None:
        row, column = sparkline.cell
        inside = 0 <= row < len(self.rows) and 0 <= column < len(self.header)
        if not inside or self.rows[row][column] is not None:
            raise ValueError(f"tab {self.name!r}: sparkline cell {sparkline.cell} is not empty")
        if not (
            0 <= sparkline.column < len(self.header)
            and 0 <= sparkline.first_row <= sparkline.last_row < len(self.rows)
        ):
            raise ValueError(f"tab {self.name!r}: sparkline data is outside the table")

    def _check_chart(self, chart: AnyChart) -> None:
        columns = (
            chart.columns
            if isinstance(chart, WaterfallChart)
            else (chart.categories, *chart.series)
        )
        if len(columns) < 2 or not all(0 <= c < len(self.header) for c in columns):
            raise ValueError(
                f"tab {self.name!r}: chart {chart.title!r} needs series and columns in the table"
            )
        if not 0 <= chart.first_row <= chart.last_row < len(self.rows):
            raise ValueError(
                f"tab {self.name!r}: chart {chart.title!r} rows {chart.first_row}.."
                f"{chart.last_row} are outside the table"
            )
        parse_format(chart.y_format)

    def format_at(self, cell: Cell) -> str:
        """The semantic format of a data cell: its own, else its column's."""
        return self.cell_formats.get(cell, self.column_formats[cell[1]])

    def grid(self) -> list[list[CellValue]]:
        """Every sheet row: header, data rows, then (after a blank row) the note lines, broken
        to the table's width."""
        width = len(self.header)
        grid: list[list[CellValue]] = [list(self.header), *(list(row) for row in self.rows)]
        if self.notes:
            grid.append([None] * width)
            grid.extend([line, *([None] * (width - 1))] for line in self.fit.note_lines)
        return grid

    def chart_anchor(self, index: int) -> Cell:
        """The sheet cell (0-based, header row 0) where chart `index` has its top-left corner.

        Charts stack under the grid with one blank row between, each `CHART_ROWS` tall.
        """
        return len(self.grid()) + 1 + index * CHART_ROWS, 0


@dataclass(frozen=True)
class Workbook:
    """The tabs this tool owns, in order; any other tab of a spreadsheet is the user's."""

    tabs: tuple[Tab, ...]

    def __post_init__(self) -> None:
        names = [tab.name for tab in self.tabs]
        if len(set(names)) != len(names):
            raise ValueError(f"tab names repeat: {names}")

    def tab(self, name: str) -> Tab:
        """The tab called `name`; `KeyError` when there is none."""
        for tab in self.tabs:
            if tab.name == name:
                return tab
        raise KeyError(name)


_UNIT_FORMATS: dict[Unit, str] = {
    "ratio": "percent",
    "days": "days",
    "hours": "hours",
    "score": "number",
    "count": "integer",
}


def unit_format(unit: Unit, currency: str, *values: Number | None) -> str:
    """The semantic format of a KPI value of `unit`; money is in the reporting currency.

    Counts show as integers, except where one of `values` (the cells that share the format)
    is not whole: a mean count such as follow-ups per ticket keeps its decimals.
    """
    if unit == "currency":
        return currency_format(currency)
    if unit == "count" and any(v is not None and v % 1 != 0 for v in values):
        return "number"
    return _UNIT_FORMATS[unit]


_UNIT_TEXT: dict[Unit, str] = {
    "ratio": "%",
    "days": "days",
    "hours": "hours",
    "score": "score",
    "count": "count",
}


def unit_text(unit: Unit, currency: str) -> str:
    """The unit as a reader names it in a unit column: `%`, `EUR`, `days`."""
    return currency if unit == "currency" else _UNIT_TEXT[unit]
