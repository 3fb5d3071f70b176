"""The Dashboard's blocks above its trend tables: goal cards, settled periods, periods to date."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from kpis.catalog import KPIS
from kpis.goals import GoalResult
from kpis.periods import Period
from kpis.results import ResultRow
from sync.outputs.dashboard.cells import (
    LOW_SAMPLE_N,
    MISSING,
    change,
    display_format,
    low_sample,
)
from sync.outputs.dashboard.periods import GrainPeriods, days_passed, year_before
from sync.outputs.tab_grid import Grid
from sync.outputs.workbook import LOW_SAMPLE, PARTIAL, CellValue, status_style, unit_text

Headline: TypeAlias = Mapping[tuple[str, Period], ResultRow]
GOAL_CARD_HEADER = (
    "Goal",
    "KPI",
    "period",
    "value",
    "target",
    "expected to date",
    "progress",
    "status",
)
TREND_COLUMN = 8  # the sparkline's column in a headline block


@dataclass(frozen=True)
class SparklineSlot:
    """A headline row's empty trend cell, waiting for the trend table of its grain."""

    row: int
    kpi: str


def goal_cards(grid: Grid, goal_results: Sequence[GoalResult], currency: str) -> None:
    """One row per goal window: name, KPI, period, value, target, expected to date, progress,
    status. A recurring goal's last complete period (its final status) comes before the one
    running, so the card says how last month ended and how this one is going."""
    if not goal_results:
        return
    grid.title("Goals", GOAL_CARD_HEADER)
    for result in (w for r in goal_results for w in (r.previous, r) if w is not None):
        spec = result.spec
        fmt = display_format(spec.unit, currency)
        running = result.through is not None and result.through < result.period.last_day
        cells: tuple[CellValue, ...] = (
            spec.name,
            KPIS[spec.kpi].label,
            f"{result.period.label} to date" if running else result.period.label,
            _value(result.value),
            spec.target,
            _value(result.expected),
            _value(result.progress),
            result.status,
        )
        index = grid.add(cells, ("text", "text", "text", fmt, fmt, fmt, "percent", "text"))
        grid.styles[(index, len(GOAL_CARD_HEADER) - 1)] = status_style(result.status)


def headline_block(
    grid: Grid, periods: GrainPeriods, headline: Headline, kpis: Sequence[str], currency: str
) -> list[SparklineSlot]:
    """The last complete period against the one before and a year earlier, KPI by KPI."""
    last = periods.last
    if last is None:
        return []
    previous, earlier = last.previous(), year_before(last)
    grid.title(
        f"Last complete {periods.grain}: {last.label}",
        (
            "KPI",
            "unit",
            last.label,
            "n",
            previous.label,
            f"vs {previous.label}",
            earlier.label,
            f"vs {earlier.label}",
            "trend",
        ),
    )
    slots = []
    for kpi in kpis:
        row, before, year = (headline.get((kpi, p)) for p in (last, previous, earlier))
        known = row or before or year
        if known is None:
            continue
        fmt = display_format(known.unit, currency)
        since, over_year = change(kpi, row, before, currency), change(kpi, row, year, currency)
        index = grid.add(
            (
                KPIS[kpi].label,
                unit_text(known.unit, currency),
                _value(None if row is None else row.value),
                None if row is None else row.n,
                _value(None if before is None else before.value),
                since.text,
                _value(None if year is None else year.value),
                over_year.text,
            ),
            ("text", "text", fmt, "integer", fmt, "text", fmt, "text"),
        )
        for column, shown in ((5, since), (7, over_year)):
            if shown.style is not None:
                grid.styles[(index, column)] = shown.style
        _mark(grid, index, row)
        slots.append(SparklineSlot(index, kpi))
    return slots


def current_block(
    grid: Grid,
    periods: GrainPeriods,
    headline: Headline,
    kpis: Sequence[str],
    currency: str,
    now: datetime,
) -> None:
    """The period running now, to date, marked partial with how many of its days have begun."""
    current = periods.current
    if current is None:
        return
    passed, total = days_passed(current, now)
    title = grid.title(
        f"This {periods.grain} so far: {current.label}, {passed} of {total} days (partial)",
        ("KPI", "unit", f"{current.label} to date", "n"),
    )
    grid.styles[(title, 0)] = PARTIAL
    for kpi in kpis:
        row = headline.get((kpi, current))
        if row is None:
            continue
        index = grid.add(
            (KPIS[kpi].label, unit_text(row.unit, currency), _value(row.value), row.n),
            ("text", "text", display_format(row.unit, currency), "integer"),
        )
        grid.styles[(index, 2)] = PARTIAL
        _mark(grid, index, row)


def _mark(grid: Grid, index: int, row: ResultRow | None) -> None:
    """The row's note on its value, and its sample size marked when it is small."""
    if row is None:
        return
    if row.note:
        grid.notes[(index, 2)] = row.note
    if low_sample(row):
        grid.styles[(index, 3)] = LOW_SAMPLE
        grid.notes[(index, 3)] = f"{row.n} samples, fewer than {LOW_SAMPLE_N}: read with care"


def _value(value: CellValue) -> CellValue:
    return MISSING if value is None else value
