"""The marketing money KPIs of `docs/kpis.md`: campaign revenue and customer acquisition cost."""

from __future__ import annotations

from decimal import Decimal

from kpis.columns import group_by
from kpis.dataset import Dataset
from kpis.money import round_money
from kpis.periods import Period
from kpis.purchases import purchase_index
from kpis.results import ResultRow
from kpis.rows import money_sum_row, segment_rows
from kpis.segments import ALL_SEGMENT, SegmentKey
from kpis.settings import KpiSettings
from kpis.spend import spend_in


def campaign_revenue(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Σ amount of the deals won in P, per campaign (`(none)` without one) and over all."""
    index = purchase_index(data, settings)
    purchases = index.purchases_in(period.start, period.end)
    groups: dict[SegmentKey, list[Decimal]] = {}
    if len(purchases.value):
        groups[ALL_SEGMENT] = purchases.value.tolist()
    by_campaign = group_by(purchases.campaign, len(index.campaigns))
    for campaign, values in zip(index.campaigns, by_campaign(purchases.value), strict=True):
        if len(values):
            groups[("campaign", campaign)] = values.tolist()
    return segment_rows(
        groups,
        [],
        lambda segment, amounts: money_sum_row("campaign_revenue", period, segment, amounts),
    )


def customer_acquisition_cost(
    data: Dataset, period: Period, settings: KpiSettings
) -> list[ResultRow]:
    """Spend in P ÷ new customers in P; null without spend entered for P or new customers.

    `numerator` is the spend (rounded), `denominator` and `n` the new customers; `note` names
    the months of P that have no spend entered.
    """
    spend = spend_in(period, settings)
    new = purchase_index(data, settings).new_customers(period.start, period.end)
    value = None
    if spend.amount is not None and new:
        value = round_money(spend.amount / new)
    note = None
    if spend.missing:
        note = f"no spend entered for {', '.join(spend.missing)}"
        if spend.amount is not None:
            note += " (counted as 0)"
    return [
        ResultRow(
            kpi="customer_acquisition_cost",
            period=period,
            segment_by=ALL_SEGMENT[0],
            segment=ALL_SEGMENT[1],
            value=value,
            unit="currency",
            n=new,
            numerator=None if spend.amount is None else round_money(spend.amount),
            denominator=new,
            note=note,
        )
    ]
