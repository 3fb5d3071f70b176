"""The `spreadsheets:batchUpdate` requests that create, size and format the tabs.

Every request sets a state rather than adding to one, so a rerun leaves the same formatting:
a tab's formats and notes are first reset over the whole sheet, then set again from the
model. Request shapes: https://developers.google.com/sheets/api/samples/formatting and
https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/request.
"""

from __future__ import annotations

from collections.abc import Iterator

from sync.outputs.sheets.cells import (
    HEADER_FILL,
    Json,
    grid_range,
    number_format,
    pixels,
    rgb,
    row_spans,
)
from sync.outputs.sheets.layout import TabPlan
from sync.outputs.sheets.marks import sparkline_cells, style_fills
from sync.outputs.workbook import HIGHLIGHT_COLOUR, Tab

LINE_PIXELS = 21  # Sheets' default row height: one line of the default font


def sheet_requests(plan: TabPlan) -> list[Json]:
    """Create the tab (sized, frozen header) or resize it, then format it from the model."""
    if not plan.write:
        return []
    rows, columns = plan.grown
    grid = {"rowCount": rows, "columnCount": columns, "frozenRowCount": plan.tab.frozen_rows}
    if plan.existing is None:
        properties = {
            "sheetId": plan.sheet_id,
            "title": plan.tab.name,
            "index": plan.index,
            "gridProperties": grid,
        }
        first: Json = {"addSheet": {"properties": properties}}
    else:
        first = {
            "updateSheetProperties": {
                "properties": {"sheetId": plan.sheet_id, "gridProperties": grid},
                "fields": "gridProperties.rowCount,gridProperties.columnCount,"
                "gridProperties.frozenRowCount",
            }
        }
    return [first, *_formats(plan)]


def shrink_request(plan: TabPlan) -> Json:
    """Cut the grid down to what the tab needs, once the new values are in."""
    return {
        "updateSheetProperties": {
            "properties": {
                "sheetId": plan.sheet_id,
                "gridProperties": {"rowCount": plan.rows, "columnCount": plan.columns},
            },
            "fields": "gridProperties.rowCount,gridProperties.columnCount",
        }
    }


def _formats(plan: TabPlan) -> Iterator[Json]:
    tab, sheet = plan.tab, plan.sheet_id
    width = len(tab.header)
    yield _repeat(grid_range(sheet), {}, "userEnteredFormat,note")
    yield _repeat(
        grid_range(sheet, (0, 1), (0, width)),
        {"textFormat": {"bold": True}, "backgroundColor": rgb(HEADER_FILL)},
        "userEnteredFormat.textFormat.bold,userEnteredFormat.backgroundColor",
    )
    # a tab the team fills in gets its formats on every row, so typed cells take them too
    data_rows = plan.rows - 1 if tab.create_only else len(tab.rows)
    for column in range(width):
        for first, last, fmt in _runs(tab, column, data_rows):
            yield _repeat(
                grid_range(sheet, (first + 1, last + 1), (column, column + 1)),
                {"numberFormat": number_format(fmt)},
                "userEnteredFormat.numberFormat",
            )
    # spans down a column: the row spans of the cells with rows and columns swapped
    for column, first, last in row_spans(frozenset((c, r) for r, c in tab.fit.wrapped)):
        yield _repeat(
            grid_range(sheet, (first + 1, last + 1), (column, column + 1)),
            {"wrapStrategy": "WRAP"},
            "userEnteredFormat.wrapStrategy",
        )
    for row in sorted(tab.bold_rows):
        yield _repeat(
            grid_range(sheet, (row + 1, row + 2), (0, width)),
            {"textFormat": {"bold": True}},
            "userEnteredFormat.textFormat.bold",
        )
    for row, first, last in row_spans(tab.highlights):
        yield _repeat(
            grid_range(sheet, (row + 1, row + 2), (first, last)),
            {"backgroundColor": rgb(HIGHLIGHT_COLOUR)},
            "userEnteredFormat.backgroundColor",
        )
    yield from style_fills(tab, sheet)
    yield from sparkline_cells(tab, sheet)
    yield from _notes(plan)
    for first, last, size in _width_runs(tab.column_widths):
        yield {
            "updateDimensionProperties": {
                "range": {
                    "sheetId": sheet,
                    "dimension": "COLUMNS",
                    "startIndex": first,
                    "endIndex": last,
                },
                "properties": {"pixelSize": pixels(size)},
                "fields": "pixelSize",
            }
        }
    # every row one line first: a row an earlier publish made taller may wrap nothing now
    yield _row_heights(sheet, 0, plan.grown[0], LINE_PIXELS)
    for row, lines in sorted(tab.fit.row_lines.items()):
        yield _row_heights(sheet, row + 1, row + 2, LINE_PIXELS * lines)
    if tab.autofilter:
        area = grid_range(sheet, (0, len(tab.rows) + 1), (0, width))
        yield {"setBasicFilter": {"filter": {"range": area}}}
    elif plan.existing is not None and plan.existing.filtered:
        yield {"clearBasicFilter": {"sheetId": sheet}}


def _row_heights(sheet: int, first: int, last: int, size: int) -> Json:
    """Rows `first` to `last` (excluded, 0-based with the header row 0) `size` pixels tall."""
    return {
        "updateDimensionProperties": {
            "range": {"sheetId": sheet, "dimension": "ROWS", "startIndex": first, "endIndex": last},
            "properties": {"pixelSize": size},
            "fields": "pixelSize",
        }
    }


def _repeat(area: Json, cell_format: Json, fields: str) -> Json:
    cell: Json = {"userEnteredFormat": cell_format} if cell_format else {}
    return {"repeatCell": {"range": area, "cell": cell, "fields": fields}}


def _runs(tab: Tab, column: int, data_rows: int) -> Iterator[tuple[int, int, str]]:
    """Runs `(first, end, format)` of equal formats down a column's data rows, end excluded.

    Rows past the model's (the empty rows of a tab the team fills in) take the column's
    format.
    """

    def fmt(row: int) -> str:
        return tab.format_at((row, column)) if row < len(tab.rows) else tab.column_formats[column]

    start = 0
    for row in range(1, data_rows + 1):
        if row == data_rows or fmt(row) != fmt(start):
            yield start, row, fmt(start)
            start = row


def _width_runs(widths: tuple[int, ...]) -> Iterator[tuple[int, int, int]]:
    start = 0
    for index in range(1, len(widths) + 1):
        if index == len(widths) or widths[index] != widths[start]:
            yield start, index, widths[start]
            start = index


def _notes(plan: TabPlan) -> Iterator[Json]:
    """One `updateCells` per column with notes, from its first to its last noted row."""
    notes = plan.tab.cell_notes
    for column in sorted({c for _, c in notes}):
        rows = sorted(r for r, c in notes if c == column)
        cells = [
            {"values": [{"note": notes[(row, column)]} if (row, column) in notes else {}]}
            for row in range(rows[0], rows[-1] + 1)
        ]
        yield {
            "updateCells": {
                "range": grid_range(
                    plan.sheet_id, (rows[0] + 1, rows[-1] + 2), (column, column + 1)
                ),
                "rows": cells,
                "fields": "note",
            }
        }
