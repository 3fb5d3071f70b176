"""Everything one publish shows, computed once from the data, and the workbook it becomes.

Every output (the .xlsx, Google Sheets) renders the same `Workbook`, so the tabs and their
order are decided here, in the order docs/sheets.md lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from kpis.dataset import Dataset
from kpis.engine import compute
from kpis.goals import GoalResult, GoalSpec, evaluate_goal
from kpis.memory.waterfall import PipelineChanges, pipeline_changes
from kpis.periods import Grain, Period, period_containing, recent_periods
from kpis.reports.before_after import BeforeAfter, before_after
from kpis.reports.forecast import Forecast, forecast
from kpis.reports.lost_deals import LostDeals, lost_deals
from kpis.reports.performance import SalesPerformance, sales_performance
from kpis.results import ResultRow
from kpis.settings import KpiSettings
from kpis.stuck import StuckDeals, stuck_report
from sync.config import Config
from sync.outputs.before_after_tab import before_after_tab
from sync.outputs.dashboard import dashboard_tab, goals_tab
from sync.outputs.inputs import inputs_tab
from sync.outputs.kpi_tabs import kpis_tab, pipeline_tab
from sync.outputs.pipeline_changes_tab import pipeline_changes_tab
from sync.outputs.report_tabs import (
    forecast_tab,
    lost_deals_tab,
    sales_performance_tab,
)
from sync.outputs.workbook import Workbook


@dataclass(frozen=True)
class Publication:
    """The KPI rows of every published period, the goals, and the reports.

    The sales-performance and lost-deals reports and the stuck deals cover `current`: the
    period of the first published grain that contains `now`, to date. The pipeline changes
    are by month and by ISO week, whatever the published grains, `history_periods` of each.
    """

    updated_at: datetime
    currency: str
    rows: Sequence[ResultRow]
    goals: Sequence[GoalResult]
    current: Period
    forecast: Forecast
    performance: SalesPerformance
    lost: LostDeals
    stuck: StuckDeals
    before_after: BeforeAfter | None
    changes_by_month: Sequence[PipelineChanges]
    changes_by_week: Sequence[PipelineChanges]


def prepare(
    config: Config,
    data: Dataset,
    settings: KpiSettings,
    periods: Sequence[Period],
    now: datetime,
) -> Publication:
    settings = replace(settings, now=now)
    zone = config.reporting.zone
    current = period_containing(config.reporting.periods[0], now.astimezone(zone).date(), zone)
    go_live = config.reporting.crm_go_live

    def changes(grain: Grain) -> list[PipelineChanges]:
        history = recent_periods(grain, now, config.reporting.history_periods, zone)
        return [pipeline_changes(data, period, settings) for period in history]

    return Publication(
        updated_at=now,
        currency=settings.currency,
        rows=compute(data, periods, settings),
        goals=[
            evaluate_goal(GoalSpec(**goal.model_dump()), data, settings, now)
            for goal in config.goals
        ],
        current=current,
        forecast=forecast(data, settings, now),
        performance=sales_performance(data, current, settings),
        lost=lost_deals(data, current, settings),
        stuck=stuck_report(data, current, settings),
        before_after=None
        if go_live is None
        else before_after(data, settings, go_live, config.reporting.comparison_months, now),
        changes_by_month=changes("month"),
        changes_by_week=changes("week"),
    )


def workbook(publication: Publication) -> Workbook:
    """The tabs of docs/sheets.md; Before vs after only when a go-live date is set."""
    currency = publication.currency
    comparison = publication.before_after
    return Workbook(
        tabs=(
            dashboard_tab(
                publication.rows, publication.goals, currency=currency, now=publication.updated_at
            ),
            kpis_tab(publication.rows, updated_at=publication.updated_at, currency=currency),
            goals_tab(publication.goals, currency=currency),
            pipeline_tab(publication.rows, publication.stuck),
            pipeline_changes_tab(
                publication.changes_by_month,
                publication.changes_by_week,
                currency=currency,
                now=publication.updated_at,
            ),
            sales_performance_tab(publication.performance),
            lost_deals_tab(publication.lost),
            forecast_tab(publication.forecast),
            *(() if comparison is None else (before_after_tab(comparison),)),
            inputs_tab(),
        )
    )
