"""Sales performance for a period: per owner, open pipeline by stage, deals by status,
currency and pipeline.

Every table reads the same deals: those in the pipeline during P, as `close_rate` counts them
(`created_at < P.end` and not closed before `P.start`). Each has one status for P: won or lost
when it closed in P, open when it was still open at `P.end` (never closed, or closed later).
So the status counts add up to the close rate's denominator, and "open" means open at the
end of the period: for the current period, the deals open now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from connectors.schema import DealStatus
from kpis.columns import (
    MISSING,
    NO_LABEL,
    Codes,
    DealColumns,
    Labels,
    VisitColumns,
    distinct_rows,
    micros,
)
from kpis.columns import group_by as group_codes
from kpis.dataset import Dataset
from kpis.money import Converter, check_currencies, round_money
from kpis.periods import Period
from kpis.reports import Tally, money_total
from kpis.results import NONE_SEGMENT
from kpis.segments import label
from kpis.settings import KpiSettings

Positions: TypeAlias = npt.NDArray[np.intp]

STATUS_ORDER: tuple[DealStatus, ...] = ("open", "won", "lost")
# a deal's status for P, as its position in STATUS_ORDER
_OPEN, _WON, _LOST = range(len(STATUS_ORDER))
# where the stage a deal was in at the end of P comes from: a visit, the deal, or nowhere
_VISIT_STAGE, _DEAL_STAGE, _NO_STAGE = range(3)
# unknown stages sort after the known stages of their pipeline
_UNKNOWN_STAGE_ORDER = 1 << 31


@dataclass(frozen=True, slots=True)
class OwnerPerformance:
    """One owner's deals won in P and deals open at `P.end`; values in the reporting currency.

    `average_won_value` is over the won deals with an amount.
    """

    owner: str
    won_deals: int
    won_value: Decimal | None
    average_won_value: Decimal | None
    open_deals: int
    open_value: Decimal | None


@dataclass(frozen=True, slots=True)
class StageValue:
    """The deals open at `P.end` in one stage (`Pipeline label / Stage label`)."""

    stage: str
    open_deals: int
    open_value: Decimal | None


@dataclass(frozen=True, slots=True)
class StatusCount:
    """The deals of P with one status, and their value."""

    status: DealStatus
    deals: int
    value: Decimal | None


@dataclass(frozen=True, slots=True)
class CurrencyCount:
    """The deals of P in one currency: `amount` in that currency, `value` converted."""

    currency: str
    deals: int
    amount: Decimal | None
    value: Decimal | None


@dataclass(frozen=True, slots=True)
class PipelinePerformance:
    """The deals of P in one pipeline, by status, with the won and open values."""

    pipeline: str
    deals: int
    won_deals: int
    lost_deals: int
    open_deals: int
    won_value: Decimal | None
    open_value: Decimal | None


@dataclass(frozen=True)
class SalesPerformance:
    """The sales performance of `period`; values are in `currency`.

    Owners come best first (won value, then won deals, then name); stages in pipeline order
    (pipeline label, then stage order); statuses open, won, lost (always all three);
    currencies and pipelines alphabetically.
    """

    period: Period
    currency: str
    owners: tuple[OwnerPerformance, ...]
    stages: tuple[StageValue, ...]
    statuses: tuple[StatusCount, ...]
    currencies: tuple[CurrencyCount, ...]
    pipelines: tuple[PipelinePerformance, ...]


@dataclass
class _Split:
    """A won, a lost and an open tally for one owner or pipeline."""

    won: Tally = field(default_factory=Tally)
    lost: Tally = field(default_factory=Tally)
    open: Tally = field(default_factory=Tally)


def sales_performance(data: Dataset, period: Period, settings: KpiSettings) -> SalesPerformance:
    """Owners, stages, statuses, currencies and pipelines of the deals in the pipeline in P.

    Raises `CurrencyError` when a deal's currency has no rate.
    """
    check_currencies(data, settings)
    converter = Converter.from_settings(settings)
    deals = data.columns.deals
    selected, status = _statuses_in(deals, period)
    values = converter.values(deals, selected.tolist())
    is_open = np.flatnonzero(status == _OPEN)
    owners = _splits(_owner_names(data, selected), status, values)
    pipelines = _splits(_pipeline_names(data, selected), status, values)
    statuses = _tallies(status, len(STATUS_ORDER), values)
    return SalesPerformance(
        period=period,
        currency=converter.currency,
        owners=tuple(sorted((_owner(name, split) for name, split in owners), key=_rank)),
        stages=_stages(data, selected[is_open], micros(period.end), [values[at] for at in is_open]),
        statuses=tuple(
            StatusCount(s, statuses[at].deals, statuses[at].total)
            for at, s in enumerate(STATUS_ORDER)
        ),
        currencies=_currencies(deals, selected, values, converter.currency),
        pipelines=tuple(
            _pipeline(name, split)
            for name, split in sorted(pipelines, key=lambda item: _alphabetical(item[0]))
        ),
    )


def _statuses_in(deals: DealColumns, period: Period) -> tuple[Positions, Codes]:
    """The deals in the pipeline during P, in dataset order, and their statuses for P.

    A status is its position in `STATUS_ORDER`.
    """
    start, end = micros(period.start), micros(period.end)
    created = deals.created_at < end
    unclosed = deals.closed_at == MISSING
    open_at_end = created & (unclosed | (deals.closed_at >= end))
    closed_in = created & ~unclosed & (deals.closed_at >= start) & (deals.closed_at < end)
    selected = np.flatnonzero(open_at_end | closed_in)
    own_status = np.array([STATUS_ORDER.index(s) for s in deals.status.values], dtype=np.int32)
    status = np.where(
        open_at_end[selected], np.int32(_OPEN), own_status[deals.status.codes[selected]]
    ).astype(np.int32)
    return selected, status


def _tallies(keys: Codes, count: int, values: Sequence[Decimal | None]) -> list[Tally]:
    """One tally per key `0..count-1` of the `values` with that key, in their order."""
    split = group_codes(keys, count)
    return [
        Tally(
            len(members),
            [value for at in members.tolist() if (value := values[at]) is not None],
        )
        for members in split(np.arange(len(keys)))
    ]


def _text(labels: Labels, code: int) -> str | None:
    """The text of `code` in `labels`; None for `NO_LABEL`."""
    return None if code == NO_LABEL else labels.values[code]


@dataclass(frozen=True)
class _Names:
    """Deals grouped by a name made of a few of their fields (their owner's display name)."""

    group: Codes
    """Each deal's group, numbered in order of the group's first deal."""
    names: list[str]
    first: Positions
    """The first deal of each group."""

    @classmethod
    def of(cls, rows: Positions, names: Sequence[str]) -> _Names:
        """Deals with the distinct rows `rows` of fields that give `names` (one per row)."""
        known: dict[str, int] = {}
        numbers = np.array([known.setdefault(name, len(known)) for name in names], np.int32)
        group = numbers[rows]
        # every name has a deal: the rows are those of the deals
        numbered, first = np.unique(group, return_index=True)
        order = np.argsort(first)
        renumber = np.empty(len(order), dtype=np.int32)
        renumber[order] = np.arange(len(order), dtype=np.int32)
        names_in = list(known)
        return cls(
            group=renumber[group],
            names=[names_in[at] for at in numbered[order].tolist()],
            first=first[order],
        )


def _owner_names(data: Dataset, selected: Positions) -> _Names:
    deals = data.columns.deals
    rows, fields = distinct_rows(deals.source.codes[selected], deals.owner_id.codes[selected])
    names = [
        label(data.owner_name(deals.source.values[source], _text(deals.owner_id, owner)))
        for source, owner in fields
    ]
    return _Names.of(rows, names)


def _pipeline_names(data: Dataset, selected: Positions) -> _Names:
    deals = data.columns.deals
    rows, fields = distinct_rows(deals.source.codes[selected], deals.pipeline_id.codes[selected])
    names = [
        data.pipeline_label(deals.source.values[source], deals.pipeline_id.values[pipeline])
        for source, pipeline in fields
    ]
    return _Names.of(rows, names)


def _splits(
    names: _Names, status: Codes, values: Sequence[Decimal | None]
) -> list[tuple[str, _Split]]:
    """A won, a lost and an open tally of each name's deals."""
    width = len(STATUS_ORDER)
    tallies = _tallies(names.group * width + status, len(names.names) * width, values)
    return [
        (name, _Split(won=tallies[at + _WON], lost=tallies[at + _LOST], open=tallies[at + _OPEN]))
        for name, at in zip(names.names, range(0, len(tallies), width), strict=True)
    ]


def _currencies(
    deals: DealColumns, selected: Positions, values: Sequence[Decimal | None], reporting: str
) -> tuple[CurrencyCount, ...]:
    """Per currency (none is the reporting currency): deals, amounts and converted values."""
    rows, fields = distinct_rows(deals.currency.codes[selected])
    names = _Names.of(rows, [_text(deals.currency, code) or reporting for (code,) in fields])
    split = group_codes(names.group, len(names.names))
    positions = selected.tolist()
    counts: list[CurrencyCount] = []
    for name, members in zip(names.names, split(np.arange(len(selected))), strict=True):
        tallied = members.tolist()
        # a deal has a value exactly when it has an amount: the currencies were checked
        amounts = [a for at in tallied if (a := deals.amount[positions[at]]) is not None]
        converted = [value for at in tallied if (value := values[at]) is not None]
        counts.append(
            CurrencyCount(name, len(tallied), money_total(amounts), money_total(converted))
        )
    return tuple(sorted(counts, key=lambda count: count.currency))


def _stages(
    data: Dataset, open_deals: Positions, end: int, values: Sequence[Decimal | None]
) -> tuple[StageValue, ...]:
    """The deals open at `end` by the stage they were in, in pipeline and stage order."""
    deals, visits = data.columns.deals, data.columns.visits
    kind, stage = _stages_at(deals, visits, open_deals, end)
    rows, fields = distinct_rows(
        deals.source.codes[open_deals], deals.pipeline_id.codes[open_deals], kind, stage
    )
    labels = {_VISIT_STAGE: visits.stage_id, _DEAL_STAGE: deals.stage_id}
    stages = [
        _stage_label(
            data,
            deals.source.values[source],
            deals.pipeline_id.values[pipeline],
            None if found == _NO_STAGE else labels[found].values[code],
        )
        for source, pipeline, found, code in fields
    ]
    names = _Names.of(rows, [name for name, _ in stages])
    # a name sorts by the stage of its first deal, as when the deals were tallied in order
    order = [stages[row][1] for row in rows[names.first].tolist()]
    tallies = _tallies(names.group, len(names.names), values)
    return tuple(
        StageValue(names.names[at], tallies[at].deals, tallies[at].total)
        for at in sorted(range(len(order)), key=order.__getitem__)
    )


def _stages_at(
    deals: DealColumns, visits: VisitColumns, open_deals: Positions, end: int
) -> tuple[Codes, Codes]:
    """Where the stage each deal was in just before `end` comes from, and its code there.

    The stage history says so when a visit spans `end` (entered before it, left at or after
    it; the last such visit in history order). Otherwise, for a deal still open, its current
    stage: the CRM's current stage is more reliable than a history that may lag behind it. A
    deal closed since `end` without such a visit is now in its closed stage, which says
    nothing of where it was: no stage, `(none)`.
    """
    spanning = np.flatnonzero(
        (visits.entered_at < end) & (visits.exited_at != MISSING) & (visits.exited_at >= end)
    )
    last = np.full(len(deals), -1, dtype=np.intp)
    np.maximum.at(last, visits.deal[spanning], spanning)
    visit = last[open_deals]
    by_visit = visit >= 0
    still_open = deals.status.codes[open_deals] == deals.status.code("open")
    kind = np.where(still_open, _DEAL_STAGE, _NO_STAGE).astype(np.int32)
    stage = np.where(still_open, deals.stage_id.codes[open_deals], NO_LABEL).astype(np.int32)
    kind[by_visit] = _VISIT_STAGE
    stage[by_visit] = visits.stage_id.codes[visit[by_visit]]
    return kind, stage


def _stage_label(
    data: Dataset, source: str, pipeline_id: str, stage_id: str | None
) -> tuple[str, tuple[str, int, str]]:
    """The label and sort key of a deal's stage in its pipeline; `(none)` for no stage."""
    pipeline = data.pipeline_label(source, pipeline_id)
    if stage_id is None:
        return f"{pipeline} / {NONE_SEGMENT}", (pipeline.casefold(), _UNKNOWN_STAGE_ORDER, "")
    stage = data.stage(source, pipeline_id, stage_id)
    if stage is None:
        return f"{pipeline} / {stage_id}", (pipeline.casefold(), _UNKNOWN_STAGE_ORDER, stage_id)
    name = f"{stage.pipeline_label} / {stage.stage_label}"
    return name, (stage.pipeline_label.casefold(), stage.stage_order, stage.stage_label.casefold())


def _owner(name: str, split: _Split) -> OwnerPerformance:
    won = split.won
    average = round_money(sum(won.amounts, Decimal(0)) / len(won.amounts)) if won.amounts else None
    return OwnerPerformance(
        owner=name,
        won_deals=won.deals,
        won_value=won.total,
        average_won_value=average,
        open_deals=split.open.deals,
        open_value=split.open.total,
    )


def _rank(owner: OwnerPerformance) -> tuple[bool, Decimal, int, str, str]:
    """Best first: highest won value (none last), most won deals, then name."""
    value = owner.won_value
    return (
        value is None,
        -(value or Decimal(0)),
        -owner.won_deals,
        owner.owner.casefold(),
        owner.owner,
    )


def _alphabetical(name: str) -> tuple[str, str]:
    return name.casefold(), name


def _pipeline(name: str, split: _Split) -> PipelinePerformance:
    return PipelinePerformance(
        pipeline=name,
        deals=split.won.deals + split.lost.deals + split.open.deals,
        won_deals=split.won.deals,
        lost_deals=split.lost.deals,
        open_deals=split.open.deals,
        won_value=split.won.total,
        open_value=split.open.total,
    )
