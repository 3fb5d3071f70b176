"""The Dashboard and Goals tabs: headline KPIs now and before, goal statuses, trends.

The Dashboard stacks three blocks in one grid: the current and the previous period of each
published grain with the change (under the tab's header), the goals' statuses, and the
headline KPIs period by period with a line chart per unit drawn from that trend table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from kpis.catalog import HEADLINE_KPIS
from kpis.goals import GoalResult
from kpis.periods import GRAINS, Grain, Period
from kpis.results import ALL, Number, ResultRow, Unit
from sync.outputs.workbook import Cell, CellValue, Chart, Tab, status_style, unit_format

COMPARISON_HEADER = (
    "kpi",
    "period",
    "value",
    "previous_period",
    "previous_value",
    "change",
    "relative_change",
)
DASHBOARD_GOALS_HEADER = ("goal", "kpi", "value_to_date", "target", "status")
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
    "status",
)
# a relative change of a rate or a score reads as a change of points; only quantities get one
RELATIVE_UNITS: frozenset[Unit] = frozenset({"currency", "days", "hours", "count"})
_CHART_TITLES: dict[Unit, str] = {
    "ratio": "Rates",
    "currency": "Money",
    "days": "Days",
    "hours": "Hours",
    "score": "NPS",
    "count": "Counts",
}
DASHBOARD_NOTES = (
    "The current period runs to date, so its sums (revenue) grow until it ends.",
    "A change of a rate is in percentage points; rates and NPS have no relative change.",
)
GOALS_NOTES = (
    "Revenue goals are paced: expected_to_date is the target times the share of the window "
    "passed, and progress is value ÷ target. Other goals compare the value with the target.",
    "The window runs from start up to, not including, due; values count through today.",
)


@dataclass
class _Grid:
    """Rows of a tab under construction, with the formats, styles and bold rows of its cells."""

    width: int
    rows: list[tuple[CellValue, ...]] = field(default_factory=list)
    formats: dict[Cell, str] = field(default_factory=dict)
    styles: dict[Cell, str] = field(default_factory=dict)
    bold: set[int] = field(default_factory=set)

    def add(self, cells: Sequence[CellValue], formats: Sequence[str], *, bold: bool = False) -> int:
        """Append a row (padded to the width) with each cell's format; return its index."""
        index = len(self.rows)
        self.rows.append((*cells, *([None] * (self.width - len(cells)))))
        self.formats.update(((index, column), fmt) for column, fmt in enumerate(formats))
        if bold:
            self.bold.add(index)
        return index

    def title(self, text: str, header: Sequence[str]) -> None:
        """A blank row, a bold title and a bold header: the start of a block."""
        self.add([], [])
        self.add([text], ["text"], bold=True)
        self.add(header, ["text"] * len(header), bold=True)

    def tab(
        self,
        name: str,
        header: Sequence[str],
        *,
        notes: tuple[str, ...],
        charts: tuple[Chart, ...] = (),
        autofilter: bool = False,
    ) -> Tab:
        """The tab; cells without a format of their own are text."""
        return Tab(
            name=name,
            header=(*header, *([""] * (self.width - len(header)))),
            rows=tuple(self.rows),
            column_formats=("text",) * self.width,
            cell_formats=self.formats,
            cell_styles=self.styles,
            bold_rows=frozenset(self.bold),
            notes=notes,
            charts=charts,
            autofilter=autofilter,
        )


def dashboard_tab(
    rows: Sequence[ResultRow], goal_results: Sequence[GoalResult], *, currency: str, now: datetime
) -> Tab:
    """Headline KPIs (all segment) now and before, goal statuses and the trend with charts."""
    headline = {
        (row.kpi, row.period): row
        for row in rows
        if row.kpi in HEADLINE_KPIS
        and (row.segment_by, row.segment) == (ALL, ALL)
        and row.period.grain != "custom"
    }
    kpis = [kpi for kpi in HEADLINE_KPIS if any(k == kpi for k, _ in headline)]
    grains = [g for g in GRAINS if any(p.grain == g for _, p in headline)]
    grid = _Grid(max(len(COMPARISON_HEADER), len(DASHBOARD_GOALS_HEADER), len(kpis) + 1))
    for grain in grains:
        current = _current(grain, [p for _, p in headline], now)
        for kpi in kpis:
            _comparison(grid, headline, current, kpi, currency)
    _goal_statuses(grid, goal_results, currency)
    charts = _trend(grid, headline, kpis, grains, currency)
    stamp = f"Updated {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC."
    return grid.tab("Dashboard", COMPARISON_HEADER, charts=charts, notes=(stamp, *DASHBOARD_NOTES))


