"""The pipeline changes over a period (`docs/kpis.md`, pipeline_open_start ...): the pipeline
as of its start, what was created, won and lost in it, how the amounts of the deals in it
changed, the pipeline as of its end, and what was pushed out of it.

Everything is read from the deals' stretches (`kpis.memory.timeline`), in whole cents
(`Timeline.cents`), so `open_start + created - won - lost + value_change == open_end` holds
to the cent, in every segment. A deal's **open runs** are its stretches of consecutive open
states: each run is created where it starts (at the deal's creation, or where the deal was
reopened) and won or lost where it ends. A deal born closed (its first state already won or
lost) is created and closed at the same instant. The amount of a deal at an instant is the
amount of its stretch in effect then, so a change at an instant counts from that instant:

- `open_start` / `open_end`: `Timeline.pipeline_at` of P.start / P.end;
- `created`: the runs that start in P, at their first state's amount;
- `won` / `lost`: the runs that end in P, at the closing state's amount;
- `value_change`: every change of amount between two states of a deal's run at an instant
  `t` with `P.start < t <= P.end`, the close included (a deal won at a higher amount than it
  had); in the `pipeline` segments a move from one pipeline to another is the deal's amount
  leaving the one and entering the other;
- `pushed`: deals of `open_start` whose expected close was in P as of P.start and is at or
  after P.end as of P.end, or as of their closing when they closed first.

The segment of a figure is the pipeline of the state it reads (as of the instant it counts
at), so a deal counts in the pipeline it was in then. A period still running (`settings.now`
before P.end) is measured up to now, as every other KPI is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from kpis.columns import MISSING, combine, micros
from kpis.dataset import Dataset
from kpis.memo import per_dataset
from kpis.memory.timeline import FOREVER, LOST, OPEN, WON, Timeline
from kpis.money import Converter
from kpis.periods import Period
from kpis.results import ResultRow
from kpis.segments import ALL_SEGMENT, SegmentKey, label, segment_order
from kpis.settings import KpiSettings

Step: TypeAlias = Literal[
    "open_start", "created", "won", "lost", "value_change", "open_end", "pushed"
]
STEPS: Final[tuple[Step, ...]] = (
    "open_start",
    "created",
    "won",
    "lost",
    "value_change",
    "open_end",
    "pushed",
)
"""The seven figures, in the order of the KPIs `pipeline_<step>`."""


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure in one segment: a sum of amounts in cents, over `deals` deals (or runs, for
    created, won and lost: a deal reopened and won again counts twice), `without_amount` of
    which had no amount and count as 0."""

    cents: int = 0
    deals: int = 0
    without_amount: int = 0

    @property
    def value(self) -> Decimal | None:
        """The published value: the sum in the reporting currency, None over no deal."""
        return Decimal(self.cents).scaleb(-2) if self.deals else None


EMPTY: Final = Figure()


@dataclass(frozen=True)
class PipelineChanges:
    """The seven figures of one period, by step then segment; a segment with no deal for a
    step has no entry there (`figure` gives `EMPTY`)."""

    period: Period
    figures: Mapping[Step, Mapping[SegmentKey, Figure]]

    def figure(self, step: Step, segment: SegmentKey = ALL_SEGMENT) -> Figure:
        return self.figures[step].get(segment, EMPTY)

    def segments(self) -> list[SegmentKey]:
        """Every segment with a figure, `all` first, in publishing order."""
        found = {ALL_SEGMENT, *(key for step in self.figures.values() for key in step)}
        return sorted(found, key=lambda key: segment_order(*key))


@dataclass(frozen=True, eq=False)
class _Memory:
    """What every period reads, built once per dataset and settings: per stretch its amount
    in cents, whether it has one, its segment, its expected close and where its run ends;
    and the instants of the events (creations, closes, changes of amount) in time order."""

    timeline: Timeline
    cents: npt.NDArray[np.int64]
    has_amount: npt.NDArray[np.bool_]
    segment: npt.NDArray[np.intp]
    keys: tuple[SegmentKey, ...]
    expected: npt.NDArray[np.int64]
    closing: npt.NDArray[np.intp]
    creations: npt.NDArray[np.intp]
    closes: npt.NDArray[np.intp]
    changes: npt.NDArray[np.intp]
    deals: int
    cache: dict[tuple[Period, int], PipelineChanges] = field(default_factory=dict)


