"""The deal KPIs of `docs/kpis.md`: close, win and upsell rates, net new revenue, sales cycle.

Each is `(data, period, settings) -> rows`: an `all` row always (value None when nothing was
in the period), and a row for each owner, pipeline and lead source with data in the period.
"""

from __future__ import annotations

from kpis.churn import churn_index
from kpis.dataset import Dataset
from kpis.deal_index import deal_index
from kpis.periods import Period
from kpis.results import ResultRow
from kpis.rows import mean_row, median_row, money_sum_row, ratio_row, segment_rows
from kpis.segments import ALL_SEGMENT, SegmentKey
from kpis.settings import KpiSettings


def close_rate(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Won deals closed in P ÷ deals in the pipeline during P."""
    index = deal_index(data, settings)
    won = {segment: deals.count for segment, deals in index.won_in(period).items()}
    return segment_rows(
        index.in_pipeline(period),
        0,
        lambda segment, pipeline: ratio_row(
            "close_rate", period, segment, won.get(segment, 0), pipeline
        ),
    )


def win_rate(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Won deals closed in P ÷ (won + lost deals closed in P)."""
    index = deal_index(data, settings)
    won = {segment: deals.count for segment, deals in index.won_in(period).items()}
    closed = index.lost_in(period)
    for segment, count in won.items():
        closed[segment] = closed.get(segment, 0) + count
    return segment_rows(
        closed,
        0,
        lambda segment, count: ratio_row("win_rate", period, segment, won.get(segment, 0), count),
    )


def upsell_rate(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Of the customers active at P.start, the fraction with a won upsell deal closed in P."""
    upsold = deal_index(data, settings).upsold_customers(period)
    active = churn_index(data, settings).active_at(period.start)
    return [ratio_row("upsell_rate", period, ALL_SEGMENT, upsold, active)]


def net_new_revenue(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Σ amount of the deals won in P that are a customer's first or closed within the window."""
    groups = {
        segment: deals.new_revenue
        for segment, deals in deal_index(data, settings).won_in(period).items()
        if deals.new_revenue
    }
    return segment_rows(
        groups,
        [],
        lambda segment, amounts: money_sum_row("net_new_revenue", period, segment, amounts),
    )


def sales_cycle_days(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Mean days from creation to close over the deals won in P."""
    return segment_rows(
        _cycle_days(data, period, settings),
        [],
        lambda segment, days: mean_row("sales_cycle_days", period, segment, "days", days),
    )


def sales_cycle_days_median(
    data: Dataset, period: Period, settings: KpiSettings
) -> list[ResultRow]:
    """Median days from creation to close over the deals won in P."""
    return segment_rows(
        _cycle_days(data, period, settings),
        [],
        lambda segment, days: median_row("sales_cycle_days_median", period, segment, "days", days),
    )


def _cycle_days(
    data: Dataset, period: Period, settings: KpiSettings
) -> dict[SegmentKey, list[float]]:
    won = deal_index(data, settings).won_in(period)
    return {segment: deals.cycle_days for segment, deals in won.items()}
