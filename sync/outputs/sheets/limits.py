"""Keeping the spreadsheet under Google's cell limit by leaving out the oldest KPI history.

A spreadsheet holds at most 10,000,000 cells over all its tabs
(https://support.google.com/drive/answer/37603). When a publish would pass that, the KPIs
tab drops its oldest periods, whole periods at a time, until it fits, and the Dashboard
says so in a note.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import date

from sync.outputs.sheets.client import SheetsError
from sync.outputs.sheets.layout import SheetInfo, cells_used, plan_tabs
from sync.outputs.tidy import KPI_HEADER
from sync.outputs.workbook import Cell, Tab, Workbook

logger = logging.getLogger(__name__)

CELL_LIMIT = 10_000_000
KPIS_TAB = "KPIs"
DASHBOARD_TAB = "Dashboard"
_PERIOD = KPI_HEADER.index("period")
_START = KPI_HEADER.index("period_start")


def fit_cell_limit(
    workbook: Workbook, sheets: Mapping[str, SheetInfo], limit: int = CELL_LIMIT
) -> Workbook:
    """The workbook, its KPIs tab trimmed of its oldest periods if the sheet would overflow."""
    if _cells(workbook, sheets) <= limit:
        return workbook
    kpis = next((tab for tab in workbook.tabs if tab.name == KPIS_TAB), None)
    # the note takes a row of the Dashboard too, so count it before trimming
    excess = _cells(_noted(workbook, kpis, ""), sheets) - limit
    starts = [] if kpis is None else _period_starts(kpis)
    dropped: set[object] = set()
    trimmed = kpis
    while kpis is not None and trimmed is not None and excess > 0 and starts:
        dropped.add(starts.pop(0))
        smaller = _without_periods(kpis, dropped)
        excess -= (len(trimmed.rows) - len(smaller.rows)) * len(kpis.header)
        trimmed = smaller
    if kpis is None or excess > 0:
        raise SheetsError(
            f"the spreadsheet would pass Google's limit of {limit:,} cells even without the "
            "KPI history; move the other tabs to another spreadsheet or lower "
            "reporting.history_periods"
        )
    periods = {(str(row[_START]), str(row[_PERIOD])) for row in kpis.rows if row[_START] in dropped}
    labels = [label for _, label in sorted(periods)]
    note = (
        f"The KPIs tab leaves out {len(labels)} of the oldest periods "
        f"({', '.join(labels[:6])}{', ...' if len(labels) > 6 else ''}) to keep this "
        f"spreadsheet under Google Sheets' limit of {limit:,} cells."
    )
    logger.warning("%s", note)
    return _noted(workbook, trimmed, note)


def _cells(workbook: Workbook, sheets: Mapping[str, SheetInfo]) -> int:
    ours = {tab.name for tab in workbook.tabs}
    others = [info for title, info in sheets.items() if title not in ours]
    return cells_used(plan_tabs(workbook, sheets), others)


def _noted(workbook: Workbook, kpis: Tab | None, note: str) -> Workbook:
    """The workbook with `kpis` as its KPIs tab and `note` under the Dashboard's notes."""
    tabs = []
    for tab in workbook.tabs:
        if tab.name == KPIS_TAB and kpis is not None:
            tabs.append(kpis)
        elif tab.name == DASHBOARD_TAB:
            tabs.append(replace(tab, notes=(*tab.notes, note)))
        else:
            tabs.append(tab)
    return Workbook(tabs=tuple(tabs))


def _period_starts(tab: Tab) -> list[date]:
    """The distinct `period_start` dates of the KPIs rows, oldest first."""
    starts: set[date] = set()
    for row in tab.rows:
        start = row[_START]
        if isinstance(start, date):
            starts.add(start)
    return sorted(starts)


def _without_periods(tab: Tab, starts: set[object]) -> Tab:
    """The tab without the rows of the periods starting on `starts`, cell marks renumbered."""
    kept = [index for index, row in enumerate(tab.rows) if row[_START] not in starts]
    moved = {old: new for new, old in enumerate(kept)}

    def renumber(cell: Cell) -> Cell | None:
        row = moved.get(cell[0])
        return None if row is None else (row, cell[1])

    def remap(marks: Mapping[Cell, str]) -> dict[Cell, str]:
        return {new: value for cell, value in marks.items() if (new := renumber(cell)) is not None}

    return replace(
        tab,
        rows=tuple(tab.rows[index] for index in kept),
        cell_formats=remap(tab.cell_formats),
        cell_notes=remap(tab.cell_notes),
        cell_styles=remap(tab.cell_styles),
        highlights=frozenset(new for cell in tab.highlights if (new := renumber(cell)) is not None),
        bold_rows=frozenset(moved[row] for row in tab.bold_rows if row in moved),
    )
