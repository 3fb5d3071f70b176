"""Cells as the Sheets API wants them: values, number formats, colours and ranges.

Values are written with `valueInputOption=RAW` so that nothing a CRM sends (a segment named
`=1+1`, a stage called `1/2`) is parsed as a formula or a date; numbers go as JSON numbers,
dates and instants as serial numbers, and the number formats make them readable.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeAlias

from sync.outputs.widths import TIMES
from sync.outputs.workbook import Cell, CellValue, FormatKind, parse_format

SheetValue: TypeAlias = str | int | float
Json: TypeAlias = dict[str, Any]

# https://developers.google.com/sheets/api/guides/formats: a date is the number of days
# since 1899-12-30, the time of day its fraction
EPOCH = date(1899, 12, 30)
# the API refuses a longer text: "Your input contains more than the maximum of 50000
# characters in a single cell" (https://support.google.com/drive/answer/37603)
MAX_CELL_CHARS = 50_000

# the same patterns as the .xlsx, so that both outputs read alike
PATTERNS: dict[FormatKind, tuple[str, str]] = {
    "percent": ("PERCENT", "0.0%"),
    # sections for positive;negative;zero, as the formats guide above describes
    "points": ("NUMBER", '+0.0 "pp";-0.0 "pp";0.0 "pp"'),
    "multiple": ("NUMBER", f'0.0"{TIMES}"'),
    "days": ("NUMBER", "0.0"),
    "hours": ("NUMBER", "0.0"),
    "integer": ("NUMBER", "#,##0"),
    "number": ("NUMBER", "#,##0.00"),
    "date": ("DATE", "yyyy-mm-dd"),
    # Sheets shows serial numbers without a zone: instants are UTC wall time and say so
    "datetime": ("DATE_TIME", 'yyyy-mm-dd hh:mm:ss "UTC"'),
    "text": ("TEXT", "@"),
}


def sheet_value(value: CellValue) -> SheetValue:
    """A model value as a RAW cell value; None is "" because a JSON null leaves the old value.

    https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets.values: "Null values
    will be skipped. To set a cell to an empty value, set the string value to an empty string."
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value[:MAX_CELL_CHARS]
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError(f"{value.isoformat()} has no UTC offset")
        wall = value.astimezone(UTC)
        seconds = wall.hour * 3600 + wall.minute * 60 + wall.second + wall.microsecond / 1e6
        return (wall.date() - EPOCH).days + seconds / 86_400
    if isinstance(value, date):
        return (value - EPOCH).days
    number = float(value) if isinstance(value, Decimal) else value
    if isinstance(number, float) and not math.isfinite(number):
        return ""
    return number


def number_format(fmt: str) -> Json:
    """The Sheets `NumberFormat` of a semantic format; currency shows its ISO code."""
    kind, code = parse_format(fmt)
    if kind == "currency":
        return {"type": "CURRENCY", "pattern": f'#,##0.00 "{code}"'}
    if kind == "whole_currency":
        return {"type": "CURRENCY", "pattern": f'#,##0 "{code}"'}
    kind_type, pattern = PATTERNS[kind]
    return {"type": kind_type, "pattern": pattern}


def rgb(hex_colour: str) -> Json:
    """A Sheets `Color` from `RRGGBB`."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return {"red": round(red, 4), "green": round(green, 4), "blue": round(blue, 4)}


HEADER_FILL = "F3F3F3"


def grid_range(
    sheet_id: int, rows: tuple[int, int] | None = None, columns: tuple[int, int] | None = None
) -> Json:
    """A `GridRange`: 0-based, end excluded; a missing side is unbounded."""
    found: Json = {"sheetId": sheet_id}
    if rows is not None:
        found["startRowIndex"], found["endRowIndex"] = rows
    if columns is not None:
        found["startColumnIndex"], found["endColumnIndex"] = columns
    return found


def column_letters(count: int) -> str:
    """The A1 letters of column number `count` (1 is A, 27 is AA)."""
    letters = ""
    while count:
        count, rest = divmod(count - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def a1_range(title: str, rows: int, columns: int) -> str:
    """`'Title'!A1:<last>` covering `rows` x `columns`; quotes in the title are doubled."""
    quoted = title.replace("'", "''")
    return f"'{quoted}'!A1:{column_letters(columns)}{rows}"


def pixels(characters: int) -> int:
    """A column width in pixels for a width in characters, as the .xlsx sets it."""
    return characters * 7 + 10


def row_spans(cells: Iterable[Cell]) -> Iterator[tuple[int, int, int]]:
    """Cells as `(row, first column, end column)` spans of adjacent cells; pass the cells
    transposed, `(column, row)`, for spans of adjacent rows in a column."""
    marked = set(cells)
    for row in sorted({r for r, _ in marked}):
        columns = sorted(c for r, c in marked if r == row)
        first = previous = columns[0]
        for column in columns[1:]:
            if column != previous + 1:
                yield row, first, previous + 1
                first = column
            previous = column
        yield row, first, previous + 1
