"""The Dashboard and Goals tabs: comparison, goal statuses, trend table and its charts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from kpis.goals import GOAL_STATUSES, GoalResult, GoalSpec, GoalStatus
from kpis.results import Number, ResultRow, Unit
from sync.outputs.dashboard_tabs import (
    COMPARISON_HEADER,
    DASHBOARD_GOALS_HEADER,
    GOALS_HEADER,
    dashboard_tab,
    goals_tab,
)
from sync.outputs.workbook import CellValue, Chart, Tab
from tests.kpi_builders import period

NOW = datetime(2026, 10, 15, 6, 0, tzinfo=UTC)


def _row(
    kpi: str,
    label: str,
    value: Number | None,
    unit: Unit,
    *,
    segment_by: str = "all",
    segment: str = "all",
) -> ResultRow:
    return ResultRow(kpi, period(label), segment_by, segment, value, unit, 10)


ROWS = [
    _row("close_rate", "2026-09", 0.10, "ratio"),
    _row("close_rate", "2026-10", 0.12, "ratio"),
    _row("close_rate", "2026-10", 0.90, "ratio", segment_by="owner", segment="Ada"),
    _row("upsell_rate", "2026-10", 0.50, "ratio"),
    _row("net_new_revenue", "2026-09", Decimal("1200.00"), "currency"),
    _row("net_new_revenue", "2026-10", Decimal("1500.00"), "currency"),
    _row("net_new_revenue", "2026-09-01..2026-10-31", Decimal("2700.00"), "currency"),
    _row("sales_cycle_days", "2026-09", 25.0, "days"),
    _row("sales_cycle_days", "2026-10", 20.0, "days"),
    _row("nps", "2026-09", -10, "score"),
    _row("nps", "2026-10", 30, "score"),
    _row("close_rate", "2026-Q3", 0.20, "ratio"),
    _row("close_rate", "2026-Q4", 0.25, "ratio"),
]


def _goal(status: GoalStatus = "on track", *, kpi: str = "net_new_revenue") -> GoalResult:
    spec = GoalSpec(
        name="Revenue H2",
        kpi=kpi,
        target=10000,
        start=date(2026, 7, 1),
        due=date(2027, 1, 1),
        segment_by="owner",
        segment="Ada",
    )
    return GoalResult(
        spec=spec,
        period=period("2026-07-01..2026-12-31"),
        status=status,
        value=Decimal("5600.00"),
        expected=Decimal("5777.68"),
        progress=0.56,
        elapsed=0.58,
        n=7,
        through=date(2026, 10, 15),
    )


def _dashboard(rows: list[ResultRow] = ROWS, goals: tuple[GoalResult, ...] = ()) -> Tab:
    return dashboard_tab(rows, goals, currency="EUR", now=NOW)


def _find(tab: Tab, *first: CellValue) -> int:
    """The index of the one data row starting with `first`."""
    (index,) = [i for i, row in enumerate(tab.rows) if row[: len(first)] == first]
    return index


def test_dashboard_header_and_name() -> None:
    """The tab is named Dashboard and its header is the comparison header, padded."""
    tab = _dashboard()
    assert tab.name == "Dashboard"
    assert tab.header[: len(COMPARISON_HEADER)] == COMPARISON_HEADER
    assert set(tab.header[len(COMPARISON_HEADER) :]) <= {""}


@pytest.mark.parametrize(
    ("kpi", "expected"),
    [
        ("close_rate", (0.12, "2026-09", 0.10, 0.02, None)),  # points, no relative change
        # 1500 - 1200 = 300; 300 / 1200 = 0.25
        ("net_new_revenue", (Decimal("1500.00"), "2026-09", Decimal("1200.00"), 300, 0.25)),
        ("sales_cycle_days", (20.0, "2026-09", 25.0, -5.0, -0.2)),  # -5 / 25
        ("nps", (30, "2026-09", -10, 40.0, None)),  # a score has no relative change
    ],
    ids=["ratio", "currency", "days", "score"],
)
def test_comparison_row_has_change(kpi: str, expected: tuple[CellValue, ...]) -> None:
    """The current month sits beside the previous one, with the change and where meaningful."""
    tab = _dashboard()
    assert tab.rows[_find(tab, kpi, "2026-10")][2:7] == expected


def test_comparison_covers_each_grain_month_first() -> None:
    """Each published grain is compared, months before quarters, KPIs in headline order."""
    tab = _dashboard()
    compared = [row[:2] for row in tab.rows[:5]]
    assert compared == [
        ("close_rate", "2026-10"),
        ("net_new_revenue", "2026-10"),
        ("sales_cycle_days", "2026-10"),
        ("nps", "2026-10"),
        ("close_rate", "2026-Q4"),
    ]
    assert tab.rows[5] == (None,) * len(tab.header)


def test_comparison_ignores_segments_other_kpis_and_custom_periods() -> None:
    """Only all-segment rows of headline KPIs over published grains reach the dashboard."""
    tab = _dashboard()
    assert tab.rows[_find(tab, "close_rate", "2026-10")][2] == 0.12
    assert not any(row[0] == "upsell_rate" for row in tab.rows)
    assert not any("2026-09-01..2026-10-31" in row for row in tab.rows)


def test_current_period_is_the_latest_started() -> None:
    """A period that has not begun at `now` is not current: October stays current."""
    rows = [*ROWS, _row("close_rate", "2026-11", 0.5, "ratio")]
    tab = _dashboard(rows)
    assert tab.rows[0][:2] == ("close_rate", "2026-10")


def test_missing_side_leaves_value_and_change_blank() -> None:
    """A KPI without this month's row shows the previous value and no change."""
    rows = [
        _row("close_rate", "2026-10", 0.12, "ratio"),
        _row("churn_rate", "2026-09", 0.05, "ratio"),
    ]
    tab = _dashboard(rows)
    assert tab.rows[1] == ("churn_rate", "2026-10", None, "2026-09", 0.05, None, None)