def _build(data: Dataset, settings: KpiSettings) -> _Memory:
    columns = data.columns
    timeline = Timeline.of(columns)
    state_cents, state_has = timeline.cents(Converter.from_settings(settings))
    rows = timeline.row
    states = timeline.states
    deals = columns.deals

    # each state's pipeline segment, looked up once per distinct (source, pipeline)
    source = deals.source.codes[states.deal]
    pair = combine(source, states.pipeline_id.codes)
    _, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
    keys: dict[SegmentKey, int] = {ALL_SEGMENT: 0}
    codes = []
    for at in first.tolist():
        src, pipeline = deals.source.at(int(states.deal[at])), states.pipeline_id.at(at)
        name = label(None if pipeline is None else data.pipeline_label(str(src), pipeline))
        codes.append(keys.setdefault(("pipeline", name), len(keys)))
    state_segment = np.asarray(codes, dtype=np.intp)[inverse.reshape(-1)]

    status = timeline.status
    is_open = status == OPEN
    first_of_deal = np.ones(len(timeline), dtype=np.bool_)
    first_of_deal[1:] = timeline.deal[1:] != timeline.deal[:-1]
    after_open = np.zeros(len(timeline), dtype=np.bool_)
    after_open[1:] = is_open[:-1] & ~first_of_deal[1:]
    closed = (status == WON) | (status == LOST)
    born_closed = first_of_deal & closed
    creations = np.flatnonzero((is_open & ~after_open) | born_closed)
    closes = np.flatnonzero(closed & (after_open | born_closed))
    changes = np.flatnonzero(after_open)

    # the stretch that closes each open stretch's run (-1 for a run that lasts); a closed
    # stretch is its own
    run_start = is_open & ~after_open
    run_id = np.cumsum(run_start) - 1
    continues = np.zeros(len(timeline), dtype=np.bool_)
    continues[:-1] = after_open[1:] & is_open[1:]
    last = np.flatnonzero(is_open & ~continues)
    closing_of_run = np.where(timeline.end[last] == FOREVER, -1, last + 1)
    closing = np.full(len(timeline), -1, dtype=np.intp)
    closing[is_open] = closing_of_run[run_id[is_open]]
    closing[closed] = np.flatnonzero(closed)

    def by_start(positions: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        ordered: npt.NDArray[np.intp] = positions[
            np.argsort(timeline.start[positions], kind="stable")
        ]
        return ordered

    return _Memory(
        timeline=timeline,
        cents=state_cents[rows],
        has_amount=state_has[rows],
        segment=state_segment[rows],
        keys=tuple(keys),
        expected=states.expected_close_at[rows],
        closing=closing,
        creations=by_start(creations),
        closes=by_start(closes),
        changes=by_start(changes),
        deals=len(deals),
    )


_memory = per_dataset(_build)


def pipeline_changes(data: Dataset, period: Period, settings: KpiSettings) -> PipelineChanges:
    """The seven figures of `period`, in the `all` and `pipeline` segments."""
    memory = _memory(data, settings)
    start, end = micros(period.start), micros(period.end)
    until = end if settings.now is None else max(start, min(end, micros(settings.now)))
    # by the period itself, not its bounds: a custom period of October has its own label
    key = (period, until)
    found = memory.cache.get(key)
    if found is None:
        found = _changes(memory, period, start, until, end)
        memory.cache[key] = found
    return found


def _changes(memory: _Memory, period: Period, start: int, until: int, end: int) -> PipelineChanges:
    timeline = memory.timeline
    at_start = timeline.pipeline_at(start)
    at_end = timeline.pipeline_at(until)
    created = _within(memory, memory.creations, start, until)
    closed = _within(memory, memory.closes, start, until)
    won = closed[timeline.status[closed] == WON]
    lost = closed[timeline.status[closed] == LOST]
    return PipelineChanges(
        period=period,
        figures={
            "open_start": _sums(memory, at_start),
            "created": _sums(memory, created),
            "won": _sums(memory, won),
            "lost": _sums(memory, lost),
            "value_change": _value_change(memory, start, until),
            "open_end": _sums(memory, at_end),
            "pushed": _sums(memory, _pushed(memory, at_start, start, until, end)),
        },
    )


def _within(
    memory: _Memory, events: npt.NDArray[np.intp], start: int, end: int
) -> npt.NDArray[np.intp]:
    """The events (stretches in start order) that start in `[start, end)`."""
    instants = memory.timeline.start[events]
    first, stop = np.searchsorted(instants, [start, end], side="left")
    found: npt.NDArray[np.intp] = events[first:stop]
    return found


def _sums(memory: _Memory, stretches: npt.NDArray[np.intp]) -> dict[SegmentKey, Figure]:
    """The figure of each segment over `stretches`, one deal each."""
    cents = memory.cents[stretches]
    missing = ~memory.has_amount[stretches]
    segment = memory.segment[stretches]
    size = len(memory.keys)
    totals = np.zeros(size, dtype=np.int64)
    np.add.at(totals, segment, cents)
    counts = np.bincount(segment, minlength=size)
    without = np.bincount(segment[missing], minlength=size)
    found = {ALL_SEGMENT: Figure(int(cents.sum()), len(stretches), int(missing.sum()))}
    for at in np.flatnonzero(counts).tolist():
        found[memory.keys[at]] = Figure(int(totals[at]), int(counts[at]), int(without[at]))
    return found


def _value_change(memory: _Memory, start: int, end: int) -> dict[SegmentKey, Figure]:
    """Σ of the changes of amount at instants in `(start, end]` within the deals' runs.

    Its deals are those open over some part of the period, and in a `pipeline` segment also
    those that moved into it; `without_amount` counts the deals without an amount over some
    part of the period.
    """
    timeline = memory.timeline
    instants = timeline.start[memory.changes]
    first, stop = np.searchsorted(instants, [start, end], side="right")
    after = memory.changes[first:stop]
    before = after - 1
    size = len(memory.keys)
    totals = np.zeros(size, dtype=np.int64)
    np.add.at(totals, memory.segment[after], memory.cents[after])
    np.subtract.at(totals, memory.segment[before], memory.cents[before])
    total = int(memory.cents[after].sum() - memory.cents[before].sum())

    open_in = np.flatnonzero(
        (timeline.status == OPEN) & (timeline.start < end) & (timeline.end > start)
    )
    stretches = np.concatenate([open_in, after])
    deal = timeline.deal[stretches].astype(np.int64)
    segment = memory.segment[stretches]
    missing = ~memory.has_amount[stretches]
    pairs = np.unique(deal * size + segment)
    counts = np.bincount(pairs % size, minlength=size)
    without_pairs = np.unique((deal * size + segment)[missing])
    without = np.bincount(without_pairs % size, minlength=size)
    found = {ALL_SEGMENT: Figure(total, len(np.unique(deal)), len(np.unique(deal[missing])))}
    for at in np.flatnonzero(counts).tolist():
        found[memory.keys[at]] = Figure(int(totals[at]), int(counts[at]), int(without[at]))
    return found


def _pushed(
    memory: _Memory, at_start: npt.NDArray[np.intp], start: int, until: int, end: int
) -> npt.NDArray[np.intp]:
    """The stretches of `at_start` whose deal's expected close moved from P to after it."""
    timeline = memory.timeline
    expected = memory.expected[at_start]
    due = (expected != MISSING) & (expected >= start) & (expected < end)
    candidates = at_start[due]
    # the state as of `until`: the one that closed the run when it closed before, else the
    # one in effect then (the run goes on past it, or closes at that very instant)
    in_effect = np.full(memory.deals, -1, dtype=np.intp)
    now = timeline.at(until)
    in_effect[timeline.deal[now]] = now
    closing = memory.closing[candidates]
    closed_first = (closing >= 0) & (timeline.start[np.maximum(closing, 0)] < until)
    later = np.where(closed_first, closing, in_effect[timeline.deal[candidates]])
    moved = memory.expected[later]
    pushed: npt.NDArray[np.intp] = candidates[(moved != MISSING) & (moved >= end)]
    return pushed


def figure_row(kpi: str, changes: PipelineChanges, step: Step, segment: SegmentKey) -> ResultRow:
    """The result row of one figure; its note says how many of its deals had no amount."""
    figure = changes.figure(step, segment)
    note = None
    if figure.without_amount:
        note = f"{figure.without_amount} of its {figure.deals} deals have no amount (counted as 0)"
    return ResultRow(
        kpi=kpi,
        period=changes.period,
        segment_by=segment[0],
        segment=segment[1],
        value=figure.value,
        unit="currency",
        n=figure.deals,
        note=note,
    )


def _rows(step: Step, data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    changes = pipeline_changes(data, period, settings)
    segments = sorted({ALL_SEGMENT, *changes.figures[step]}, key=lambda key: segment_order(*key))
    return [figure_row(f"pipeline_{step}", changes, step, segment) for segment in segments]


def pipeline_open_start(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Σ amount of the pipeline as of P.start."""
    return _rows("open_start", data, period, settings)


def pipeline_created(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Σ amount, at creation, of the deals created (or reopened) in P."""
    return _rows("created", data, period, settings)


def pipeline_won(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Σ amount, at closing, of the deals won in P."""
    return _rows("won", data, period, settings)


def pipeline_lost(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Σ amount, at closing, of the deals lost in P."""
    return _rows("lost", data, period, settings)


def pipeline_value_change(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Σ of the changes of amount of the deals while they were open in P."""
    return _rows("value_change", data, period, settings)


def pipeline_open_end(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Σ amount of the pipeline as of P.end (now, for a period still running)."""
    return _rows("open_end", data, period, settings)


def pipeline_pushed(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Σ amount, as of P.start, of the deals expected to close in P then and after it later."""
    return _rows("pushed", data, period, settings)
