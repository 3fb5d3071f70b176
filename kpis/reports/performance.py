"""Sales performance for a period: per owner, open pipeline by stage, deals by status,
currency and pipeline.

Every table reads the same deals: those in the pipeline during P, as `close_rate` counts them
(`created_at < P.end` and not closed before `P.start`). Each has one status for P: won or lost
when it closed in P, open when it was still open at `P.end` (never closed, or closed later).
So the status counts add up to the close rate's denominator, and "open" means open at the
end of the period: for the current period, the deals open now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from connectors.schema import Deal, DealStatus
from kpis.dataset import Dataset
from kpis.money import Converter, check_currencies, round_money
from kpis.periods import Period
from kpis.reports import Tally, money_total, owner_label
from kpis.results import NONE_SEGMENT
from kpis.settings import KpiSettings

STATUS_ORDER: tuple[DealStatus, ...] = ("open", "won", "lost")
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

    def of(self, status: DealStatus) -> Tally:
        return self.won if status == "won" else self.lost if status == "lost" else self.open


@dataclass
class _Money:
    """Original-currency and converted amounts of one currency's deals."""

    deals: int = 0
    amounts: list[Decimal] = field(default_factory=list)
    values: list[Decimal] = field(default_factory=list)


def sales_performance(data: Dataset, period: Period, settings: KpiSettings) -> SalesPerformance:
    """Owners, stages, statuses, currencies and pipelines of the deals in the pipeline in P.

    Raises `CurrencyError` when a deal's currency has no rate.
    """
    check_currencies(data, settings)
    converter = Converter.from_settings(settings)
    owners: defaultdict[str, _Split] = defaultdict(_Split)
    pipelines: defaultdict[str, _Split] = defaultdict(_Split)
    statuses = {status: Tally() for status in STATUS_ORDER}
    currencies: defaultdict[str, _Money] = defaultdict(_Money)
    stages: defaultdict[str, Tally] = defaultdict(Tally)
    stage_order: dict[str, tuple[str, int, str]] = {}
    for deal in data.deals:
        status = _status_in(deal, period)
        if status is None:
            continue
        value = converter.amount(deal)
        owners[owner_label(data, deal)].of(status).add(value)
        pipelines[data.pipeline_label(deal.source, deal.pipeline_id)].of(status).add(value)
        statuses[status].add(value)
        money = currencies[deal.currency or converter.currency]
        money.deals += 1
        if deal.amount is not None and value is not None:
            money.amounts.append(deal.amount)
            money.values.append(value)
        if status == "open":
            name, order = _stage_at(data, deal, period.end)
            stages[name].add(value)
            stage_order.setdefault(name, order)
    return SalesPerformance(
        period=period,
        currency=converter.currency,
        owners=tuple(sorted((_owner(name, split) for name, split in owners.items()), key=_rank)),
        stages=tuple(
            StageValue(name, stages[name].deals, stages[name].total)
            for name in sorted(stages, key=stage_order.__getitem__)
        ),
        statuses=tuple(StatusCount(s, statuses[s].deals, statuses[s].total) for s in STATUS_ORDER),
        currencies=tuple(
            CurrencyCount(code, m.deals, money_total(m.amounts), money_total(m.values))
            for code, m in sorted(currencies.items())
        ),
        pipelines=tuple(
            _pipeline(name, pipelines[name]) for name in sorted(pipelines, key=_alphabetical)
        ),
    )


def _status_in(deal: Deal, period: Period) -> DealStatus | None:
    """The deal's status for P; None when it was not in the pipeline during P."""
    if deal.created_at >= period.end:
        return None
    if deal.closed_at is None or deal.closed_at >= period.end:
        return "open"
    if deal.closed_at < period.start:
        return None
    return deal.status


def _stage_at(data: Dataset, deal: Deal, end: datetime) -> tuple[str, tuple[str, int, str]]:
    """The label and sort key of the stage the deal was in just before `end`.

    The stage history says so when a visit spans `end` (entered before it, left at or after
    it). Otherwise, for a deal still open, its current stage: the CRM's current stage is
    more reliable than a history that may lag behind it. A deal closed since `end` without
    such a visit is now in its closed stage, which says nothing of where it was: `(none)`.
    """
    pipeline = data.pipeline_label(deal.source, deal.pipeline_id)
    stage_id: str | None = deal.stage_id if deal.status == "open" else None
    for visit in deal.stage_history:
        if visit.entered_at < end and visit.exited_at is not None and visit.exited_at >= end:
            stage_id = visit.stage_id
    if stage_id is None:
        return f"{pipeline} / {NONE_SEGMENT}", (pipeline.casefold(), _UNKNOWN_STAGE_ORDER, "")
    stage = data.stage(deal.source, deal.pipeline_id, stage_id)
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