@pytest.mark.parametrize(
    ("column", "fmt"),
    [(2, "percent"), (4, "percent"), (5, "percent"), (6, "percent")],
    ids=["value", "previous", "change", "relative"],
)
def test_comparison_cells_formatted_by_unit(column: int, fmt: str) -> None:
    """Rate values and their change are percent; so is every relative change."""
    tab = _dashboard()
    assert tab.format_at((_find(tab, "close_rate", "2026-10"), column)) == fmt


def test_money_comparison_is_in_the_reporting_currency() -> None:
    """Money values and their change carry the reporting currency's format."""
    tab = _dashboard()
    index = _find(tab, "net_new_revenue", "2026-10")
    assert [tab.format_at((index, c)) for c in (2, 4, 5)] == ["currency:EUR"] * 3


def test_goal_statuses_are_listed_and_styled() -> None:
    """The goals block names each goal with its value, target and coloured status."""
    tab = _dashboard(goals=(_goal("at risk"),))
    title = _find(tab, "Goals")
    assert tab.rows[title + 1][:5] == DASHBOARD_GOALS_HEADER
    assert {title, title + 1} <= tab.bold_rows
    row = title + 2
    assert tab.rows[row][:5] == (
        "Revenue H2",
        "net_new_revenue",
        Decimal("5600.00"),
        10000,
        "at risk",
    )
    assert tab.cell_styles[(row, 4)] == "status:at risk"
    assert tab.format_at((row, 3)) == "currency:EUR"


def test_no_goals_no_goal_block() -> None:
    """Without goals the dashboard has no goals block."""
    assert not any(row[0] == "Goals" for row in _dashboard().rows)


def test_trend_table_is_month_by_month() -> None:
    """The trend block lists each month (not quarters) with the headline KPIs as columns."""
    tab = _dashboard()
    title = _find(tab, "Trend by month")
    header = ("period", "close_rate", "net_new_revenue", "sales_cycle_days", "nps")
    assert tab.rows[title + 1][:5] == header
    assert tab.rows[title + 2 :] == (
        ("2026-09", 0.10, Decimal("1200.00"), 25.0, -10, None, None),
        ("2026-10", 0.12, Decimal("1500.00"), 20.0, 30, None, None),
    )


def test_trend_charts_one_per_unit() -> None:
    """Each unit in the trend gets a line chart over the trend rows, named by the row above."""
    tab = _dashboard()
    first = _find(tab, "2026-09")
    assert tab.charts == (
        Chart(title="Rates by month", categories=0, series=(1,), first_row=first,
              last_row=first + 1, y_format="percent"),
        Chart(title="Money (EUR) by month", categories=0, series=(2,), first_row=first,
              last_row=first + 1, y_format="currency:EUR"),
        Chart(title="Days by month", categories=0, series=(3,), first_row=first,
              last_row=first + 1, y_format="days"),
        Chart(title="NPS by month", categories=0, series=(4,), first_row=first,
              last_row=first + 1, y_format="number"),
    )  # fmt: skip
    assert tab.rows[first - 1][0] == "period"


def test_trend_uses_the_finest_grain_without_months() -> None:
    """Without monthly rows the trend is by the finest grain published."""
    tab = _dashboard([r for r in ROWS if r.period.grain == "quarter"])
    assert _find(tab, "Trend by quarter") >= 0


def test_empty_dashboard_has_no_rows_or_charts() -> None:
    """Without results or goals the dashboard is its header and notes alone."""
    tab = _dashboard([])
    assert (tab.rows, tab.charts) == ((), ())


def test_goals_tab_lists_each_goal() -> None:
    """A goal's row holds its definition, value and expected to date, progress and status."""
    tab = goals_tab([_goal()], currency="EUR")
    assert (tab.name, tab.header) == ("Goals", GOALS_HEADER)
    assert tab.rows == (
        (
            "Revenue H2",
            "net_new_revenue",
            "owner: Ada",
            10000,
            "at_least",
            date(2026, 7, 1),
            date(2027, 1, 1),
            Decimal("5600.00"),
            Decimal("5777.68"),
            0.56,
            "on track",
        ),
    )


@pytest.mark.parametrize(
    ("column", "fmt"),
    [(3, "currency:EUR"), (5, "date"), (7, "currency:EUR"), (8, "currency:EUR"), (9, "percent")],
    ids=["target", "start", "value", "expected", "progress"],
)
def test_goals_tab_formats(column: int, fmt: str) -> None:
    """Targets and values follow the KPI's unit, windows are dates, progress a percent."""
    assert goals_tab([_goal()], currency="EUR").format_at((0, column)) == fmt


def test_ratio_goal_target_is_a_percent() -> None:
    """A rate goal shows its target as a percent."""
    tab = goals_tab([_goal(kpi="close_rate")], currency="EUR")
    assert tab.format_at((0, 3)) == "percent"


@pytest.mark.parametrize("status", GOAL_STATUSES, ids=list(GOAL_STATUSES))
def test_goals_tab_status_cell_is_styled(status: GoalStatus) -> None:
    """The status cell carries the semantic style of its status for every writer to colour."""
    tab = goals_tab([_goal(status)], currency="EUR")
    assert tab.cell_styles == {(0, 10): f"status:{status}"}
