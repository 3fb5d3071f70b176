"""The deals, indexed once per dataset and settings, sorted so that each period is a slice.

Built once for every KPI and period from the deal and contact columns: amounts in the
reporting currency, each deal's segments, whether a won deal is new revenue, and the
customers for the upsell rate. A benchmark computes 12 periods over 250,000 deals, so the
build is a few vectorized passes and per-period work is proportional to the deals of the
period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from kpis.columns import MISSING, DealColumns, Instants, micros
from kpis.customers import Customers, Positions, customers, distinct, won_values
from kpis.dataset import Dataset
from kpis.memo import per_dataset
from kpis.periods import Period
from kpis.segments import DealSegments, SegmentKey, segment_table
from kpis.settings import KpiSettings
from kpis.slicing import between
from kpis.stats import SECONDS_PER_DAY

MICROS_PER_SECOND = 1_000_000


@dataclass(frozen=True, slots=True)
class WonDeals:
    """The deals of a segment won in a period, as the deal KPIs read them.

    `cycle_days` has one entry per deal; `new_revenue` the amounts, in the reporting
    currency, of those that are new revenue and have an amount.
    """

    count: int
    cycle_days: list[float]
    new_revenue: list[Decimal]


@dataclass(frozen=True, eq=False)
class DealIndex:
    """Deals sorted by the instants the KPIs slice them on; see `deal_index`.

    Won deals are in `(closed_at, id)` order with their segment combination (`segments`), the
    days from creation to close, their amount and whether it counts as new revenue. Lost deals
    are their close and combination; the instants of each segment's created and closed deals
    are sorted arrays. How many customers are active at an instant is the churn index's
    (`kpis.churn.ChurnIndex.active_at`).
    """

    won_at: Instants
    won_combination: npt.NDArray[np.intp]
    cycle_days: npt.NDArray[np.float64]
    values: npt.NDArray[np.object_]
    is_new_revenue: npt.NDArray[np.bool_]
    """New revenue with an amount."""
    lost_at: Instants
    lost_combination: npt.NDArray[np.intp]
    segments: DealSegments
    created_at_by_segment: Mapping[SegmentKey, Instants]
    closed_at_by_segment: Mapping[SegmentKey, Instants]
    upsells: Upsells
    _won_groups: dict[tuple[datetime, datetime], dict[SegmentKey, WonDeals]] = field(
        default_factory=dict, repr=False
    )

    def won_in(self, period: Period) -> Mapping[SegmentKey, WonDeals]:
        """The deals won in the period, by segment; only segments with a won deal."""
        bounds = (period.start, period.end)
        groups = self._won_groups.get(bounds)
        if groups is None:
            groups = self._won_groups[bounds] = self._group(between(self.won_at, *bounds))
        return groups

    def _group(self, won: slice) -> dict[SegmentKey, WonDeals]:
        groups = {}
        for segment, deals in self.segments.group(self.won_combination[won]):
            at = deals + won.start
            groups[segment] = WonDeals(
                len(at),
                self.cycle_days[at].tolist(),
                self.values[at[self.is_new_revenue[at]]].tolist(),
            )
        return groups

    def lost_in(self, period: Period) -> dict[SegmentKey, int]:
        """How many deals were lost in the period, by segment; only segments with a lost deal."""
        lost = between(self.lost_at, period.start, period.end)
        return self.segments.count(self.lost_combination[lost])

    def in_pipeline(self, period: Period) -> dict[SegmentKey, int]:
        """Deals in the pipeline during the period, by segment; only segments with any.

        In the pipeline: `created_at < end` and not `closed_at < start`. A deal closed before
        the start was also created before the end, so the count is a difference of two
        counts over sorted instants.
        """
        start, end = micros(period.start), micros(period.end)
        empty = np.zeros(0, dtype=np.int64)
        counts = {}
        for segment, created in self.created_at_by_segment.items():
            closed = self.closed_at_by_segment.get(segment, empty)
            count = int(np.searchsorted(created, end) - np.searchsorted(closed, start))
            if count:
                counts[segment] = count
        return counts

    def upsold_customers(self, period: Period) -> int:
        """Customers active at the period's start with a won upsell deal closed in the period."""
        return self.upsells.buyers(period)


