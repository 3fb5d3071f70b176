"""What the Dashboard adds to a tab's cells in Sheets: fixed colours and sparkline formulas.

A goal status is coloured by a conditional rule (`charts.status_rules`), but a good or bad
change, a partial period and a low sample are decided when the tab is built, so their
colour is set once with the cell's format. A sparkline is the `SPARKLINE` function
(https://support.google.com/docs/answer/3093289) written as the cell's formula in the
formatting batch; the values batch then leaves that cell alone (see `formula_cells`).
"""

from __future__ import annotations

from collections.abc import Iterator

from sync.outputs.sheets.cells import Json, column_letters, grid_range, rgb
from sync.outputs.workbook import STATUS_STYLE_PREFIX, STYLE_COLOURS, Cell, Sparkline, Tab


def style_fills(tab: Tab, sheet_id: int) -> Iterator[Json]:
    """One `repeatCell` per cell whose style is not a goal status: its background colour."""
    for (row, column), style in sorted(tab.cell_styles.items()):
        if style.startswith(STATUS_STYLE_PREFIX):
            continue
        yield {
            "repeatCell": {
                "range": grid_range(sheet_id, (row + 1, row + 2), (column, column + 1)),
                "cell": {"userEnteredFormat": {"backgroundColor": rgb(STYLE_COLOURS[style])}},
                "fields": "userEnteredFormat.backgroundColor",
            }
        }


def sparkline_formula(sparkline: Sparkline) -> str:
    """`=SPARKLINE(C20:C31, ...)` over the sparkline's data, in A1 rows of the sheet."""
    letters = column_letters(sparkline.column + 1)
    # data row r is sheet row r + 2 in A1: the header is row 1
    first, last = sparkline.first_row + 2, sparkline.last_row + 2
    return f'=SPARKLINE({letters}{first}:{letters}{last},{{"charttype","line"}})'


def sparkline_cells(tab: Tab, sheet_id: int) -> Iterator[Json]:
    """One `updateCells` per sparkline, setting the cell's formula."""
    for sparkline in tab.sparklines:
        row, column = sparkline.cell
        formula = {"userEnteredValue": {"formulaValue": sparkline_formula(sparkline)}}
        yield {
            "updateCells": {
                "range": grid_range(sheet_id, (row + 1, row + 2), (column, column + 1)),
                "rows": [{"values": [formula]}],
                "fields": "userEnteredValue",
            }
        }


def formula_cells(tab: Tab) -> frozenset[Cell]:
    """Sheet cells (header row 0) the values batch sends as null, so it keeps their formula.

    The values batch is RAW, which would store a formula as text, and "null values will be
    skipped" (https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets.values).
    """
    return frozenset((row + 1, column) for (row, column) in (s.cell for s in tab.sparklines))
