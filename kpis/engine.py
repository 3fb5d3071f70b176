"""The KPI registry and the one entry point that computes any of them over many periods."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import TypeAlias

from kpis.churn import churn_rate
from kpis.dataset import Dataset
from kpis.lifetime import customer_lifetime_value
from kpis.lists import email_list_growth_rate
from kpis.marketing import campaign_revenue, customer_acquisition_cost
from kpis.money import check_currencies
from kpis.periods import Period
from kpis.results import ResultRow
from kpis.sales import (
    close_rate,
    net_new_revenue,
    sales_cycle_days,
    sales_cycle_days_median,
    upsell_rate,
    win_rate,
)
from kpis.segments import row_order
from kpis.service import (
    followups_per_ticket,
    nps,
    time_to_resolution_hours,
    time_to_resolution_hours_median,
)
from kpis.settings import KpiSettings
from kpis.spend import check_spend_currencies
from kpis.stages import stage_duration_days, stage_duration_days_median

KpiFunction: TypeAlias = Callable[[Dataset, Period, KpiSettings], list[ResultRow]]

# the order of this table is the order rows are published in
KPIS: dict[str, KpiFunction] = {
    "close_rate": close_rate,
    "win_rate": win_rate,
    "upsell_rate": upsell_rate,
    "net_new_revenue": net_new_revenue,
    "stage_duration_days": stage_duration_days,
    "stage_duration_days_median": stage_duration_days_median,
    "sales_cycle_days": sales_cycle_days,
    "sales_cycle_days_median": sales_cycle_days_median,
    "customer_lifetime_value": customer_lifetime_value,
    "customer_acquisition_cost": customer_acquisition_cost,
    "campaign_revenue": campaign_revenue,
    "email_list_growth_rate": email_list_growth_rate,
    "nps": nps,
    "churn_rate": churn_rate,
    "time_to_resolution_hours": time_to_resolution_hours,
    "time_to_resolution_hours_median": time_to_resolution_hours_median,
    "followups_per_ticket": followups_per_ticket,
}


def compute(
    data: Dataset,
    periods: Iterable[Period],
    settings: KpiSettings,
    *,
    kpis: Collection[str] | None = None,
) -> list[ResultRow]:
    """Every selected KPI (all by default) for every period.

    Raises `CurrencyError` before computing anything when a currency has no rate, and
    `ValueError` for an unknown KPI id. Rows come by period (in the order given), then KPI
    (in registry order), then segment kind (all, owner, pipeline, source, stage) and segment
    (alphabetical).
    """
    selected = select_kpis(kpis)
    check_currencies(data, settings)
    check_spend_currencies(settings)
    rows: list[ResultRow] = []
    for period in periods:
        for kpi in selected:
            rows.extend(sorted(KPIS[kpi](data, period, settings), key=row_order))
    return rows


def select_kpis(kpis: Collection[str] | None) -> list[str]:
    """The KPI ids to compute, in registry order; `ValueError` naming any unknown id."""
    if kpis is None:
        return list(KPIS)
    unknown = sorted(set(kpis) - KPIS.keys())
    if unknown:
        raise ValueError(f"unknown KPI {', '.join(unknown)}; known: {', '.join(KPIS)}")
    return [kpi for kpi in KPIS if kpi in kpis]
