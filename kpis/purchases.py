"""Won deals as purchases, and when each customer bought first, sorted so a period is a slice.

Indexed once per dataset and settings for the marketing KPIs: campaign revenue and customer
lifetime value read the purchases of a period or window, the acquisition cost counts the
customers who bought first in a period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from kpis.columns import Codes, Instants
from kpis.customers import customers, won_values
from kpis.dataset import Dataset
from kpis.memo import per_dataset
from kpis.segments import label
from kpis.settings import KpiSettings
from kpis.slicing import between


@dataclass(frozen=True, eq=False)
class Purchases:
    """Won deals with an amount, one entry each: value in the reporting currency, buyer, campaign.

    `customer` is the buyer's number (`kpis.customers`); `campaign` the position of the
    deal's campaign in `PurchaseIndex.campaigns`.
    """

    value: npt.NDArray[np.object_]
    """Decimals."""
    customer: npt.NDArray[np.intp]
    campaign: Codes


@dataclass(frozen=True, eq=False)
class PurchaseIndex:
    """Purchases sorted by close; `customer_since` is every customer's first won deal's close.

    Customers here include the won deals without a contact, each a customer of its own, as
    `kpis.customers` defines them. `campaigns` are the distinct campaign segment names: a
    campaign, or `(none)` for the deals without one.
    """

    closed_at: Instants
    purchases: Purchases
    campaigns: tuple[str, ...]
    customer_since: Instants

    def purchases_in(self, start: datetime, end: datetime) -> Purchases:
        """The purchases closed in `[start, end)`."""
        within = between(self.closed_at, start, end)
        return Purchases(
            self.purchases.value[within],
            self.purchases.customer[within],
            self.purchases.campaign[within],
        )

    def new_customers(self, start: datetime, end: datetime) -> int:
        """How many customers became customers (first won deal closed) in `[start, end)`."""
        joined = between(self.customer_since, start, end)
        return int(joined.stop - joined.start)


def _build(data: Dataset, settings: KpiSettings) -> PurchaseIndex:
    deals = data.columns.deals
    buyers = customers(data, settings)
    values = won_values(data, settings)
    # a won deal without an amount is no purchase, but its customer still bought first
    bought = values.has_amount
    names: dict[str, int] = {}
    # the campaign codes, with no campaign (-1) last, as positions in the distinct names
    of_code = np.array(
        [names.setdefault(label(text), len(names)) for text in [*deals.campaign.values, None]],
        dtype=np.int32,
    )
    return PurchaseIndex(
        closed_at=buyers.won_at[bought],
        purchases=Purchases(
            value=values.value[bought],
            customer=buyers.customer[bought],
            campaign=of_code[deals.campaign.codes[buyers.won[bought]]],
        ),
        campaigns=tuple(names),
        customer_since=np.sort(buyers.since),
    )


purchase_index = per_dataset(_build)
"""The `PurchaseIndex` of a dataset under some settings, built on first use and then shared."""
