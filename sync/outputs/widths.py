"""Column widths from what each cell shows, so nothing is cut and no number shows `###`.

A column is as wide as the longest text it shows: its header (never cut) and each data cell
as its semantic format displays it (`12.5%`, `1,234.00 EUR`, `2026-10-31`), plus a margin.
Text longer than `MAX_WIDTH` wraps in a column that wide, and a bold heading inside the
table wraps over its column of figures; a row so wrapped is made as tall as its lines. A
text cell whose neighbours to the right are all empty (a section title) spills over them, as
spreadsheets show such text, so it sets no width of its own; the columns it spans are
widened at the right edge when they are too narrow for it, since Sheets cuts text at the
grid's last column. The note lines under
a table are broken at word boundaries to the table's width for the same reason.

Widths are in characters of the default font's digits, the unit of an .xlsx column width;
the Sheets writer turns them into pixels.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, assert_never

if TYPE_CHECKING:
    from sync.outputs.workbook import Cell, CellValue, FormatKind

MAX_WIDTH = 50
# room either side of the text: a cell's margins, and digits that render a bit wider
PADDING = 3
# bold text (the header, section titles) runs wider than plain text of the same length
BOLD = 1.15
WIDE = 1.25
# a bold heading inside the table (the header of a stacked block) wraps down to its column's
# data, but no narrower than this: a long KPI label over a column of percentages
HEADING_WIDTH = 16
# note lines are broken no narrower than this, however narrow the table
NOTE_WIDTH = 80
TIMES = "\N{MULTIPLICATION SIGN}"
"""The sign after a `multiple`: a coverage of 2.3 shows as 2.3 and the sign in both writers."""


@dataclass(frozen=True)
class Fit:
    """The widths of a tab's columns, the data cells that wrap, and its note lines."""

    widths: tuple[int, ...]
    wrapped: frozenset[Cell]
    note_lines: tuple[str, ...]
    row_lines: Mapping[int, int] = field(default_factory=dict)
    """The text lines of each data row that a wrapped cell makes taller than one line: a
    spreadsheet program sizes such a row on its own only when a person edits it."""


def shown(value: CellValue, kind: FormatKind, code: str | None = None) -> str:
    """The text a cell of `value` shows under a format of `kind` (`code`: its currency)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime | date):
        if kind == "datetime" or (isinstance(value, datetime) and kind != "date"):
            return f"{value:%Y-%m-%d %H:%M:%S} UTC"
        return f"{value:%Y-%m-%d}"
    number = float(value) if isinstance(value, Decimal) else value
    match kind:
        case "percent":
            return f"{number * 100:.1f}%"
        case "currency":
            return f"{number:,.2f} {code}"
        case "whole_currency":
            return f"{number:,.0f} {code}"
        case "points":
            return f"{number:+.1f} pp"
        case "multiple":
            return f"{number:.1f}{TIMES}"
        case "days" | "hours":
            return f"{number:.1f}"
        case "integer":
            return f"{number:,.0f}"
        case "number":
            return f"{number:,.2f}"
        case "date" | "datetime" | "text":
            return str(value)
        case _:
            assert_never(kind)


def width_of(text: str, *, bold: bool = False) -> int:
    """The width in characters that shows `text` whole, its margin included."""
    # capitals (the EUR of an amount) and m, w, % run wider than the digits a width counts
    length = sum(WIDE if char.isupper() or char in "mw%" else 1 for char in text)
    return math.ceil(length * (BOLD if bold else 1)) + PADDING


def fit_columns(
    header: Sequence[str],
    rows: Sequence[Sequence[CellValue]],
    format_at: Callable[[Cell], tuple[FormatKind, str | None]],
    bold_rows: frozenset[int],
    notes: Sequence[str],
) -> Fit:
    """Widths, wrapped cells and note lines for a table of `header` over `rows`."""
    count = len(header)
    widths = [width_of(name, bold=True) for name in header]
    body = [0] * count
    headings = [0] * count
    needs: dict[Cell, int] = {}
    spills: list[tuple[int, int]] = []
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            width = width_of(shown(value, *format_at((r, c))), bold=r in bold_rows)
            if _spills(row, c):
                spills.append((c, width))
                continue
            needs[r, c] = width
            if r in bold_rows:
                headings[c] = max(headings[c], width)
            else:
                body[c] = max(body[c], width)
    widths = [
        max(head, min(need, MAX_WIDTH), min(heading, max(need, HEADING_WIDTH)))
        for head, need, heading in zip(widths, body, headings, strict=True)
    ]
    # a capped column wraps all its cells, so that they align alike; a heading wraps alone
    wrapped = frozenset(
        (r, c)
        for (r, c), need in needs.items()
        if rows[r][c] not in (None, "") and max(need, body[c]) > widths[c]
    )
    row_lines: dict[int, int] = {}
    for r, c in wrapped:
        bold = BOLD if r in bold_rows else 1
        # a conservative count of characters per line: capitals and bold run wider
        room = max(1, math.floor((widths[c] - PADDING) / bold / WIDE))
        lines = len(textwrap.wrap(shown(rows[r][c], *format_at((r, c))), room))
        if lines > row_lines.get(r, 1):
            row_lines[r] = lines
    line_width = max(sum(widths) - PADDING, NOTE_WIDTH)
    note_lines = tuple(line for note in notes for line in textwrap.wrap(note, line_width) or [""])
    spills.extend((0, width_of(line)) for line in note_lines)
    for column, need in spills if widths else ():
        shortfall = need - sum(widths[column:])
        if shortfall > 0:
            widths[-1] += shortfall
    return Fit(widths=tuple(widths), wrapped=wrapped, note_lines=note_lines, row_lines=row_lines)


def _spills(row: Sequence[CellValue], column: int) -> bool:
    """Text with only empty cells to its right, short of the last column, runs over them."""
    value = row[column]
    return (
        isinstance(value, str)
        and value != ""
        and column < len(row) - 1
        and all(cell is None or cell == "" for cell in row[column + 1 :])
    )
