"""churn_rate: the share of the customers at the start of a period who churned during it.

Customers are those of `kpis.customers`: contacts with a won deal, since their first won deal
closed. The customers are indexed once per dataset, sorted so that a period costs two binary
searches and a slice of the churns inside it, whatever the number of contacts.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kpis.customers import contact_customers, first_won_deals
from kpis.dataset import Dataset
from kpis.memo import per_dataset
from kpis.periods import Period
from kpis.results import ResultRow
from kpis.rows import ratio_row
from kpis.segments import ALL_SEGMENT
from kpis.settings import KpiSettings
from kpis.slicing import between


@dataclass(frozen=True, slots=True)
class ChurnCount:
    """Customers who churned in an interval, of the customers at its start (the base)."""

    churned: int
    base: int


@dataclass(frozen=True)
class ChurnIndex:
    """Contact customers as sorted instants; see `churn_index`.

    `since` and `gone` (`max(since, churned_at)` of churned customers) count the customers
    active at an instant; `churned_at` and `churned_since` are the churned customers, sorted by
    churn, with when each became a customer.
    """

    since: Sequence[datetime]
    gone: Sequence[datetime]
    churned_at: Sequence[datetime]
    churned_since: Sequence[datetime]

    def active_at(self, instant: datetime) -> int:
        """How many customers are active at `instant` (`Customer.active_at`), by counting.

        A customer with `since <= instant` is inactive exactly when also
        `churned_at <= instant`, that is when `max(since, churned_at) <= instant`.
        """
        return bisect_right(self.since, instant) - bisect_right(self.gone, instant)

    def count(self, start: datetime, end: datetime) -> ChurnCount:
        """Churn over `[start, end)`: churned in it and customer before `start`, of the base.

        The base is the customers active at `start`, plus those who churn exactly at `start`:
        that churn is in the interval (it contains its start), so they are counted among the
        customers it starts with, and the churned are always a subset of the base.
        """
        window = between(self.churned_at, start, end)
        churned = churned_at_start = 0
        for churned_at, since in zip(
            self.churned_at[window], self.churned_since[window], strict=True
        ):
            if since < start:
                churned += 1
                if churned_at == start:
                    churned_at_start += 1
        return ChurnCount(churned, self.active_at(start) + churned_at_start)


def _build(data: Dataset, settings: KpiSettings) -> ChurnIndex:
    # the settings are irrelevant to who is a customer; `per_dataset` keys on them anyway
    customers = contact_customers(first_won_deals(data.deals), data.contacts)
    churns = sorted((c.churned_at, c.since) for c in customers if c.churned_at is not None)
    return ChurnIndex(
        since=sorted(c.since for c in customers),
        gone=sorted(max(since, churned_at) for churned_at, since in churns),
        churned_at=[churned_at for churned_at, _ in churns],
        churned_since=[since for _, since in churns],
    )


churn_index = per_dataset(_build)
"""The `ChurnIndex` of a dataset, built on first use and then shared by every period."""


def churn_rate(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Customers who churned in P (customers before P.start) ÷ customers active at P.start."""
    count = churn_index(data, settings).count(period.start, period.end)
    return [ratio_row("churn_rate", period, ALL_SEGMENT, count.churned, count.base)]
