"""churn_rate: the share of the customers at the start of a period who churned during it.

Customers are those of `kpis.customers`: contacts with a won deal, since their first won deal
closed. The customers are indexed once per dataset, sorted so that a period costs two binary
searches and a slice of the churns inside it, whatever the number of contacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from kpis.columns import MISSING, Instants, micros
from kpis.customers import customers
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


@dataclass(frozen=True, eq=False)
class ChurnIndex:
    """Contact customers as sorted instants; see `churn_index`.

    `since` and `gone` (`max(since, churned_at)` of churned customers) count the customers
    active at an instant; `churned_at` and `churned_since` are the churned customers, sorted by
    churn, with when each became a customer.
    """

    since: Instants
    gone: Instants
    churned_at: Instants
    churned_since: Instants

    def active_at(self, instant: datetime) -> int:
        """How many customers are active at `instant` (`kpis.customers`), by counting.

        A customer with `since <= instant` is inactive exactly when also
        `churned_at <= instant`, that is when `max(since, churned_at) <= instant`.
        """
        at = micros(instant)
        since = np.searchsorted(self.since, at, side="right")
        return int(since - np.searchsorted(self.gone, at, side="right"))

    def count(self, start: datetime, end: datetime) -> ChurnCount:
        """Churn over `[start, end)`: churned in it and customer before `start`, of the base.

        The base is the customers active at `start`, plus those who churn exactly at `start`:
        that churn is in the interval (it contains its start), so they are counted among the
        customers it starts with, and the churned are always a subset of the base.
        """
        window = between(self.churned_at, start, end)
        before = self.churned_since[window] < micros(start)
        at_start = self.churned_at[window][before] == micros(start)
        return ChurnCount(
            int(np.count_nonzero(before)), self.active_at(start) + int(np.count_nonzero(at_start))
        )


def _build(data: Dataset, settings: KpiSettings) -> ChurnIndex:
    since, churned_at = customers(data, settings).of_contacts()
    churned = churned_at != MISSING
    order = np.argsort(churned_at[churned], kind="stable")
    return ChurnIndex(
        since=np.sort(since),
        gone=np.sort(np.maximum(since, churned_at)[churned]),
        churned_at=churned_at[churned][order],
        churned_since=since[churned][order],
    )


churn_index = per_dataset(_build)
"""The `ChurnIndex` of a dataset, built on first use and then shared by every period."""


def churn_rate(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Customers who churned in P (customers before P.start) ÷ customers active at P.start."""
    count = churn_index(data, settings).count(period.start, period.end)
    return [ratio_row("churn_rate", period, ALL_SEGMENT, count.churned, count.base)]
