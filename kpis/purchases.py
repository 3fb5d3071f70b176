"""Won deals as purchases, and when each customer bought first, sorted so a period is a slice.

Indexed once per dataset and settings for the marketing KPIs: campaign revenue and customer
lifetime value read the purchases of a period or window, the acquisition cost counts the
customers who bought first in a period.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from operator import attrgetter

from kpis.customers import CustomerKey, customer_key, first_won_deals
from kpis.dataset import Dataset
from kpis.memo import per_dataset
from kpis.money import Converter
from kpis.segments import label
from kpis.settings import KpiSettings
from kpis.slicing import between


@dataclass(frozen=True, slots=True)
class Purchase:
    """A won deal with an amount: its value in the reporting currency, buyer and campaign.

    `campaign` is a segment name: the deal's campaign, or `(none)` when it has none.
    """

    value: Decimal
    customer: CustomerKey
    campaign: str


@dataclass(frozen=True)
class PurchaseIndex:
    """Purchases sorted by close; `customer_since` is every customer's first won deal's close.

    Customers here include the won deals without a contact, each a customer of its own, as
    `kpis.customers` defines them.
    """

    closed_at: Sequence[datetime]
    purchases: Sequence[Purchase]
    customer_since: Sequence[datetime]

    def purchases_in(self, start: datetime, end: datetime) -> Sequence[Purchase]:
        """The purchases closed in `[start, end)`."""
        return self.purchases[between(self.closed_at, start, end)]

    def new_customers(self, start: datetime, end: datetime) -> int:
        """How many customers became customers (first won deal closed) in `[start, end)`."""
        return bisect_left(self.customer_since, end) - bisect_left(self.customer_since, start)


def _build(data: Dataset, settings: KpiSettings) -> PurchaseIndex:
    converter = Converter.from_settings(settings)
    won = [
        deal
        for deal in data.deals
        if deal.status == "won" and deal.closed_at is not None and deal.amount is not None
    ]
    won.sort(key=attrgetter("closed_at", "id"))
    purchases = []
    for deal in won:
        value = converter.amount(deal)
        assert value is not None
        purchases.append(Purchase(value, customer_key(deal), label(deal.campaign)))
    first_won = first_won_deals(data.deals).values()
    return PurchaseIndex(
        closed_at=[deal.closed_at for deal in won if deal.closed_at is not None],
        purchases=purchases,
        customer_since=sorted(deal.closed_at for deal in first_won if deal.closed_at is not None),
    )


purchase_index = per_dataset(_build)
"""The `PurchaseIndex` of a dataset under some settings, built on first use and then shared."""
