"""The revenue forecast: open deals weighted by probability, by month of expected close.

For each of the next `settings.forecast_months` calendar months in the reporting time zone,
starting with the current one: the open deals expected to close in that month, their amount
and their amount times probability. The current month also shows the revenue won so far. Open
deals whose expected close date has passed are listed as overdue; those expected before the
current month, after the last month or on no date at all have lines of their own, so that
every open deal is in exactly one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from connectors.schema import Deal
from kpis.dataset import Dataset
from kpis.money import Converter, check_currencies, round_money
from kpis.periods import Period, period_containing
from kpis.reports import Tally, local_date, money_total, owner_label
from kpis.settings import KpiSettings


@dataclass(frozen=True, slots=True)
class OpenDeals:
    """Open deals of one line of the forecast.

    `amount` sums the deals with an amount; `weighted` sums `amount * probability` over those
    that also have a probability. `without_probability` counts the deals whose amount is in
    `amount` but, with no probability on the deal or its stage, not in `weighted`.
    """

    deals: int = 0
    amount: Decimal | None = None
    weighted: Decimal | None = None
    without_amount: int = 0
    without_probability: int = 0


@dataclass(frozen=True, slots=True)
class ForecastMonth:
    """One calendar month of the forecast."""

    period: Period
    open: OpenDeals


@dataclass(frozen=True, slots=True)
class WonSoFar:
    """Deals won in the current month up to now; `value` sums those with an amount."""

    period: Period
    deals: int
    value: Decimal | None


@dataclass(frozen=True, slots=True)
class OverdueDeal:
    """An open deal whose expected close day is before today (both local days)."""

    deal_id: str
    name: str | None
    owner: str
    amount: Decimal | None
    expected_on: date
    days_overdue: int


@dataclass(frozen=True)
class Forecast:
    """The forecast as of `today`; amounts are in `currency`.

    `earlier` holds the open deals expected before the first month (all of them overdue),
    `later` those expected after the last month, `undated` those with no expected close
    date. `overdue` lists every open deal expected before today, most overdue first; those
    expected earlier in the current month are also in its line.
    """

    currency: str
    today: date
    months: tuple[ForecastMonth, ...]
    won_so_far: WonSoFar
    earlier: OpenDeals
    later: OpenDeals
    undated: OpenDeals
    overdue: tuple[OverdueDeal, ...]


@dataclass
class _Bucket:
    """Accumulates one line: a tally of amounts, and the weighted amounts beside it."""

    tally: Tally = field(default_factory=Tally)
    weighted: list[Decimal] = field(default_factory=list)
    without_probability: int = 0

    def add(self, amount: Decimal | None, probability: Decimal | None) -> None:
        self.tally.add(amount)
        if amount is None:
            return
        if probability is None:
            self.without_probability += 1
        else:
            self.weighted.append(amount * probability)

    def freeze(self) -> OpenDeals:
        return OpenDeals(
            deals=self.tally.deals,
            amount=self.tally.total,
            weighted=money_total(self.weighted),
            without_amount=self.tally.deals - len(self.tally.amounts),
            without_probability=self.without_probability,
        )


def forecast(data: Dataset, settings: KpiSettings, now: datetime) -> Forecast:
    """The weighted forecast of the open deals for the months from `now`'s month on.

    Raises `CurrencyError` when a deal's currency has no rate.
    """
    check_currencies(data, settings)
    tz = settings.timezone
    converter = Converter.from_settings(settings)
    today = local_date(now, tz)
    current = period_containing("month", today, tz)
    months = _months(current, settings.forecast_months)
    buckets = {(p.first_day.year, p.first_day.month): _Bucket() for p in months}
    earlier, later, undated = _Bucket(), _Bucket(), _Bucket()
    overdue: list[OverdueDeal] = []
    for deal in data.deals:
        if deal.status != "open":
            continue
        amount = converter.amount(deal)
        probability = _probability(data, deal)
        if deal.expected_close_at is None:
            undated.add(amount, probability)
            continue
        expected_on = local_date(deal.expected_close_at, tz)
        month = buckets.get((expected_on.year, expected_on.month))
        if month is not None:
            month.add(amount, probability)
        elif expected_on < current.first_day:
            earlier.add(amount, probability)
        else:
            later.add(amount, probability)
        if expected_on < today:
            overdue.append(_overdue(data, deal, amount, expected_on, today))
    overdue.sort(key=lambda d: (d.expected_on, d.deal_id))
    return Forecast(
        currency=converter.currency,
        today=today,
        months=tuple(
            ForecastMonth(p, buckets[p.first_day.year, p.first_day.month].freeze()) for p in months
        ),
        won_so_far=_won_so_far(data, converter, current, now),
        earlier=earlier.freeze(),
        later=later.freeze(),
        undated=undated.freeze(),
        overdue=tuple(overdue),
    )


def _months(current: Period, count: int) -> list[Period]:
    """`current` and the months after it, `count` in all."""
    months = [current]
    while len(months) < count:
        following = months[-1].last_day + timedelta(days=1)
        months.append(period_containing("month", following, current.tz))
    return months[:count]


def _probability(data: Dataset, deal: Deal) -> Decimal | None:
    """The deal's own probability, else its stage's, as an exact decimal; None when neither.

    `str` of a float is its shortest repr, so 0.3 becomes exactly Decimal("0.3").
    """
    probability = deal.probability
    if probability is None:
        stage = data.stage(deal.source, deal.pipeline_id, deal.stage_id)
        probability = None if stage is None else stage.probability
    return None if probability is None else Decimal(str(probability))


def _overdue(
    data: Dataset, deal: Deal, amount: Decimal | None, expected_on: date, today: date
) -> OverdueDeal:
    return OverdueDeal(
        deal_id=deal.id,
        name=deal.name,
        owner=owner_label(data, deal),
        amount=None if amount is None else round_money(amount),
        expected_on=expected_on,
        days_overdue=(today - expected_on).days,
    )


def _won_so_far(data: Dataset, converter: Converter, month: Period, now: datetime) -> WonSoFar:
    """Deals won from the month's first local midnight up to and including `now`.

    A won deal dated after `now` (a close date typed in ahead) has not been won so far.
    """
    start = month.start
    won = Tally()
    for deal in data.deals:
        if deal.status == "won" and deal.closed_at is not None and start <= deal.closed_at <= now:
            won.add(converter.amount(deal))
    return WonSoFar(month, won.deals, won.total)
