"""The Dashboard's trend tables, one per grain, and the charts drawn from the first one.

A trend table lists the complete periods, oldest first, then the running period marked
partial. Charts and sparklines draw the complete rows only, so no line ends in the drop of
a period that has just begun. A chart holds KPIs of one unit and one magnitude: within a
unit, a KPI whose largest value is under a third of the group's largest starts a chart of
its own (customer lifetime value apart from revenue, CAC apart from both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from kpis.catalog import KPIS
from kpis.results import Unit
from sync.outputs.dashboard.blocks import Headline
from sync.outputs.dashboard.cells import display_format
from sync.outputs.dashboard.periods import GrainPeriods
from sync.outputs.tab_grid import Grid
from sync.outputs.workbook import PARTIAL, Chart

# how many times smaller a KPI may be than the largest on its axis before it gets its own
MAGNITUDE = Decimal(3)
_CHART_TITLES: dict[Unit, str] = {
    "ratio": "Rates",
    "currency": "Money",
    "days": "Days",
    "hours": "Hours",
    "score": "Scores",
    "count": "Counts",
}


@dataclass(frozen=True)
class TrendRange:
    """Where a trend table's complete rows are: data rows `first` to `last`, a column per KPI."""

    first: int
    last: int
    columns: dict[str, int]


def trend_block(
    grid: Grid, periods: GrainPeriods, headline: Headline, kpis: Sequence[str], currency: str
) -> TrendRange | None:
    """The table of `periods`' grain, from its first complete period with any value (the
    periods before the CRM held data would only push the trend down the page); None when no
    period of it is complete."""
    complete = list(periods.complete)
    while complete and all(
        (row := headline.get((kpi, complete[0]))) is None or row.value is None for kpi in kpis
    ):
        complete.pop(0)
    shown = [*complete, *(() if periods.current is None else (periods.current,))]
    if not complete or not kpis:
        return None
    grid.title(
        f"By {periods.grain} (charts and sparklines: complete {periods.grain}s only)",
        ("period", *(KPIS[kpi].label for kpi in kpis)),
    )
    formats = ["text", *(display_format(KPIS[kpi].unit, currency) for kpi in kpis)]
    first = len(grid.rows)
    for period in shown:
        cells = [headline.get((kpi, period)) for kpi in kpis]
        partial = period == periods.current
        index = grid.add(
            (
                f"{period.label} (to date)" if partial else period.label,
                *(None if c is None else c.value for c in cells),
            ),
            formats,
        )
        if partial:
            grid.styles.update(((index, column), PARTIAL) for column in range(len(formats)))
    last = first + len(complete) - 1
    return TrendRange(first, last, {kpi: i + 1 for i, kpi in enumerate(kpis)})


def trend_charts(
    grid: Grid, periods: GrainPeriods, found: TrendRange, currency: str
) -> tuple[Chart, ...]:
    """One line chart per unit and magnitude over the complete rows of the trend table."""
    charts = []
    for unit, group in _groups(grid, found):
        name = KPIS[group[0]].label if len(group) == 1 else _CHART_TITLES[unit]
        # labels name their unit ("Sales cycle (days, mean)"); money needs its currency
        money = f" ({currency})" if unit == "currency" else ""
        charts.append(
            Chart(
                title=f"{name}{money} by {periods.grain}",
                categories=0,
                series=tuple(found.columns[kpi] for kpi in group),
                first_row=found.first,
                last_row=found.last,
                y_format=display_format(unit, currency),
            )
        )
    return tuple(charts)


def _groups(grid: Grid, found: TrendRange) -> list[tuple[Unit, list[str]]]:
    """KPIs with a value, by unit in the table's order, then by magnitude, largest first."""
    largest = {}
    for kpi, column in found.columns.items():
        values = [
            abs(Decimal(str(grid.rows[row][column])))
            for row in range(found.first, found.last + 1)
            if isinstance(grid.rows[row][column], int | float | Decimal)
        ]
        if values:
            largest[kpi] = max(values)
    groups: list[tuple[Unit, list[str]]] = []
    for unit in dict.fromkeys(KPIS[kpi].unit for kpi in largest):
        of_unit = sorted((k for k in largest if KPIS[k].unit == unit), key=lambda k: -largest[k])
        start = len(groups)
        for kpi in of_unit:
            top = groups[-1][1][0] if len(groups) > start else None
            if top is not None and largest[kpi] * MAGNITUDE >= largest[top]:
                groups[-1][1].append(kpi)
            else:
                groups.append((unit, [kpi]))
        for _, group in groups[start:]:
            group.sort(key=list(found.columns).index)
    return groups
