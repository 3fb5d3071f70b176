"""Column widths from what each cell shows, so nothing is cut and no number shows `###`.

A column is as wide as the longest text it shows: its header (never cut) and each data cell
as its semantic format displays it (`12.5%`, `1,234.00 EUR`, `2026-10-31`), plus a margin.
Text longer than `MAX_WIDTH` wraps in a column that wide. A text cell whose neighbours to the
right are all empty (a section title) spills over them, as spreadsheets show such text, so
it sets no width of its own; the columns it spans are widened at the right edge when they
are too narrow for it, since Sheets cuts text at the grid's last column. The note lines under
a table are broken at word boundaries to the table's width for the same reason.

Widths are in characters of the default font's digits, the unit of an .xlsx column width;
the Sheets writer turns them into pixels.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
# note lines are broken no narrower than this, however narrow the table
NOTE_WIDTH = 80


@dataclass(frozen=True)
class Fit:
    """The widths of a tab's columns, the data cells that wrap, and its note lines."""

    widths: tuple[int, ...]
    wrapped: frozenset[Cell]
    note_lines: tuple[str, ...]


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
    spills: list[tuple[int, int]] = []
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            width = width_of(shown(value, *format_at((r, c))), bold=r in bold_rows)
            if _spills(row, c):
                spills.append((c, width))
            else:
                body[c] = max(body[c], width)
    widths = [max(head, min(need, MAX_WIDTH)) for head, need in zip(widths, body, strict=True)]
    wrapped = frozenset(
        (r, c)
        for r, row in enumerate(rows)
        for c in range(count)
        if body[c] > widths[c] and row[c] not in (None, "") and not _spills(row, c)
    )
    line_width = max(sum(widths) - PADDING, NOTE_WIDTH)
    note_lines = tuple(line for note in notes for line in textwrap.wrap(note, line_width) or [""])
    spills.extend((0, width_of(line)) for line in note_lines)
    for column, need in spills if widths else ():
        shortfall = need - sum(widths[column:])
        if shortfall > 0:
            widths[-1] += shortfall
    return Fit(widths=tuple(widths), wrapped=wrapped, note_lines=note_lines)


def _spills(row: Sequence[CellValue], column: int) -> bool:
    """Text with only empty cells to its right, short of the last column, runs over them."""
    value = row[column]
    return (
        isinstance(value, str)
        and value != ""
        and column < len(row) - 1
        and all(cell is None or cell == "" for cell in row[column + 1 :])
    )
