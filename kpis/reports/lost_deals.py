"""Lost deals for a period: how many and how much by lost reason, and the deals themselves."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kpis.dataset import Dataset
from kpis.money import Converter, check_currencies, round_money
from kpis.periods import Period
from kpis.reports import Tally, local_date, owner_label
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
    """One deal lost in P; `amount` in the reporting currency, `closed_on` its local day."""

    deal_id: str
    name: str | None
    owner: str
    amount: Decimal | None
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
    lost = sorted(
        (d for d in data.deals if d.status == "lost" and period.contains(d.closed_at)),
        key=lambda d: (d.closed_at, d.id),
    )
    reasons: defaultdict[str, Tally] = defaultdict(Tally)
    listed = []
    for deal in lost:
        assert deal.closed_at is not None
        reason = label(None if deal.lost_reason is None else deal.lost_reason.strip())
        amount = converter.amount(deal)
        reasons[reason].add(amount)
        listed.append(
            LostDeal(
                deal_id=deal.id,
                name=deal.name,
                owner=owner_label(data, deal),
                amount=None if amount is None else round_money(amount),
                reason=reason,
                closed_on=local_date(deal.closed_at, settings.timezone),
            )
        )
    rows = [
        LostReason(reason, tally.deals, tally.deals / len(lost), tally.total)
        for reason, tally in reasons.items()
    ]
    rows.sort(key=_most_frequent)
    return LostDeals(period, converter.currency, tuple(rows), tuple(listed))


def _most_frequent(row: LostReason) -> tuple[int, bool, Decimal, str, str]:
    value = row.value
    return (-row.deals, value is None, -(value or Decimal(0)), row.reason.casefold(), row.reason)
