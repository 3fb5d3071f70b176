"""Where each tab of the model goes in the spreadsheet: its sheet, size and object ids.

The spreadsheet's metadata says which tabs exist, how big their grids are and which charts
and rules they hold. A `TabPlan` pairs each tab of the model with that, and with ids that
stay the same from run to run: a tab created by this tool and each of its charts get an id
derived from their names, so a rerun updates them in place, and a request retried after a
timeout that the server had already applied fails instead of adding a duplicate
(https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/sheets: "It is an
error to specify the ID of a sheet that already exists").
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sync.outputs.workbook import CHART_ROWS, Tab, Workbook

Json = dict[str, Any]

# room for the team to type in a tab that is theirs (Inputs) when it is first created
CREATE_ONLY_ROWS = 100
_MAX_ID = 2**31 - 1  # ids are int32


@dataclass(frozen=True)
class SheetInfo:
    """One existing tab, from the spreadsheet's metadata."""

    sheet_id: int
    title: str
    index: int
    rows: int
    columns: int
    chart_ids: tuple[int, ...]
    rules: int
    filtered: bool

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def sheets_of(metadata: Mapping[str, Any]) -> dict[str, SheetInfo]:
    """The spreadsheet's tabs by title."""
    found = {}
    for sheet in metadata.get("sheets", []):
        properties = sheet["properties"]
        grid = properties.get("gridProperties", {})
        found[properties["title"]] = SheetInfo(
            sheet_id=int(properties["sheetId"]),
            title=properties["title"],
            index=int(properties.get("index", 0)),
            rows=int(grid.get("rowCount", 0)),
            columns=int(grid.get("columnCount", 0)),
            chart_ids=tuple(int(chart["chartId"]) for chart in sheet.get("charts", [])),
            rules=len(sheet.get("conditionalFormats", [])),
            filtered="basicFilter" in sheet,
        )
    return found


@dataclass(frozen=True)
class TabPlan:
    """A tab of the model and where it goes.

    `rows` and `columns` are the grid the tab needs (its table, notes and charts); `existing`
    is the tab as the spreadsheet has it now. A `create_only` tab that exists is not written,
    unless this publish `created` it (a batch planned again after its answer was lost).
    """

    tab: Tab
    sheet_id: int
    index: int
    existing: SheetInfo | None
    rows: int
    columns: int
    chart_ids: tuple[int, ...]
    created: bool = False

    @property
    def write(self) -> bool:
        return self.existing is None or self.created or not self.tab.create_only

    @property
    def grown(self) -> tuple[int, int]:
        """The grid while the new content goes in: never smaller than before, so a failed
        write of the values cuts nothing off the old content."""
        if self.existing is None:
            return self.rows, self.columns
        return max(self.rows, self.existing.rows), max(self.columns, self.existing.columns)

    @property
    def shrinks(self) -> bool:
        return self.grown != (self.rows, self.columns)


def needed_size(tab: Tab) -> tuple[int, int]:
    """Rows and columns of the tab's grid, its charts stacked under it included."""
    rows = len(tab.grid())
    if tab.charts:
        rows = tab.chart_anchor(len(tab.charts) - 1)[0] + CHART_ROWS
    if tab.create_only:
        rows = max(rows, CREATE_ONLY_ROWS)
    # a tab must keep one row below the frozen ones ("You can't freeze all visible rows")
    return max(rows, tab.frozen_rows + 1), max(len(tab.header), 1)


def stable_id(key: str, taken: set[int]) -> int:
    """A positive int32 derived from `key`, moved up past the ids in `taken`; added to it."""
    candidate = zlib.crc32(key.encode("utf-8")) & _MAX_ID or 1
    while candidate in taken:
        candidate = candidate % _MAX_ID + 1
    taken.add(candidate)
    return candidate


def plan_tabs(
    workbook: Workbook, sheets: Mapping[str, SheetInfo], created: Collection[str] = ()
) -> list[TabPlan]:
    """One plan per tab of the model, in the model's order; `created` names the tabs this
    publish added to the spreadsheet already."""
    sheet_ids = {info.sheet_id for info in sheets.values()}
    ours = {tab.name for tab in workbook.tabs}
    # a chart id must be unique across the spreadsheet; ours may be reused on our own tabs
    chart_ids = {
        chart for title, info in sheets.items() if title not in ours for chart in info.chart_ids
    }
    plans = []
    for index, tab in enumerate(workbook.tabs):
        existing = sheets.get(tab.name)
        sheet_id = (
            existing.sheet_id
            if existing is not None
            else stable_id(f"crm-kpi-sync tab {tab.name}", sheet_ids)
        )
        rows, columns = needed_size(tab)
        plans.append(
            TabPlan(
                tab=tab,
                sheet_id=sheet_id,
                index=index,
                existing=existing,
                rows=rows,
                columns=columns,
                chart_ids=tuple(
                    stable_id(f"crm-kpi-sync chart {tab.name} {number}", chart_ids)
                    for number in range(len(tab.charts))
                ),
                created=tab.name in created,
            )
        )
    return plans


def cells_used(plans: Iterable[TabPlan], others: Iterable[SheetInfo]) -> int:
    """Cells of the whole spreadsheet once the plans are published: ours, then the rest."""
    ours = sum(
        plan.existing.cells
        if plan.existing is not None and not plan.write
        else plan.rows * plan.columns
        for plan in plans
    )
    return ours + sum(info.cells for info in others)
