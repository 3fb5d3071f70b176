"""Publish a `Workbook` to a Google Sheet in a handful of requests, and read the Inputs back.

A publish reads the spreadsheet's metadata once, then writes twice, whatever the size of the
data (https://developers.google.com/sheets/api/limits: "Each batch request, including any
subrequest, is counted as one API request"):

1. one `spreadsheets:batchUpdate` creates the missing tabs, grows the grids that need it, and
   sets formats, notes, widths, filters, conditional rules and charts;
2. one `values:batchUpdate` writes every tab's cells, padded with empty strings over the old
   grid so that no stale row survives.

Each request is applied atomically ("if any request is not valid then the entire update is
unsuccessful", https://developers.google.com/sheets/limits), and nothing is ever cleared
separately, so a publish that fails leaves the previous values whole. Only once the values
are in, a third request shrinks a grid that is larger than its tab needs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass

from gspread.http_client import ParamsType

from connectors.http import RetriableError
from sync.outputs.inputs import INPUTS
from sync.outputs.sheets.cells import Json, SheetValue, a1_range, sheet_value
from sync.outputs.sheets.charts import chart_requests, rule_requests
from sync.outputs.sheets.client import SheetsApi
from sync.outputs.sheets.formatting import sheet_requests, shrink_request
from sync.outputs.sheets.layout import TabPlan, plan_tabs, sheets_of
from sync.outputs.sheets.limits import fit_cell_limit
from sync.outputs.sheets.marks import formula_cells
from sync.outputs.workbook import Workbook

logger = logging.getLogger(__name__)

BATCH_ATTEMPTS = 4
"""Tries of a structural batch, each planned afresh (`_planned_batch`); with the client's own
retries of the reads between them, enough to outlast a short outage."""

# https://developers.google.com/sheets/api/reference/rest/v4/ValueRenderOption: numbers as
# numbers whatever their format; a date the team typed as text in its own format
INPUTS_READ: dict[str, str] = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "FORMATTED_STRING",
}


@dataclass(frozen=True)
class SheetsReport:
    url: str
    tabs: int
    cells: int
    requests: int


def read_inputs(api: SheetsApi) -> list[list[object]] | None:
    """The Inputs tab's values row by row from A1; None when the spreadsheet lacks the tab."""
    if INPUTS not in sheets_of(api.metadata()):
        return None
    quoted = INPUTS.replace("'", "''")
    params: ParamsType = dict(INPUTS_READ)
    return api.read_values(f"'{quoted}'!A:Z", params)


def publish(api: SheetsApi, workbook: Workbook) -> SheetsReport:
    """Make the spreadsheet show the workbook: its tabs created or rewritten in place.

    The report counts every request sent through `api`, the reads of the Inputs tab before
    the publish included.
    """
    try:
        plans = _planned_batch(api, workbook, format_requests, _plans(api, workbook))
        data = value_ranges(plans)
        # the same values twice are the same cells: a lost answer is simply sent again
        api.write_values(data)
        _planned_batch(api, workbook, shrink_requests, plans)
    finally:
        # whatever happened, the next publish must see the spreadsheet as it now is
        api.forget_metadata()
    cells = sum(len(block["values"]) * len(block["values"][0]) for block in data)
    return SheetsReport(url=api.url, tabs=len(data), cells=cells, requests=api.calls)


def _plans(api: SheetsApi, workbook: Workbook, created: Collection[str] = ()) -> list[TabPlan]:
    sheets = sheets_of(api.metadata())
    return plan_tabs(fit_cell_limit(workbook, sheets), sheets, created)


def _planned_batch(
    api: SheetsApi,
    workbook: Workbook,
    batch_of: Callable[[list[TabPlan]], list[Json]],
    plans: list[TabPlan],
) -> list[TabPlan]:
    """Sends `batch_of(plans)` as one batchUpdate; the plans it was sent for.

    A batch whose answer was lost (a timeout, a reset, a 5xx) may have been applied, so it
    is not sent again as it was: the spreadsheet is read again and the batch planned afresh
    from what it now holds, up to `BATCH_ATTEMPTS` times.
    """
    attempt = 1
    while batch := batch_of(plans):
        try:
            api.batch_update(batch)
            break
        except RetriableError as exc:
            if attempt == BATCH_ATTEMPTS:
                raise
            logger.warning("%s; reading the spreadsheet again to plan the next try", exc)
            attempt += 1
            api.forget_metadata()
            # the lost batch may have added tabs: this publish still writes them
            created = {plan.tab.name for plan in plans if plan.existing is None or plan.created}
            plans = _plans(api, workbook, created)
    return plans


def shrink_requests(plans: list[TabPlan]) -> list[Json]:
    """The batch that shrinks every written grid larger than its tab needs."""
    return [shrink_request(plan) for plan in plans if plan.write and plan.shrinks]


def format_requests(plans: list[TabPlan]) -> list[Json]:
    """The one structural and formatting batch: tabs, grids, formats, rules, charts."""
    requests: list[Json] = []
    for plan in plans:
        requests.extend(sheet_requests(plan))
        requests.extend(rule_requests(plan))
        requests.extend(chart_requests(plan))
    return requests


def value_ranges(plans: list[TabPlan]) -> list[Json]:
    """Every written tab's grid as one `ValueRange`, padded with "" to the whole grown grid.

    A sparkline's cell is null there, so the formula the formatting batch set stays.
    """
    data = []
    for plan in plans:
        if not plan.write:
            continue
        rows, columns = plan.grown
        formulas = formula_cells(plan.tab)
        grid: list[list[SheetValue | None]] = [
            [None if (r, c) in formulas else sheet_value(value) for c, value in enumerate(row)]
            + [""] * (columns - len(row))
            for r, row in enumerate(plan.tab.grid())
        ]
        grid.extend([""] * columns for _ in range(rows - len(grid)))
        data.append(
            {
                "range": a1_range(plan.tab.name, rows, columns),
                "majorDimension": "ROWS",
                "values": grid,
            }
        )
    return data
