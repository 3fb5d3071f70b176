"""The KPI catalog: one declaration per KPI of `docs/kpis.md`, read by everything that needs one.

The engine computes what it lists, in its order; goals read a KPI's unit and whether it is
additive; the Dashboard shows the headline KPIs; the config accepts its ids; each row names
its section of `docs/kpis.md`. A new KPI is its function, one row here and that section.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from kpis.churn import churn_rate
from kpis.dataset import Dataset
from kpis.lifetime import customer_lifetime_value
from kpis.lists import email_list_growth_rate
from kpis.marketing import campaign_revenue, customer_acquisition_cost
from kpis.memory.waterfall import (
    pipeline_created,
    pipeline_lost,
    pipeline_open_end,
    pipeline_open_start,
    pipeline_pushed,
    pipeline_value_change,
    pipeline_won,
)
from kpis.periods import Period
from kpis.results import ResultRow, Unit
from kpis.sales import (
    close_rate,
    net_new_revenue,
    sales_cycle_days,
    sales_cycle_days_median,
    upsell_rate,
    win_rate,
)
from kpis.service import (
    followups_per_ticket,
    nps,
    time_to_resolution_hours,
    time_to_resolution_hours_median,
)
from kpis.settings import KpiSettings
from kpis.stages import stage_conversion_rate, stage_duration_days, stage_duration_days_median
from kpis.stuck import stuck_deals

KpiFunction: TypeAlias = Callable[[Dataset, Period, KpiSettings], list[ResultRow]]
Better: TypeAlias = Literal["higher", "lower"]


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiSpec:
    """One KPI: its id, how it is computed and how the rest of the tool reads it.

    `unit` is the unit of its rows, by which a goal's target is read and a cell formatted.
    `additive` KPIs are sums over the period, so they grow through a goal's window and are
    paced. `revenue` KPIs sum the amounts of the deals won in the period, so open deals turn
    into them as they are won: a goal on one shows its pipeline coverage (`kpis.coverage`);
    each is money and additive. `headline` is the KPI's place among the Dashboard's headline
    KPIs (1 first), None when it is not one. `better` is the direction of a change for the
    better (churn and costs and durations are better lower), by which the Dashboard colours a
    change.
    `section` is the anchor of its heading in `docs/kpis.md`.
    """

    id: str
    function: KpiFunction
    unit: Unit
    additive: bool = False
    revenue: bool = False
    label: str
    headline: int | None = None
    better: Better = "higher"
    section: str

    def __post_init__(self) -> None:
        if self.revenue and not (self.unit == "currency" and self.additive):
            raise ValueError(f"KPI {self.id}: a revenue KPI is an additive sum of money")


# the seven figures of the pipeline changes share one section, as they share one identity
_PIPELINE_CHANGES = (
    "pipeline_open_start-pipeline_created-pipeline_won-pipeline_lost-pipeli"
    "ne_value_change-pipeline_open_end-pipeline_pushed-currency-all-and-pipeline"
)

# the order of this table is the order rows are published in
CATALOG: tuple[KpiSpec, ...] = (
    KpiSpec(
        id="close_rate",
        function=close_rate,
        unit="ratio",
        label="Close rate",
        headline=1,
        section="close_rate-ratio",
    ),
    KpiSpec(
        id="win_rate",
        function=win_rate,
        unit="ratio",
        label="Win rate",
        headline=2,
        section="win_rate-ratio",
    ),
    KpiSpec(
        id="upsell_rate",
        function=upsell_rate,
        unit="ratio",
        label="Upsell rate",
        section="upsell_rate-ratio-all-only",
    ),
    KpiSpec(
        id="net_new_revenue",
        function=net_new_revenue,
        unit="currency",
        additive=True,
        revenue=True,
        label="Net new revenue",
        headline=3,
        section="net_new_revenue-currency",
    ),
    KpiSpec(
        id="stage_duration_days",
        function=stage_duration_days,
        unit="days",
        label="Time in stage (days, mean)",
        better="lower",
        section="stage_duration_days-stage_duration_days_median-days",
    ),
    KpiSpec(
        id="stage_duration_days_median",
        function=stage_duration_days_median,
        unit="days",
        label="Time in stage (days, median)",
        better="lower",
        section="stage_duration_days-stage_duration_days_median-days",
    ),
    KpiSpec(
        id="stage_conversion_rate",
        function=stage_conversion_rate,
        unit="ratio",
        label="Stage conversion rate",
        section="stage_conversion_rate-ratio",
    ),
    KpiSpec(
        id="stuck_deals",
        function=stuck_deals,
        unit="count",
        label="Stuck deals",
        better="lower",
        section="stuck_deals-count",
    ),
    KpiSpec(
        id="sales_cycle_days",
        function=sales_cycle_days,
        unit="days",
        label="Sales cycle (days, mean)",
        headline=4,
        better="lower",
        section="sales_cycle_days-sales_cycle_days_median-days",
    ),
    KpiSpec(
        id="sales_cycle_days_median",
        function=sales_cycle_days_median,
        unit="days",
        label="Sales cycle (days, median)",
        better="lower",
        section="sales_cycle_days-sales_cycle_days_median-days",
    ),
    KpiSpec(
        id="customer_lifetime_value",
        function=customer_lifetime_value,
        unit="currency",
        label="Customer lifetime value",
        headline=5,
        section="customer_lifetime_value-currency-all-only",
    ),
    KpiSpec(
        id="customer_acquisition_cost",
        function=customer_acquisition_cost,
        unit="currency",
        label="Customer acquisition cost",
        headline=6,
        better="lower",
        section="customer_acquisition_cost-currency-all-only",
    ),
    KpiSpec(
        id="campaign_revenue",
        function=campaign_revenue,
        unit="currency",
        additive=True,
        revenue=True,
        label="Revenue by campaign",
        section="campaign_revenue-currency",
    ),
    KpiSpec(
        id="email_list_growth_rate",
        function=email_list_growth_rate,
        unit="ratio",
        label="Email list growth rate",
        headline=10,
        section="email_list_growth_rate-ratio",
    ),
    KpiSpec(
        id="nps",
        function=nps,
        unit="score",
        label="Net Promoter Score",
        headline=7,
        section="nps-score-all-only",
    ),
    KpiSpec(
        id="churn_rate",
        function=churn_rate,
        unit="ratio",
        label="Customer churn rate",
        headline=8,
        better="lower",
        section="churn_rate-ratio-all-only",
    ),
    KpiSpec(
        id="time_to_resolution_hours",
        function=time_to_resolution_hours,
        unit="hours",
        label="Time to resolution (business hours, mean)",
        headline=9,
        better="lower",
        section="time_to_resolution_hours-time_to_resolution_hours_median-hours",
    ),
    KpiSpec(
        id="time_to_resolution_hours_median",
        function=time_to_resolution_hours_median,
        unit="hours",
        label="Time to resolution (business hours, median)",
        better="lower",
        section="time_to_resolution_hours-time_to_resolution_hours_median-hours",
    ),
    KpiSpec(
        id="followups_per_ticket",
        function=followups_per_ticket,
        unit="count",
        label="Follow-ups per ticket (mean)",
        section="followups_per_ticket-count",
    ),
    KpiSpec(
        id="pipeline_open_start",
        function=pipeline_open_start,
        unit="currency",
        label="Pipeline at start",
        section=_PIPELINE_CHANGES,
    ),
    KpiSpec(
        id="pipeline_created",
        function=pipeline_created,
        unit="currency",
        additive=True,
        label="Pipeline created",
        section=_PIPELINE_CHANGES,
    ),
    KpiSpec(
        id="pipeline_won",
        function=pipeline_won,
        unit="currency",
        additive=True,
        label="Pipeline won",
        section=_PIPELINE_CHANGES,
    ),
    KpiSpec(
        id="pipeline_lost",
        function=pipeline_lost,
        unit="currency",
        additive=True,
        label="Pipeline lost",
        better="lower",
        section=_PIPELINE_CHANGES,
    ),
    KpiSpec(
        id="pipeline_value_change",
        function=pipeline_value_change,
        unit="currency",
        additive=True,
        label="Pipeline value change",
        section=_PIPELINE_CHANGES,
    ),
    KpiSpec(
        id="pipeline_open_end",
        function=pipeline_open_end,
        unit="currency",
        label="Pipeline at end",
        section=_PIPELINE_CHANGES,
    ),
    KpiSpec(
        id="pipeline_pushed",
        function=pipeline_pushed,
        unit="currency",
        label="Pipeline pushed",
        better="lower",
        section=_PIPELINE_CHANGES,
    ),
)
KPIS: Mapping[str, KpiSpec] = {spec.id: spec for spec in CATALOG}
HEADLINE_KPIS: tuple[str, ...] = tuple(
    spec.id
    for spec in sorted(CATALOG, key=lambda spec: spec.headline or 0)
    if spec.headline is not None
)
