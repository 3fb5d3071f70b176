"""Stuck deals: open deals that have been in their stage longer than the stage's threshold.

Measured at the period's end, or at `settings.now` while the period is still running. A
stage's threshold is `kpis.stuck_days` for it, else the 90th percentile of the visits of
the stage left in the 365 days before the period's end; with fewer than 10 of those it has
none, and no row (`docs/kpis.md`, stuck_deals).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from kpis.columns import MISSING, micros
from kpis.dataset import Dataset
from kpis.deal_index import days_between_each
from kpis.lifetime import lifetime_window
from kpis.periods import Period
from kpis.reports.columns import owner_labels
from kpis.results import ResultRow
from kpis.rows import segment_rows
from kpis.segments import ALL_SEGMENT, SegmentKey
from kpis.settings import KpiSettings
from kpis.stages import stage_index

PERCENTILE = 90
MIN_VISITS = 10
"""Fewer visits left in the year than this give no percentile threshold."""


@dataclass(frozen=True, slots=True)
class Threshold:
    """The days after which an open deal in a stage is stuck, and where the number comes from."""

    days: float
    note: str


@dataclass(frozen=True, slots=True)
class StuckDeal:
    """An open deal in its stage longer than the stage's threshold, at the measuring instant."""

    deal_id: str
    name: str | None
    stage: str
    owner: str
    days_in_stage: float
    threshold_days: float


@dataclass(frozen=True)
class StuckDeals:
    """The stuck deals of `period` at the instant `at` it was measured, longest in stage first
    (ties: by stage, then deal id)."""

    period: Period
    at: datetime
    deals: tuple[StuckDeal, ...]


@dataclass(frozen=True, slots=True)
class _Current:
    """The current visit of each deal open at an instant, in an open stage: its deal position,
    its position in `StageIndex.segments` and its days in the stage so far."""

    deal: npt.NDArray[np.intp]
    segment: npt.NDArray[np.intp]
    days: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class _Count:
    """One row's stuck deals (None: no stage has a threshold), open deals and note."""

    stuck: int | None
    n: int
    note: str | None = None


def measured_at(period: Period, settings: KpiSettings) -> datetime:
    """The period's end, or `settings.now` when that comes first (the period is running)."""
    now = settings.now
    return period.end if now is None else min(period.end, now)


def thresholds(data: Dataset, period: Period, settings: KpiSettings) -> dict[SegmentKey, Threshold]:
    """The threshold of every stage that has one for `period`."""
    index = stage_index(data, settings)
    window = lifetime_window(period)
    ended = index.day_arrays_in(window)
    found = {}
    for segment in index.segments:
        configured = settings.stuck_days.get(segment[1])
        days = ended.get(segment, np.zeros(0))
        if configured is not None:
            found[segment] = Threshold(
                float(configured), f"threshold {configured:g} days: kpis.stuck_days"
            )
        elif len(days) >= MIN_VISITS:
            value = float(np.percentile(days, PERCENTILE))
            found[segment] = Threshold(
                value,
                f"threshold {value:.1f} days: the {PERCENTILE}th percentile of {len(days)} "
                f"visits left in {window.label}",
            )
    return found


def _current(data: Dataset, settings: KpiSettings, at: datetime) -> _Current:
    """Each deal open at `at` with its visit current then, the last entered if several are."""
    deals, visits = data.columns.deals, data.columns.visits
    segment = stage_index(data, settings).visit_segment
    instant = micros(at)
    closed = deals.closed_at[visits.deal]
    still_open = (closed == MISSING) & deals.is_status("open")[visits.deal]
    open_then = still_open | ((closed != MISSING) & (closed > instant))
    exited = visits.exited_at
    current = np.flatnonzero(
        (visits.entered_at <= instant)
        & ((exited == MISSING) | (exited > instant))
        & open_then
        & (segment >= 0)
    )
    # visits are in entered order within a deal: the last one of a deal is its latest
    latest = current[::-1][np.unique(visits.deal[current][::-1], return_index=True)[1]]
    entered = visits.entered_at[latest]
    return _Current(
        deal=visits.deal[latest].astype(np.intp),
        segment=segment[latest],
        days=days_between_each(entered, np.full(len(entered), instant, dtype=np.int64)),
    )


def stuck_deals(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Per stage with a threshold, the open deals in it longer than the threshold.

    `n` is the stage's open deals; the note gives the threshold. The `all` row sums the
    stages with a threshold and is null when none has one.
    """
    limits = thresholds(data, period, settings)
    current = _current(data, settings, measured_at(period, settings))
    segments = stage_index(data, settings).segments
    counts: dict[SegmentKey, _Count] = {}
    for code, segment in enumerate(segments):
        limit = limits.get(segment)
        if limit is not None:
            days = current.days[current.segment == code]
            counts[segment] = _Count(int((days > limit.days).sum()), len(days), limit.note)
    if counts:
        stages = list(counts.values())
        counts[ALL_SEGMENT] = _Count(sum(c.stuck or 0 for c in stages), sum(c.n for c in stages))

    def row(segment: SegmentKey, count: _Count) -> ResultRow:
        return ResultRow(
            "stuck_deals", period, *segment, count.stuck, "count", count.n, note=count.note
        )

    return segment_rows(counts, _Count(None, 0), row)


def stuck_report(data: Dataset, period: Period, settings: KpiSettings) -> StuckDeals:
    """The deals `stuck_deals` counts for `period`, each with its stage, owner and days."""
    limits = thresholds(data, period, settings)
    at = measured_at(period, settings)
    current = _current(data, settings, at)
    segments = stage_index(data, settings).segments
    limit_of = np.array(
        [limits[s].days if s in limits else np.inf for s in segments], dtype=np.float64
    )
    stuck = np.flatnonzero(current.days > limit_of[current.segment])
    deals = data.columns.deals
    positions = current.deal[stuck]
    listed = [
        StuckDeal(
            deal_id=deals.id[deal],
            name=deals.name[deal],
            stage=segments[code][1],
            owner=owner,
            days_in_stage=days,
            threshold_days=float(limit_of[code]),
        )
        for deal, code, days, owner in zip(
            positions.tolist(),
            current.segment[stuck].tolist(),
            current.days[stuck].tolist(),
            owner_labels(data, deals, positions),
            strict=True,
        )
    ]
    listed.sort(key=lambda d: (-d.days_in_stage, d.stage.casefold(), d.deal_id))
    return StuckDeals(period, at, tuple(listed))
