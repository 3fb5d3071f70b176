"""Time in stage and stage conversion: how long deals stay in each open stage, and where to.

A visit counts in the period its `exited_at` is in. Closed (won/lost) stages are never left
in the sense that matters and produce no row. Rows are per stage (`segment_by = stage`,
segment `Pipeline label / Stage label`) plus an `all` row over every counted visit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from kpis.columns import MISSING, Codes, Instants, distinct_rows, group_by, micros
from kpis.dataset import Dataset
from kpis.journeys import converted_visits
from kpis.memo import per_dataset
from kpis.periods import Period
from kpis.results import ResultRow
from kpis.rows import mean_row, median_row, ratio_row, segment_rows
from kpis.segments import ALL_SEGMENT, SegmentKey
from kpis.settings import KpiSettings
from kpis.stats import SECONDS_PER_DAY


@dataclass(frozen=True)
class StageIndex:
    """Exited visits of open stages sorted by `exited_at`, with their stage, length in days
    and whether they converted (`kpis.journeys`).

    `segment` holds positions in `segments`; `visit_segment` is that of every visit, in the
    visit columns' order, -1 for a closed stage.
    """

    exited_at: Instants
    segment: Codes
    days: npt.NDArray[np.float64]
    converted: npt.NDArray[np.bool_]
    segments: tuple[SegmentKey, ...]
    visit_segment: npt.NDArray[np.intp]
    _groups: dict[tuple[int, int], dict[SegmentKey, list[float]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def durations_in(self, period: Period) -> Mapping[SegmentKey, Sequence[float]]:
        """Days of the visits exited in the period, by stage and over all stages."""
        bounds = (micros(period.start), micros(period.end))
        groups = self._groups.get(bounds)
        if groups is None:
            groups = self._groups[bounds] = self._group(*bounds)
        return groups

    def day_arrays_in(self, period: Period) -> dict[SegmentKey, npt.NDArray[np.float64]]:
        """Days of the visits exited in the period, by stage only, as array slices: for the
        percentiles of `kpis.stuck`, which need no list of a year of visits."""
        bounds = [micros(period.start), micros(period.end)]
        low, high = np.searchsorted(self.exited_at, bounds).tolist()
        return self._split(low, high)

    def _split(self, low: int, high: int) -> dict[SegmentKey, npt.NDArray[np.float64]]:
        """Days of the visits at sorted positions `[low, high)`, in exited order, by stage."""
        if low == high:
            return {}
        split = group_by(self.segment[low:high], len(self.segments))
        return {
            segment: values
            for segment, values in zip(self.segments, split(self.days[low:high]), strict=True)
            if len(values)
        }

    def conversions_in(self, period: Period) -> dict[SegmentKey, tuple[int, int]]:
        """(Converted, ended) visits exited in the period, by stage and over all stages."""
        low, high = np.searchsorted(self.exited_at, [micros(period.start), micros(period.end)])
        if low == high:
            return {}
        segment = self.segment[low:high]
        size = len(self.segments)
        ended = np.bincount(segment, minlength=size)
        converted = np.bincount(segment, weights=self.converted[low:high], minlength=size)
        groups = {ALL_SEGMENT: (int(converted.sum()), int(high - low))}
        for at in np.flatnonzero(ended).tolist():
            groups[self.segments[at]] = (int(converted[at]), int(ended[at]))
        return groups

    def _group(self, start: int, end: int) -> dict[SegmentKey, list[float]]:
        """Days of the visits exited in `[start, end)`, in exited order, by segment and all."""
        low, high = np.searchsorted(self.exited_at, [start, end]).tolist()
        if low == high:
            return {}
        groups = {ALL_SEGMENT: self.days[low:high].tolist()}
        groups.update((segment, days.tolist()) for segment, days in self._split(low, high).items())
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


def _visit_segments(data: Dataset) -> tuple[npt.NDArray[np.intp], tuple[SegmentKey, ...]]:
    """Each visit's position in the stage segments, -1 for a closed stage; the segments."""
    deals, visits = data.columns.deals, data.columns.visits
    combination, rows = distinct_rows(
        deals.source.codes[visits.deal],
        deals.pipeline_id.codes[visits.deal],
        visits.stage_id.codes,
    )
    known: dict[SegmentKey, int] = {}
    numbers: list[int] = []
    for source, pipeline, stage in rows:
        name = stage_segment(
            data,
            deals.source.values[source],
            deals.pipeline_id.values[pipeline],
            visits.stage_id.values[stage],
        )
        numbers.append(-1 if name is None else known.setdefault(("stage", name), len(known)))
    segment: npt.NDArray[np.intp] = np.array(numbers, dtype=np.intp)[combination]
    return segment, tuple(known)


def _build(data: Dataset, settings: KpiSettings) -> StageIndex:
    visits = data.columns.visits
    segment, segments = _visit_segments(data)
    counted = np.flatnonzero((visits.exited_at != MISSING) & (segment >= 0))
    exited_at = visits.exited_at[counted]
    # stable: visits exited at the same instant stay in deal, then history order
    order = np.argsort(exited_at, kind="stable")
    counted = counted[order]
    # float64 of the exact microseconds, then as `days_between` divides: the same bits
    days = (visits.exited_at[counted] - visits.entered_at[counted]) / 1e6 / SECONDS_PER_DAY
    return StageIndex(
        exited_at=exited_at[order],
        segment=segment[counted].astype(np.int32),
        days=days,
        converted=converted_visits(data)[counted],
        segments=segments,
        visit_segment=segment,
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


def stage_conversion_rate(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Of the visits of open stages exited in P, the share that moved forward or were won."""
    return segment_rows(
        stage_index(data, settings).conversions_in(period),
        (0, 0),
        lambda segment, counts: ratio_row("stage_conversion_rate", period, segment, *counts),
    )
