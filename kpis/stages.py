"""Time in stage: how long deals stay in each open stage of each pipeline.

A visit counts in the period its `exited_at` is in. Closed (won/lost) stages are never left
in the sense that matters and produce no row. Rows are per stage (`segment_by = stage`,
segment `Pipeline label / Stage label`) plus an `all` row over every counted visit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from kpis.dataset import Dataset
from kpis.memo import per_dataset
from kpis.periods import Period
from kpis.results import ResultRow
from kpis.rows import mean_row, median_row, segment_rows
from kpis.segments import ALL_SEGMENT, SegmentKey
from kpis.settings import KpiSettings
from kpis.slicing import between
from kpis.stats import days_between


@dataclass(frozen=True)
class StageIndex:
    """Exited visits of open stages sorted by `exited_at`, with their stage and length in days."""

    exited_at: Sequence[datetime]
    visits: Sequence[tuple[SegmentKey, float]]
    _groups: dict[tuple[datetime, datetime], dict[SegmentKey, list[float]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def durations_in(self, period: Period) -> Mapping[SegmentKey, Sequence[float]]:
        """Days of the visits exited in the period, by stage and over all stages."""
        bounds = (period.start, period.end)
        groups = self._groups.get(bounds)
        if groups is None:
            grouping: defaultdict[SegmentKey, list[float]] = defaultdict(list)
            for segment, days in self.visits[between(self.exited_at, *bounds)]:
                grouping[ALL_SEGMENT].append(days)
                grouping[segment].append(days)
            groups = self._groups[bounds] = dict(grouping)
        return groups


def stage_segment(data: Dataset, source: str, pipeline_id: str, stage_id: str) -> str | None:
    """`Pipeline label / Stage label`; the raw stage id for an unknown stage; None if closed.

    The stage's own pipeline label wins over the deal's: a deal moved between pipelines has
    visits in stages of its former pipeline.
    """
    stage = data.stage(source, pipeline_id, stage_id)
    if stage is None:
        return f"{data.pipeline_label(source, pipeline_id)} / {stage_id}"
    if stage.is_closed:
        return None
    return f"{stage.pipeline_label} / {stage.stage_label}"


def _build(data: Dataset, settings: KpiSettings) -> StageIndex:
    segments: dict[tuple[str, str, str], SegmentKey | None] = {}
    exited_at: list[datetime] = []
    visits: list[tuple[SegmentKey, float]] = []
    for deal in data.deals:
        for visit in deal.stage_history:
            if visit.exited_at is None:
                continue
            key = (deal.source, deal.pipeline_id, visit.stage_id)
            if key not in segments:
                name = stage_segment(data, *key)
                segments[key] = None if name is None else ("stage", name)
            segment = segments[key]
            if segment is not None:
                exited_at.append(visit.exited_at)
                visits.append((segment, days_between(visit.entered_at, visit.exited_at)))
    order = sorted(range(len(exited_at)), key=exited_at.__getitem__)
    return StageIndex(
        exited_at=[exited_at[at] for at in order], visits=[visits[at] for at in order]
    )


stage_index = per_dataset(_build)
"""The `StageIndex` of a dataset, built on first use and then shared."""


def stage_duration_days(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Mean days in stage over the visits of open stages exited in P."""
    return segment_rows(
        stage_index(data, settings).durations_in(period),
        [],
        lambda segment, days: mean_row("stage_duration_days", period, segment, "days", days),
    )


def stage_duration_days_median(
    data: Dataset, period: Period, settings: KpiSettings
) -> list[ResultRow]:
    """Median days in stage over the visits of open stages exited in P."""
    return segment_rows(
        stage_index(data, settings).durations_in(period),
        [],
        lambda segment, days: median_row(
            "stage_duration_days_median", period, segment, "days", days
        ),
    )
