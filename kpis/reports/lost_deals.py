"""Lost deals for a period: how many and how much by lost reason, and the deals themselves."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np

from kpis.columns import MISSING, DealColumns, micros
from kpis.dataset import Dataset
from kpis.money import Converter, check_currencies
from kpis.periods import Period
from kpis.reports import Tally, money_or_none
from kpis.reports.columns import (
    Positions,
    as_dates,
    deal_currencies,
    local_days,
    order_by,
    owner_labels,
)
from kpis.segments import label
from kpis.settings import KpiSettings


@dataclass(frozen=True, slots=True)
class LostReason:
    """The deals lost in P for one reason; `share` is their fraction of all deals lost in P."""

    reason: str
    deals: int
    share: float
    value: Decimal | None


@dataclass(frozen=True, slots=True)
class LostDeal:
    """One deal lost in P: `amount` in its own `currency`, `value` converted to the reporting
    currency (both rounded to cents, None without an amount), `closed_on` its local day."""

    deal_id: str
    name: str | None
    owner: str
    amount: Decimal | None
    currency: str
    value: Decimal | None
    reason: str
    closed_on: date


@dataclass(frozen=True)
class LostDeals:
    """The deals lost in `period`, values in `currency`.

    Reasons come most frequent first (ties: higher value, then reason alphabetically);
    deals by close instant, then id.
    """

    period: Period
    currency: str
    reasons: tuple[LostReason, ...]
    deals: tuple[LostDeal, ...]


def lost_deals(data: Dataset, period: Period, settings: KpiSettings) -> LostDeals:
    """Count and value by lost reason (a missing or blank reason is `(none)`), and the list.

    Reasons are trimmed, so `Price` and `Price ` are one reason; case still tells reasons
    apart, as the CRM's own picklists do. Raises `CurrencyError` when a deal's currency has
    no rate.
    """
    check_currencies(data, settings)
    converter = Converter.from_settings(settings)
    deals = data.columns.deals
    lost = _lost_in(deals, period)
    amounts = converter.values(deals, lost.tolist())
    reasons = _reasons(deals, lost)
    tallies: defaultdict[str, Tally] = defaultdict(Tally)
    for reason, amount in zip(reasons, amounts, strict=True):
        tallies[reason].add(amount)
    listed = [
        LostDeal(
            deal_id=deals.id[at],
            name=deals.name[at],
            owner=owner,
            amount=money_or_none(deals.amount[at]),
            currency=currency,
            value=money_or_none(value),
            reason=reason,
            closed_on=closed_on,
        )
        for at, owner, currency, value, reason, closed_on in zip(
            lost.tolist(),
            owner_labels(data, deals, lost),
            deal_currencies(deals, lost, converter.currency),
            amounts,
            reasons,
            as_dates(local_days(deals.closed_at[lost], settings.timezone)),
            strict=True,
        )
    ]
    rows = [
        LostReason(reason, tally.deals, tally.deals / len(lost), tally.total)
        for reason, tally in tallies.items()
    ]
    rows.sort(key=_most_frequent)
    return LostDeals(period, converter.currency, tuple(rows), tuple(listed))


def _lost_in(deals: DealColumns, period: Period) -> Positions:
    """The positions of the deals lost in `period`, by close instant, then id.

    Deals alike in both (two sources can share an id) keep the dataset's order.
    """
    closed = deals.closed_at
    lost = np.flatnonzero(
        deals.is_status("lost")
        & (closed != MISSING)
        & (closed >= micros(period.start))
        & (closed < micros(period.end))
    )
    return lost[order_by(closed[lost], [deals.id[at] for at in lost.tolist()])]


def _reasons(deals: DealColumns, positions: Positions) -> list[str]:
    """The trimmed lost reason of the deals at `positions`; `(none)` when missing or blank."""
    lookup = [label(reason.strip()) for reason in deals.lost_reason.values]
    lookup.append(label(None))  # NO_LABEL (-1)
    return [lookup[code] for code in deals.lost_reason.codes[positions].tolist()]


def _most_frequent(row: LostReason) -> tuple[int, bool, Decimal, str, str]:
    value = row.value
    return (-row.deals, value is None, -(value or Decimal(0)), row.reason.casefold(), row.reason)
