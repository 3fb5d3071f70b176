"""The tabs built from KPI result rows: the tidy KPIs table and the Pipeline tab."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kpis.periods import Period
from kpis.results import Number, ResultRow
from kpis.stuck import StuckDeals
from sync.outputs.report_tabs import Column, Table, stack
from sync.outputs.tidy import KPI_HEADER, tidy_record
from sync.outputs.workbook import Cell, CellValue, Tab, unit_format

_KPI_FORMATS: dict[str, str] = {
    "period": "text",
    "period_start": "date",
    "period_end": "date",
    "kpi": "text",
    "segment_by": "text",
    "segment": "text",
    "value": "number",
    "unit": "text",
    "n": "integer",
    "numerator": "number",
    "denominator": "number",
    "updated_at": "datetime",
}
_VALUE_COLUMN = KPI_HEADER.index("value")
# a ratio's parts are counts (won and closed deals), a revenue KPI's parts are money
_PARTS = (KPI_HEADER.index("numerator"), KPI_HEADER.index("denominator"))


def kpis_tab(rows: Sequence[ResultRow], *, updated_at: datetime, currency: str) -> Tab:
    """The tidy table: one row per result in the given order, the value formatted by unit."""
    records = [tidy_record(row, updated_at) for row in rows]
    return Tab(
        name="KPIs",
        header=KPI_HEADER,
        rows=tuple(tuple(record[column] for column in KPI_HEADER) for record in records),
        column_formats=tuple(_KPI_FORMATS[column] for column in KPI_HEADER),
        cell_formats={
            **{
                (index, column): "integer"
                for index, row in enumerate(rows)
                for column, part in zip(_PARTS, (row.numerator, row.denominator), strict=True)
                if isinstance(part, int)
            },
            **{
                (index, _VALUE_COLUMN): unit_format(row.unit, currency, row.value)
                for index, row in enumerate(rows)
            },
        },
        cell_notes={(index, _VALUE_COLUMN): row.note for index, row in enumerate(rows) if row.note},
        autofilter=True,
    )


STAGE_MEAN = "stage_duration_days"
STAGE_MEDIAN = "stage_duration_days_median"
PIPELINE_HEADER = ("period", "stage", "mean_days", "median_days", "n")


@dataclass(frozen=True)
class StageDuration:
    """How long deals stayed in one stage during a period, from its two result rows."""

    stage: str
    mean_days: Number | None
    median_days: Number | None
    n: int


def pipeline_tab(rows: Sequence[ResultRow], stuck: StuckDeals | None = None) -> Tab:
    """Stage durations of the most recent period that has any, the bottleneck highlighted;
    then, given `stuck`, the stuck deals, longest in their stage first."""
    durations, notes = _durations_table(rows)
    tables = [durations] if stuck is None else [durations, _stuck_table(stuck)]
    return stack("Pipeline", tables, notes)


def _stuck_table(stuck: StuckDeals) -> Table:
    """The stuck deals, each with its days in stage and its stage's threshold."""
    return Table(
        title=(
            f"Stuck deals on {stuck.at.astimezone(stuck.period.tz):%Y-%m-%d %H:%M}: open "
            "longer than their stage's threshold, longest first"
        ),
        columns=(
            Column("deal_id", "text"),
            Column("name", "text"),
            Column("stage", "text"),
            Column("owner", "text"),
            Column("days_in_stage", "days"),
            Column("threshold_days", "days"),
        ),
        rows=[
            (d.deal_id, d.name, d.stage, d.owner, d.days_in_stage, d.threshold_days)
            for d in stuck.deals
        ],
    )


def _durations_table(rows: Sequence[ResultRow]) -> tuple[Table, tuple[str, ...]]:
    """The stage durations of the latest period, the bottleneck's row highlighted, and the
    line naming it."""
    stage_rows = [
        row for row in rows if row.kpi in (STAGE_MEAN, STAGE_MEDIAN) and row.segment_by == "stage"
    ]
    if not stage_rows:
        return _durations_layout([], frozenset()), ()
    period = latest_period(stage_rows)
    durations = stage_durations(stage_rows, period)
    table = [(period.label, d.stage, d.mean_days, d.median_days, d.n) for d in durations]
    bottleneck = _bottleneck(durations)
    if bottleneck is None:
        return _durations_layout(table, frozenset()), ()
    index, mean = bottleneck
    line = (
        f"Bottleneck in {period.label}: {durations[index].stage}, "
        f"{float(mean):.1f} days on average over {durations[index].n} visits."
    )
    row_cells = frozenset((index, column) for column in range(len(PIPELINE_HEADER)))
    return _durations_layout(table, row_cells), (line,)


def _durations_layout(table: Sequence[tuple[CellValue, ...]], highlights: frozenset[Cell]) -> Table:
    return Table(
        title="Pipeline",
        columns=tuple(
            Column(name, fmt)
            for name, fmt in zip(
                PIPELINE_HEADER, ("text", "text", "days", "days", "integer"), strict=True
            )
        ),
        rows=table,
        highlights=highlights,
    )


def latest_period(rows: Sequence[ResultRow]) -> Period:
    """The period starting last; on a tie the shorter one (a month before its quarter)."""
    return max((row.period for row in rows), key=lambda p: (p.first_day, -p.last_day.toordinal()))


def stage_durations(rows: Sequence[ResultRow], period: Period) -> list[StageDuration]:
    """One entry per stage of `period`, in the order the stages first appear in `rows`."""
    by_stage: dict[str, dict[str, ResultRow]] = {}
    for row in rows:
        if row.period == period:
            by_stage.setdefault(row.segment, {})[row.kpi] = row
    durations = []
    for stage, results in by_stage.items():
        mean, median = results.get(STAGE_MEAN), results.get(STAGE_MEDIAN)
        durations.append(
            StageDuration(
                stage=stage,
                mean_days=None if mean is None else mean.value,
                median_days=None if median is None else median.value,
                n=(results[STAGE_MEDIAN] if mean is None else mean).n,
            )
        )
    return durations


def _bottleneck(durations: Sequence[StageDuration]) -> tuple[int, Number] | None:
    """The index and mean of the stage with the longest mean (the first on a tie)."""
    means = [(index, d.mean_days) for index, d in enumerate(durations) if d.mean_days is not None]
    return max(means, key=lambda pair: (pair[1], -pair[0])) if means else None
