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
from kpis.results import Unit

CellValue: TypeAlias = str | int | float | Decimal | date | datetime | None
Cell: TypeAlias = tuple[int, int]
FormatKind: TypeAlias = Literal[
    "percent",
    "points",
    "currency",
    "days",
    "hours",
    "integer",
    "number",
    "date",
    "datetime",
    "text",
]
FORMAT_KINDS: frozenset[str] = frozenset(get_args(FormatKind))

_CURRENCY_CODE = re.compile(r"[A-Z]{3}")

STATUS_STYLE_PREFIX = "status:"
# semantic cell styles; each writer picks its colours (green, amber, red, grey for statuses)
CELL_STYLES: frozenset[str] = frozenset(f"{STATUS_STYLE_PREFIX}{s}" for s in GOAL_STATUSES)
CHART_ROWS = 18  # sheet rows each chart takes under the grid, gap included


def status_style(status: str) -> str:
    """The semantic style of a goal status cell, e.g. `status:on track`."""
    return f"{STATUS_STYLE_PREFIX}{status}"


def currency_format(code: str) -> str:
    """The semantic format of amounts in the ISO 4217 currency `code`."""
    return f"currency:{code}"


def parse_format(fmt: str) -> tuple[FormatKind, str | None]:
    """A semantic format's kind and, for `currency:XXX`, its currency code."""
    kind, _, code = fmt.partition(":")
    if kind == "currency" and _CURRENCY_CODE.fullmatch(code):
        return "currency", code
    if not code:
        for known in get_args(FormatKind):
            if kind == known and known != "currency":
                return known, None
    raise ValueError(
        f"format {fmt!r} is not one of {', '.join(sorted(FORMAT_KINDS - {'currency'}))} "
        "or currency:XXX with an ISO 4217 code"
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


@dataclass(frozen=True, kw_only=True)
class Tab:
    """One tab: a header, data rows and how to show them.

    `column_formats` and `column_widths` (in characters) have one entry per header column;
    `cell_formats` overrides a column's format for single cells. `highlights` are cells to
    mark (a bottleneck), `cell_styles` give cells a semantic style of `CELL_STYLES` (a goal
    status), `bold_rows` are data rows shown bold (the title of a section), `cell_notes`
    attach a note to a cell, `notes` are lines of text under the table. `autofilter` puts a
    filter on the header. `charts` are drawn under the grid. A `create_only` tab is the
    team's to fill in: written when the spreadsheet lacks it, never overwritten.
    """

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[CellValue, ...], ...]
    column_formats: tuple[str, ...]
    frozen_rows: int = 1
    column_widths: tuple[int, ...]
    highlights: frozenset[Cell] = frozenset()
    notes: tuple[str, ...] = ()
    cell_formats: Mapping[Cell, str] = field(default_factory=dict)
    cell_notes: Mapping[Cell, str] = field(default_factory=dict)
    cell_styles: Mapping[Cell, str] = field(default_factory=dict)
    bold_rows: frozenset[int] = frozenset()
    autofilter: bool = False
    charts: tuple[Chart, ...] = ()
    create_only: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "cell_formats", MappingProxyType(dict(self.cell_formats)))
        object.__setattr__(self, "cell_notes", MappingProxyType(dict(self.cell_notes)))
        object.__setattr__(self, "cell_styles", MappingProxyType(dict(self.cell_styles)))
        width = len(self.header)
        for what, items in (
            ("column_formats", self.column_formats),
            ("column_widths", self.column_widths),
        ):
            if len(items) != width:
                raise ValueError(f"tab {self.name!r}: {len(items)} {what} for {width} columns")
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

    def _check_chart(self, chart: Chart) -> None:
        columns = (chart.categories, *chart.series)
        if not chart.series or not all(0 <= c < len(self.header) for c in columns):
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
        """Every sheet row: header, data rows, then (after a blank row) the note lines."""
        width = len(self.header)
        grid: list[list[CellValue]] = [list(self.header), *(list(row) for row in self.rows)]
        if self.notes:
            grid.append([None] * width)
            grid.extend([line, *([None] * (width - 1))] for line in self.notes)
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
    "count": "number",
}


def unit_format(unit: Unit, currency: str) -> str:
    """The semantic format of a KPI value of `unit`; money is in the reporting currency."""
    return currency_format(currency) if unit == "currency" else _UNIT_FORMATS[unit]