def _current(grain: Grain, periods: Sequence[Period], now: datetime) -> Period:
    """The latest period of `grain` that has started by `now` (the earliest if none has)."""
    of_grain = sorted({p for p in periods if p.grain == grain}, key=lambda p: p.first_day)
    started = [p for p in of_grain if p.start <= now]
    return started[-1] if started else of_grain[0]


def _comparison(
    grid: _Grid,
    headline: dict[tuple[str, Period], ResultRow],
    current: Period,
    kpi: str,
    currency: str,
) -> None:
    """A row with the KPI in `current` and the period before, unless it has neither."""
    previous = current.previous()
    row, before = headline.get((kpi, current)), headline.get((kpi, previous))
    known = row or before
    if known is None:
        return
    value = None if row is None else row.value
    prior = None if before is None else before.value
    unit = known.unit
    change, relative = _change(value, prior, unit)
    fmt = unit_format(unit, currency)
    grid.add(
        (kpi, current.label, value, previous.label, prior, change, relative),
        ("text", "text", fmt, "text", fmt, fmt, "percent"),
    )


def _goal_statuses(grid: _Grid, goal_results: Sequence[GoalResult], currency: str) -> None:
    """The goals block: each goal's value to date, target and coloured status."""
    if not goal_results:
        return
    grid.title("Goals", DASHBOARD_GOALS_HEADER)
    for result in goal_results:
        spec = result.spec
        fmt = unit_format(spec.unit, currency)
        index = grid.add(
            (spec.name, spec.kpi, result.value, spec.target, result.status),
            ("text", "text", fmt, fmt, "text"),
        )
        grid.styles[(index, len(DASHBOARD_GOALS_HEADER) - 1)] = status_style(result.status)


def _change(
    value: Number | None, prior: Number | None, unit: Unit
) -> tuple[Number | None, float | None]:
    """The absolute change (Decimal for money) and, for quantities, the relative change."""
    if value is None or prior is None:
        return None, None
    # through str, so that 0.12 - 0.1 is 0.02 and not its binary neighbour
    difference = Decimal(str(value)) - Decimal(str(prior))
    change: Number = difference if unit == "currency" else float(difference)
    if unit not in RELATIVE_UNITS or prior == 0:
        return change, None
    return change, float(difference / abs(Decimal(str(prior))))


def _trend(
    grid: _Grid,
    headline: dict[tuple[str, Period], ResultRow],
    kpis: Sequence[str],
    grains: Sequence[Grain],
    currency: str,
) -> tuple[Chart, ...]:
    """The trend block (month by month, else the finest grain) and one chart per unit in it."""
    if not grains:
        return ()
    grain = "month" if "month" in grains else grains[0]
    periods = sorted({p for _, p in headline if p.grain == grain}, key=lambda p: p.first_day)
    units = {kpi: row.unit for (kpi, _), row in headline.items()}
    grid.title(f"Trend by {grain}", ("period", *kpis))
    first = len(grid.rows)
    for period in periods:
        cells = [headline.get((kpi, period)) for kpi in kpis]
        grid.add(
            (period.label, *(None if c is None else c.value for c in cells)),
            ("text", *(unit_format(units[kpi], currency) for kpi in kpis)),
        )
    charts = []
    for unit in dict.fromkeys(units[kpi] for kpi in kpis):
        title = _CHART_TITLES[unit] + (f" ({currency})" if unit == "currency" else "")
        charts.append(
            Chart(
                title=f"{title} by {grain}",
                categories=0,
                series=tuple(i + 1 for i, kpi in enumerate(kpis) if units[kpi] == unit),
                first_row=first,
                last_row=len(grid.rows) - 1,
                y_format=unit_format(unit, currency),
            )
        )
    return tuple(charts)


def goals_tab(goal_results: Sequence[GoalResult], *, currency: str) -> Tab:
    """One row per goal: its definition, value and expected-to-date, progress and status."""
    grid = _Grid(len(GOALS_HEADER))
    for result in goal_results:
        spec = result.spec
        fmt = unit_format(spec.unit, currency)
        segment = ALL if spec.segment_by == ALL else f"{spec.segment_by}: {spec.segment}"
        cells: tuple[CellValue, ...] = (
            spec.name,
            spec.kpi,
            segment,
            spec.target,
            spec.direction,
            spec.start,
            spec.due,
            result.value,
            result.expected,
            result.progress,
            result.status,
        )
        index = grid.add(
            cells,
            ("text", "text", "text", fmt, "text", "date", "date", fmt, fmt, "percent", "text"),
        )
        grid.styles[(index, len(GOALS_HEADER) - 1)] = status_style(result.status)
    return grid.tab("Goals", GOALS_HEADER, notes=GOALS_NOTES, autofilter=True)