@dataclass(frozen=True, eq=False)
class Upsells:
    """The won upsell deals of the customers that are contacts, by `(closed_at, id)`.

    For each: its customer's number, when that customer's first won deal closed, and when
    the customer churned (`MISSING` when it never churns).
    """

    closed_at: Instants
    customer: npt.NDArray[np.intp]
    since: Instants
    churned_at: Instants

    @classmethod
    def of(cls, deals: DealColumns, buyers: Customers) -> Upsells:
        """The upsells among the won deals of `buyers`."""
        customer = buyers.customer
        upsell = deals.kind.codes[buyers.won] == deals.kind.code("upsell")
        upsell &= buyers.is_contact[customer]
        who = customer[upsell]
        return cls(buyers.won_at[upsell], who, buyers.since[who], buyers.churned_at[who])

    def buyers(self, period: Period) -> int:
        """Customers active at the period's start with an upsell closed in the period.

        Active at an instant: a customer since then, and not churned by then.
        """
        upsells = between(self.closed_at, period.start, period.end)
        start = micros(period.start)
        churned = self.churned_at[upsells]
        active = (self.since[upsells] <= start) & ((churned == MISSING) | (churned > start))
        return distinct(self.customer[upsells][active])


def _build(data: Dataset, settings: KpiSettings) -> DealIndex:
    deals = data.columns.deals
    segments = segment_table(data)
    buyers = customers(data, settings)
    values = won_values(data, settings)
    lost = np.flatnonzero(deals.is_status("lost") & (deals.closed_at != MISSING))
    lost = lost[np.argsort(deals.closed_at[lost], kind="stable")]
    return DealIndex(
        won_at=buyers.won_at,
        won_combination=segments.combination[buyers.won],
        cycle_days=days_between_each(deals.created_at[buyers.won], buyers.won_at),
        values=values.value,
        is_new_revenue=_is_new_revenue(buyers, settings) & values.has_amount,
        lost_at=deals.closed_at[lost],
        lost_combination=segments.combination[lost],
        segments=segments,
        created_at_by_segment=_by_segment(segments, deals.created_at, np.arange(len(deals))),
        closed_at_by_segment=_by_segment(
            segments, deals.closed_at, np.flatnonzero(deals.closed_at != MISSING)
        ),
        upsells=Upsells.of(deals, buyers),
    )


def _is_new_revenue(buyers: Customers, settings: KpiSettings) -> npt.NDArray[np.bool_]:
    """Whether each won deal is its customer's first, or closed within the window after it."""
    window = timedelta(days=settings.new_customer_window_days) // timedelta(microseconds=1)
    is_new: npt.NDArray[np.bool_] = buyers.is_first | (
        buyers.won_at - buyers.first_won_at() < window
    )
    return is_new


def days_between_each(start: Instants, end: Instants) -> npt.NDArray[np.float64]:
    """`kpis.stats.days_between` of each pair of instants, to the same bits.

    `timedelta.total_seconds` divides the exact microseconds by a million, then the days
    divide by the seconds of a day: two correctly rounded divisions, done here on floats
    that hold the microseconds exactly.
    """
    seconds = (end - start).astype(np.float64) / MICROS_PER_SECOND
    days: npt.NDArray[np.float64] = seconds / SECONDS_PER_DAY
    return days


def _by_segment(
    segments: DealSegments, instants: Instants, positions: Positions
) -> dict[SegmentKey, Instants]:
    """The sorted `instants` of the deals at `positions`, for each segment with any."""
    return {
        segment: np.sort(instants[positions[deals]])
        for segment, deals in segments.group(segments.combination[positions])
    }


deal_index = per_dataset(_build)
"""The `DealIndex` of a dataset under some settings, built on first use and then shared."""
