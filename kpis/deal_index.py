"""The deals, indexed once per dataset and settings, sorted so that each period is a slice.

Built once for every KPI and period: amounts in the reporting currency, each deal's segments,
whether a won deal is new revenue, and the customers for the upsell rate. A benchmark computes
12 periods over 250,000 deals, so per-period work is proportional to the deals of the period.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from operator import attrgetter

from connectors.schema import Deal
from kpis.customers import Customer, contact_customers, customer_key, first_won_deals
from kpis.dataset import Dataset
from kpis.memo import per_dataset
from kpis.money import Converter
from kpis.periods import Period
from kpis.segments import SegmentKey, segment_cache
from kpis.settings import KpiSettings
from kpis.slicing import between
from kpis.stats import days_between


@dataclass(frozen=True, slots=True)
class WonDeal:
    """What the deal KPIs read from a won deal; `value` is in the reporting currency."""

    segments: tuple[SegmentKey, ...]
    value: Decimal | None
    is_new_revenue: bool
    cycle_days: float


@dataclass(frozen=True)
class DealIndex:
    """Deals sorted by the instants the KPIs slice them on; see `deal_index`."""

    won_at: Sequence[datetime]
    won: Sequence[WonDeal]
    lost_at: Sequence[datetime]
    lost_segments: Sequence[tuple[SegmentKey, ...]]
    created_at_by_segment: Mapping[SegmentKey, Sequence[datetime]]
    closed_at_by_segment: Mapping[SegmentKey, Sequence[datetime]]
    customer_since: Sequence[datetime]
    customer_gone: Sequence[datetime]
    upsell_at: Sequence[datetime]
    upsell_customers: Sequence[Customer]
    _won_groups: dict[tuple[datetime, datetime], dict[SegmentKey, list[WonDeal]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def won_in(self, period: Period) -> Mapping[SegmentKey, Sequence[WonDeal]]:
        """The deals won in the period, by segment; only segments with a won deal."""
        bounds = (period.start, period.end)
        groups = self._won_groups.get(bounds)
        if groups is None:
            grouping: defaultdict[SegmentKey, list[WonDeal]] = defaultdict(list)
            for won in self.won[between(self.won_at, *bounds)]:
                for segment in won.segments:
                    grouping[segment].append(won)
            groups = self._won_groups[bounds] = dict(grouping)
        return groups

    def lost_in(self, period: Period) -> dict[SegmentKey, int]:
        """How many deals were lost in the period, by segment; only segments with a lost deal."""
        counts: defaultdict[SegmentKey, int] = defaultdict(int)
        for segments in self.lost_segments[between(self.lost_at, period.start, period.end)]:
            for segment in segments:
                counts[segment] += 1
        return dict(counts)

    def in_pipeline(self, period: Period) -> dict[SegmentKey, int]:
        """Deals in the pipeline during the period, by segment; only segments with any.

        In the pipeline: `created_at < end` and not `closed_at < start`. A deal closed before
        the start was also created before the end, so the count is a difference of two
        counts over sorted instants.
        """
        start, end = (period.start, period.end)
        counts = {}
        for segment, created in self.created_at_by_segment.items():
            closed = self.closed_at_by_segment.get(segment, ())
            count = bisect_left(created, end) - bisect_left(closed, start)
            if count:
                counts[segment] = count
        return counts

    def active_customers(self, instant: datetime) -> int:
        """Customers active at `instant`: `since <= instant`, less those gone by then.

        A customer is gone at t when `since <= t` and `churned_at <= t`, that is when
        `max(since, churned_at) <= t`.
        """
        return bisect_right(self.customer_since, instant) - bisect_right(
            self.customer_gone, instant
        )

    def upsold_customers(self, period: Period) -> int:
        """Customers active at the period's start with a won upsell deal closed in the period."""
        start, end = (period.start, period.end)
        buyers = self.upsell_customers[between(self.upsell_at, start, end)]
        return len({customer.key for customer in buyers if customer.active_at(start)})


def _build(data: Dataset, settings: KpiSettings) -> DealIndex:
    converter = Converter.from_settings(settings)
    window = timedelta(days=settings.new_customer_window_days)
    segments_of = segment_cache(data)
    first_won = first_won_deals(data.deals)
    customers = contact_customers(first_won, data.contacts)
    by_key = {customer.key: customer for customer in customers}

    # appending in time order leaves every list sorted, which is cheaper than sorting each
    created_at: defaultdict[SegmentKey, list[datetime]] = defaultdict(list)
    for deal in sorted(data.deals, key=attrgetter("created_at")):
        for segment in segments_of(deal):
            created_at[segment].append(deal.created_at)

    closed_at: defaultdict[SegmentKey, list[datetime]] = defaultdict(list)
    won_at: list[datetime] = []
    won: list[WonDeal] = []
    lost_at: list[datetime] = []
    lost_segments: list[tuple[SegmentKey, ...]] = []
    upsell_at: list[datetime] = []
    upsell_customers: list[Customer] = []
    closed = [deal for deal in data.deals if deal.closed_at is not None]
    for deal in sorted(closed, key=attrgetter("closed_at", "id")):
        assert deal.closed_at is not None
        segments = segments_of(deal)
        for segment in segments:
            closed_at[segment].append(deal.closed_at)
        if deal.status == "lost":
            lost_at.append(deal.closed_at)
            lost_segments.append(segments)
            continue
        key = customer_key(deal)
        first = first_won[key]
        assert first.closed_at is not None
        is_new = deal is first or deal.closed_at - first.closed_at < window
        won_at.append(deal.closed_at)
        won.append(_won_deal(deal, segments, converter, is_new))
        if deal.kind == "upsell" and key in by_key:
            upsell_at.append(deal.closed_at)
            upsell_customers.append(by_key[key])

    return DealIndex(
        won_at=won_at,
        won=won,
        lost_at=lost_at,
        lost_segments=lost_segments,
        created_at_by_segment=dict(created_at),
        closed_at_by_segment=dict(closed_at),
        customer_since=sorted(c.since for c in customers),
        customer_gone=sorted(max(c.since, c.churned_at) for c in customers if c.churned_at),
        upsell_at=upsell_at,
        upsell_customers=upsell_customers,
    )


def _won_deal(
    deal: Deal, segments: tuple[SegmentKey, ...], converter: Converter, is_new: bool
) -> WonDeal:
    assert deal.closed_at is not None
    return WonDeal(
        segments=segments,
        value=converter.amount(deal),
        is_new_revenue=is_new,
        cycle_days=days_between(deal.created_at, deal.closed_at),
    )


deal_index = per_dataset(_build)
"""The `DealIndex` of a dataset under some settings, built on first use and then shared."""
