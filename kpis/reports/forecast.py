"""The revenue forecast: open deals weighted by probability, by month of expected close.

For each of the next `settings.forecast_months` calendar months in the reporting time zone,
starting with the current one: the open deals expected to close in that month, their amount
and their amount times probability. The current month also shows the revenue won so far. Open
deals whose expected close date has passed are listed as overdue; those expected before the
current month, after the last month or on no date at all have lines of their own, so that
every open deal is in exactly one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np

from kpis.columns import (
    MISSING,
    Codes,
    DealColumns,
    distinct_rows,
    group_by,
    micros,
)
from kpis.dataset import Dataset
from kpis.money import Converter, check_currencies
from kpis.periods import Period, period_containing
from kpis.reports import local_date, money_or_none, money_total
from kpis.reports.columns import (
    Days,
    Positions,
    as_dates,
    deal_currencies,
    local_days,
    order_by,
    owner_labels,
)
from kpis.settings import KpiSettings

_FIRST_DAY = date(1970, 1, 1)


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
    """An open deal whose expected close day is before today (both local days): `amount` in
    its own `currency`, `value` converted to the reporting currency (both rounded to cents,
    None without an amount)."""

    deal_id: str
    name: str | None
    owner: str
    amount: Decimal | None
    currency: str
    value: Decimal | None
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


def forecast(data: Dataset, settings: KpiSettings, now: datetime) -> Forecast:
    """The weighted forecast of the open deals for the months from `now`'s month on.

    Raises `CurrencyError` when a deal's currency has no rate.
    """
    check_currencies(data, settings)
    tz = settings.timezone
    converter = Converter.from_settings(settings)
    deals = data.columns.deals
    today = local_date(now, tz)
    current = period_containing("month", today, tz)
    months = _months(current, settings.forecast_months)
    # from here on a deal is its position among the open deals, which are in dataset order
    open_deals = np.flatnonzero(deals.is_status("open"))
    amounts = converter.values(deals, open_deals.tolist())
    probabilities = _probabilities(data, deals, open_deals)
    expected = deals.expected_close_at[open_deals]
    dated = np.flatnonzero(expected != MISSING)
    days = local_days(expected[dated], tz)
    lines = _lines(len(open_deals), dated, days, current, len(months))
    found = _totals(amounts, probabilities, lines, len(months) + 3)
    earlier, later, undated = found[len(months) :]
    overdue = days < (today - _FIRST_DAY).days
    return Forecast(
        currency=converter.currency,
        today=today,
        months=tuple(
            ForecastMonth(p, line) for p, line in zip(months, found[: len(months)], strict=True)
        ),
        won_so_far=_won_so_far(deals, converter, current, now),
        earlier=earlier,
        later=later,
        undated=undated,
        overdue=_overdue(
            data, converter, open_deals, amounts, dated[overdue], days[overdue], today
        ),
    )


def _months(current: Period, count: int) -> list[Period]:
    """`current` and the months after it, `count` in all."""
    months = [current]
    while len(months) < count:
        following = months[-1].last_day + timedelta(days=1)
        months.append(period_containing("month", following, current.tz))
    return months[:count]


def _lines(total: int, dated: Positions, days: Days, current: Period, count: int) -> Codes:
    """The line of each of `total` open deals, those at `dated` being expected on `days`.

    Lines `0..count-1` are the months from `current` on, then come earlier, later and
    undated. The months are consecutive, so a month's line is its distance from `current`.
    """
    month = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    first = current.first_day
    distance = month - ((first.year - 1970) * 12 + first.month - 1)
    lines = np.full(total, count + 2, dtype=np.int32)
    lines[dated] = np.where(distance < 0, count, np.where(distance < count, distance, count + 1))
    return lines


def _totals(
    amounts: Sequence[Decimal | None],
    probabilities: Sequence[Decimal | None],
    lines: Codes,
    count: int,
) -> list[OpenDeals]:
    """Each of the `count` lines of the open deals, the deals in a line taken in their order."""
    split = group_by(lines, count)
    return [_open(amounts, probabilities, line.tolist()) for line in split(np.arange(len(lines)))]


def _open(
    amounts: Sequence[Decimal | None],
    probabilities: Sequence[Decimal | None],
    deals: Sequence[int],
) -> OpenDeals:
    """The line of the open `deals` (positions in `amounts`), summed in their order."""
    values: list[Decimal] = []
    weighted: list[Decimal] = []
    for at in deals:
        amount = amounts[at]
        if amount is None:
            continue
        values.append(amount)
        probability = probabilities[at]
        if probability is not None:
            weighted.append(amount * probability)
    return OpenDeals(
        deals=len(deals),
        amount=money_total(values),
        weighted=money_total(weighted),
        without_amount=len(deals) - len(values),
        without_probability=len(values) - len(weighted),
    )


def _probabilities(data: Dataset, deals: DealColumns, positions: Positions) -> list[Decimal | None]:
    """The deals' own probability, else their stage's, as exact decimals; None when neither.

    `str` of a float is its shortest repr, so 0.3 becomes exactly Decimal("0.3"). Each
    distinct probability is converted, and each distinct stage looked up, once.
    """
    own = deals.probability[positions]
    has_own = ~np.isnan(own)
    # by their bits, which tell apart even 0.0 and -0.0 (they print differently)
    bits, own_at = np.unique(own[has_own].view(np.int64), return_inverse=True)
    table: list[Decimal | None] = [Decimal(str(p)) for p in bits.view(np.float64).tolist()]
    stageless = positions[~has_own]
    stage_at, rows = distinct_rows(
        deals.source.codes[stageless],
        deals.pipeline_id.codes[stageless],
        deals.stage_id.codes[stageless],
    )
    for source, pipeline, stage in rows:
        found = data.stage(
            deals.source.values[source],
            deals.pipeline_id.values[pipeline],
            deals.stage_id.values[stage],
        )
        probability = None if found is None else found.probability
        table.append(None if probability is None else Decimal(str(probability)))
    entries = np.empty(len(positions), dtype=np.int64)
    entries[has_own] = own_at
    entries[~has_own] = len(bits) + stage_at
    return [table[at] for at in entries.tolist()]


def _overdue(
    data: Dataset,
    converter: Converter,
    open_deals: Positions,
    amounts: Sequence[Decimal | None],
    overdue: Positions,
    days: Days,
    today: date,
) -> tuple[OverdueDeal, ...]:
    """The open deals at `overdue` (positions among `open_deals`), expected on `days`.

    Most overdue first, then by id; deals alike in both keep the dataset's order.
    """
    deals = data.columns.deals
    order = order_by(days, [deals.id[at] for at in open_deals[overdue].tolist()])
    ordered = open_deals[overdue[order]]
    return tuple(
        OverdueDeal(
            deal_id=deals.id[at],
            name=deals.name[at],
            owner=owner,
            amount=money_or_none(deals.amount[at]),
            currency=currency,
            value=money_or_none(value),
            expected_on=expected_on,
            days_overdue=(today - expected_on).days,
        )
        for at, owner, currency, value, expected_on in zip(
            ordered.tolist(),
            owner_labels(data, deals, ordered),
            deal_currencies(deals, ordered, converter.currency),
            [amounts[deal] for deal in overdue[order].tolist()],
            as_dates(days[order]),
            strict=True,
        )
    )


def _won_so_far(deals: DealColumns, converter: Converter, month: Period, now: datetime) -> WonSoFar:
    """Deals won from the month's first local midnight up to and including `now`.

    A won deal dated after `now` (a close date typed in ahead) has not been won so far.
    """
    closed = deals.closed_at
    won = np.flatnonzero(
        deals.is_status("won")
        & (closed != MISSING)
        & (closed >= micros(month.start))
        & (closed <= micros(now))
    )
    values = [value for value in converter.values(deals, won.tolist()) if value is not None]
    return WonSoFar(month, len(won), money_total(values))
