"""The Dashboard and Goals tabs.

The Dashboard answers "how did the last period go, against goal and against last year" on
its first screen: the goals as cards, then for each published grain the last complete
period against the one before and the same period a year earlier (with a sparkline), then
each period still running, to date and marked partial. Trend tables and their charts
follow. Every figure is the all segment of the published KPI rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from kpis.catalog import HEADLINE_KPIS, KPIS
from kpis.goals import GoalResult
from kpis.periods import GRAINS, Period
from kpis.results import ALL, ResultRow
from sync.outputs.dashboard.blocks import (
    TREND_COLUMN,
    current_block,
    goal_cards,
    headline_block,
)
from sync.outputs.dashboard.cells import LOW_SAMPLE_N
from sync.outputs.dashboard.periods import grain_periods
from sync.outputs.dashboard.trend import trend_block, trend_charts
from sync.outputs.tab_grid import Grid
from sync.outputs.workbook import (
    CellValue,
    Chart,
    Sparkline,
    Tab,
    currency_format,
    status_style,
    unit_format,
)

GOALS_HEADER = (
    "name",
    "kpi",
    "segment",
    "target",
    "direction",
    "start",
    "due",
    "value_to_date",
    "expected_to_date",
    "progress",
    "remaining",
    "coverage",
    "weighted_coverage",
    "status",
)
DASHBOARD_NOTES = (
    "All figures are the whole account (segment all); the KPIs tab has every segment.",
    "A rate changes in percentage points (pp), NPS in points, other figures relative (%). "
    "Green is better and red worse for that KPI: lower is better for churn, costs and times.",
    f"n is the sample size; under {LOW_SAMPLE_N} it is marked and its changes are not coloured.",
    "A period still running (partial, grey) is left out of the charts and sparklines.",
)
GOALS_NOTES = (
    "Revenue goals are paced: expected_to_date is the target times the share of the window "
    "passed, and progress is value ÷ target. Other goals compare the value with the target.",
    "The window runs from start up to, not including, due; values count through today.",
    "A recurring goal has a row for its last complete period (final) and one for the "
    "current period (to date), each with its own start and due.",
    "Revenue goals: remaining is target - value to date, empty once met or past due. "
    "coverage is the amount of the goal's open deals expected to close before due (or on no "
    "date) ÷ remaining; weighted_coverage weighs each deal by its stage's probability.",
)


def dashboard_tab(
    rows: Sequence[ResultRow], goal_results: Sequence[GoalResult], *, currency: str, now: datetime
) -> Tab:
    """Goal cards, each grain's last complete and running period, the trend and its charts."""
    headline: dict[tuple[str, Period], ResultRow] = {
        (row.kpi, row.period): row
        for row in rows
        if row.kpi in HEADLINE_KPIS
        and (row.segment_by, row.segment) == (ALL, ALL)
        and row.period.grain != "custom"
    }
    kpis = [kpi for kpi in HEADLINE_KPIS if any(k == kpi for k, _ in headline)]
    published = {period for _, period in headline}
    grains = [
        grain_periods(grain, published, now)
        for grain in GRAINS
        if any(p.grain == grain for p in published)
    ]
    grid = Grid(max(TREND_COLUMN + 1, len(kpis) + 1))
    goal_cards(grid, goal_results, currency)
    slots = {g.grain: headline_block(grid, g, headline, kpis, currency) for g in grains}
    for periods in grains:
        current_block(grid, periods, headline, kpis, currency, now)
    charts: tuple[Chart, ...] = ()
    for periods in grains:
        found = trend_block(grid, periods, headline, kpis, currency)
        if found is None:
            continue
        grid.sparklines.extend(
            Sparkline(
                cell=(slot.row, TREND_COLUMN),
                column=found.columns[slot.kpi],
                first_row=found.first,
                last_row=found.last,
            )
            for slot in slots[periods.grain]
        )
        if not charts:
            charts = trend_charts(grid, periods, found, currency)
    stamp = f"KPI dashboard, updated {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return grid.tab("Dashboard", (stamp,), charts=charts, notes=DASHBOARD_NOTES)


def goals_tab(goal_results: Sequence[GoalResult], *, currency: str) -> Tab:
    """One row per goal window: its definition, value and expected-to-date, progress, a
    revenue goal's remaining target and pipeline coverage, and status; a recurring goal's
    last complete period comes before its current one."""
    grid = Grid(len(GOALS_HEADER))
    for result in (w for r in goal_results for w in (r.previous, r) if w is not None):
        spec = result.spec
        fmt = unit_format(spec.unit, currency)
        covered = result.coverage
        segment = ALL if spec.segment_by == ALL else f"{spec.segment_by}: {spec.segment}"
        cells: tuple[CellValue, ...] = (
            spec.name,
            KPIS[spec.kpi].label,
            segment,
            spec.target,
            spec.direction,
            result.period.first_day,
            result.period.last_day + timedelta(days=1),
            result.value,
            result.expected,
            result.progress,
            None if covered is None else covered.remaining,
            None if covered is None else covered.ratio,
            None if covered is None else covered.weighted_ratio,
            result.status,
        )
        index = grid.add(
            cells,
            (
                *("text", "text", "text", fmt, "text", "date", "date", fmt, fmt, "percent"),
                *(currency_format(currency), "multiple", "multiple", "text"),
            ),
        )
        grid.styles[(index, len(GOALS_HEADER) - 1)] = status_style(result.status)
    return grid.tab("Goals", GOALS_HEADER, notes=GOALS_NOTES, autofilter=True)
