"""The Dashboard tab (goal cards, settled and running periods, trends) and the Goals tab."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kpis.catalog import KPIS
from kpis.coverage import Coverage
from kpis.goals import GOAL_STATUSES, GoalResult, GoalSpec, GoalStatus
from kpis.results import Number, ResultRow, Unit
from sync.outputs.dashboard.blocks import GOAL_CARD_HEADER, TREND_COLUMN
from sync.outputs.dashboard.tabs import GOALS_HEADER, dashboard_tab, goals_tab
from sync.outputs.workbook import LOW_SAMPLE, PARTIAL, CellValue, Tab
from tests.kpi_builders import period

NOW = datetime(2026, 10, 15, 6, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


def _row(
    kpi: str,
    label: str,
    value: Number | None,
    unit: Unit,
    n: int = 40,
    *,
    segment_by: str = "all",
    segment: str = "all",
    note: str | None = None,
    tz: ZoneInfo | None = None,
) -> ResultRow:
    when = period(label) if tz is None else period(label, tz)
    return ResultRow(kpi, when, segment_by, segment, value, unit, n, note=note)


ROWS = [
    _row("close_rate", "2025-09", 0.15, "ratio"),
    _row("close_rate", "2026-08", 0.10, "ratio"),
    _row("close_rate", "2026-09", 0.12, "ratio"),
    _row("close_rate", "2026-10", 0.05, "ratio", 5),
    _row("close_rate", "2026-09", 0.90, "ratio", segment_by="owner", segment="Ada"),
    _row("upsell_rate", "2026-09", 0.50, "ratio"),
    _row("churn_rate", "2026-08", 0.04, "ratio", 100),
    _row("churn_rate", "2026-09", 0.05, "ratio", 100),
    _row("net_new_revenue", "2026-08", Decimal("1200.00"), "currency"),
    _row("net_new_revenue", "2026-09", Decimal("1500.00"), "currency"),
    _row("net_new_revenue", "2026-10", Decimal("300.00"), "currency"),
    _row("net_new_revenue", "2026-08-01..2026-09-30", Decimal("2700.00"), "currency"),
    _row("customer_lifetime_value", "2026-08", Decimal("90.00"), "currency"),
    _row("customer_lifetime_value", "2026-09", Decimal("95.00"), "currency"),
    _row("customer_acquisition_cost", "2026-08", Decimal("5.00"), "currency", 3),
    _row(
        "customer_acquisition_cost",
        "2026-09",
        None,
        "currency",
        3,
        note="no spend entered for 2026-09",
    ),
    _row("sales_cycle_days", "2026-08", 25.0, "days"),
    _row("sales_cycle_days", "2026-09", 20.0, "days", 10),
    _row("nps", "2026-08", -10, "score", 50),
    _row("nps", "2026-09", 30, "score", 50),
    _row("close_rate", "2026-Q2", 0.20, "ratio"),
    _row("close_rate", "2026-Q3", 0.25, "ratio"),
    _row("close_rate", "2026-Q4", 0.30, "ratio"),
]


# 4400 of 10000 left, 10120 open (2.3 times it), 3520 weighted (0.8 times)
COVERAGE = Coverage(
    remaining=Decimal("4400.00"),
    pipeline=Decimal("10120.00"),
    weighted=Decimal("3520.00"),
    ratio=2.3,
    weighted_ratio=0.8,
)


def _goal(
    status: GoalStatus = "on track",
    *,
    kpi: str = "net_new_revenue",
    coverage: Coverage | None = COVERAGE,
) -> GoalResult:
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
        coverage=coverage,
    )


def _dashboard(
    rows: list[ResultRow] = ROWS, goals: tuple[GoalResult, ...] = (), now: datetime = NOW
) -> Tab:
    return dashboard_tab(rows, goals, currency="EUR", now=now)


def _find(tab: Tab, *first: CellValue, after: int = 0) -> int:
    """The index of the first data row from `after` on that starts with `first`."""
    return next(i for i, row in enumerate(tab.rows) if i >= after and row[: len(first)] == first)


def _titles(tab: Tab) -> list[str]:
    return [str(tab.rows[i][0]) for i in sorted(tab.bold_rows) if tab.rows[i][1] is None]


def test_dashboard_is_named_and_stamped() -> None:
    """The tab is the Dashboard, its header says when it was updated, in UTC."""
    tab = _dashboard()
    assert (tab.name, tab.header[0]) == ("Dashboard", "KPI dashboard, updated 2026-10-15 06:00 UTC")


@pytest.mark.parametrize(
    ("rows", "now", "settled", "running"),
    [
        (ROWS, NOW, "2026-09", "2026-10, 15 of 31 days"),
        # the first morning of a month: the month just ended leads, the new one has 1 day
        (ROWS, datetime(2026, 10, 1, 6, 0, tzinfo=UTC), "2026-09", "2026-10, 1 of 31 days"),
        # 23:30 UTC on 30 September is already 1 October in Berlin
        (ROWS, datetime(2026, 9, 30, 23, 30, tzinfo=UTC), "2026-09", "2026-10, 1 of 31 days"),
        # 02:00 UTC on 1 October is still 30 September in New York
        (
            [
                _row("close_rate", label, 0.1, "ratio", tz=NEW_YORK)
                for label in ("2026-08", "2026-09", "2026-10")
            ],
            datetime(2026, 10, 1, 2, 0, tzinfo=UTC),
            "2026-08",
            "2026-09, 30 of 30 days",
        ),
    ],
    ids=["mid-month", "first-day", "berlin-after-midnight", "new-york-before-midnight"],
)
def test_the_last_complete_month_leads_and_the_running_one_stands_apart(
    rows: list[ResultRow], now: datetime, settled: str, running: str
) -> None:
    """The headline is the month that ended by `now` in the periods' zone; the running
    month follows in its own block with its day count."""
    titles = _titles(_dashboard(rows, now=now))
    assert titles[0] == f"Last complete month: {settled}"
    assert f"This month so far: {running} (partial)" in titles


def test_each_grain_has_its_own_titled_block() -> None:
    """Month and quarter each get a settled block and a running block."""
    assert _titles(_dashboard())[:4] == [
        "Last complete month: 2026-09",
        "Last complete quarter: 2026-Q3",
        "This month so far: 2026-10, 15 of 31 days (partial)",
        "This quarter so far: 2026-Q4, 15 of 92 days (partial)",
    ]


def test_headline_row_compares_with_the_month_before_and_a_year_earlier() -> None:
    """Close rate: 12 % against 10 % (+2 pp) and against 15 % a year earlier (-3 pp)."""
    tab = _dashboard()
    index = _find(tab, "Close rate")
    header = tab.rows[index - 1]
    assert header == (
        "KPI",
        "unit",
        "2026-09",
        "n",
        "2026-08",
        "vs 2026-08",
        "2025-09",
        "vs 2025-09",
        "trend",
    )
    assert tab.rows[index][:9] == (
        "Close rate",
        "%",
        0.12,
        40,
        0.10,
        "▲ +2.0 pp",
        0.15,
        "▼ -3.0 pp",
        None,
    )


@pytest.mark.parametrize(
    ("label", "text", "style"),
    [
        ("Close rate", "▲ +2.0 pp", "good"),
        ("Customer churn rate", "▲ +1.0 pp", "bad"),  # churn up is bad
        ("Net new revenue", "▲ +25.0 %", "good"),  # 300 / 1200
        ("Customer lifetime value", "▲ +5.6 %", "good"),  # 5 / 90 = 5.56 %
        ("Net Promoter Score", "▲ +40 pts", "good"),  # -10 to 30
        ("Sales cycle (days, mean)", "▼ -20.0 %", None),  # better, but only 10 deals
    ],
    ids=["rate-up", "churn-up", "revenue", "cltv", "nps", "low-sample"],
)
def test_change_has_an_arrow_and_the_colour_of_its_direction(
    label: str, text: str, style: str | None
) -> None:
    """The arrow follows the sign, the colour what the catalog calls better for the KPI."""
    tab = _dashboard()
    index = _find(tab, label)
    assert tab.rows[index][5] == text
    assert tab.cell_styles.get((index, 5)) == style


def test_cells_show_labels_not_ids() -> None:
    """No cell of the Dashboard is a KPI id: every KPI is named by its catalog label."""
    cells = {cell for row in _dashboard(goals=(_goal(),)).rows for cell in row}
    assert cells.isdisjoint(KPIS)


@pytest.mark.parametrize(
    ("label", "column", "fmt"),
    [
        ("Net new revenue", 2, "whole_currency:EUR"),
        ("Net new revenue", 4, "whole_currency:EUR"),
        ("Net Promoter Score", 2, "integer"),
        ("Close rate", 2, "percent"),
        ("Close rate", 3, "integer"),
    ],
    ids=["money", "money-before", "nps", "rate", "n"],
)
def test_dashboard_formats_money_without_cents_and_nps_without_decimals(
    label: str, column: int, fmt: str
) -> None:
    """Money has no cents on the Dashboard, NPS no decimals, n is a whole number."""
    tab = _dashboard()
    assert tab.format_at((_find(tab, label), column)) == fmt


def test_missing_spend_is_explained_in_the_cac_cell() -> None:
    """CAC without spend shows a dash and the KPI row's note says why."""
    tab = _dashboard()
    index = _find(tab, "Customer acquisition cost")
    assert tab.rows[index][2] == "—"
    assert tab.cell_notes[(index, 2)] == "no spend entered for 2026-09"


def test_a_small_sample_is_marked() -> None:
    """n under 30 is styled low sample and its note says so; n of 40 is not."""
    tab = _dashboard()
    small, enough = _find(tab, "Sales cycle (days, mean)"), _find(tab, "Close rate")
    assert tab.cell_styles[(small, 3)] == LOW_SAMPLE
    assert tab.cell_notes[(small, 3)] == "10 samples, fewer than 30: read with care"
    assert (enough, 3) not in tab.cell_styles


def test_the_running_period_is_marked_partial() -> None:
    """The running month's title and values are styled partial, the value header says to date."""
    tab = _dashboard()
    title = _find(tab, "This month so far: 2026-10, 15 of 31 days (partial)")
    assert tab.rows[title + 1][:4] == ("KPI", "unit", "2026-10 to date", "n")
    close = _find(tab, "Close rate", after=title)
    assert tab.rows[close][:4] == ("Close rate", "%", 0.05, 5)
    assert (tab.cell_styles[(title, 0)], tab.cell_styles[(close, 2)]) == (PARTIAL, PARTIAL)


def test_goal_cards_come_first() -> None:
    """Goals lead the tab: name, KPI label, value, target, expected, progress, coloured status."""
    tab = _dashboard(goals=(_goal("at risk"),))
    assert tab.rows[1:4] == (
        ("Goals", *([None] * (len(tab.header) - 1))),
        (*GOAL_CARD_HEADER, *([None] * (len(tab.header) - len(GOAL_CARD_HEADER)))),
        (
            "Revenue H2",
            "Net new revenue",
            "2026-07-01..2026-12-31 to date",
            Decimal("5600.00"),
            10000,
            Decimal("5777.68"),
            0.56,
            "at risk",
            *([None] * (len(tab.header) - 8)),
        ),
    )
    assert tab.cell_styles[(3, 7)] == "status:at risk"
    assert tab.format_at((3, 4)) == "whole_currency:EUR"


def test_a_recurring_goal_shows_how_last_period_ended_before_this_one() -> None:
    """Last month's final row, then this month's to date, each with its own status colour."""
    spec = GoalSpec(name="Revenue monthly", kpi="net_new_revenue", target=300000, every="month")
    last = GoalResult(
        spec=spec,
        period=period("2026-09"),
        status="achieved",
        value=Decimal("304889.00"),
        expected=Decimal("300000.00"),
        progress=1.016,
        elapsed=1.0,
        n=20,
        through=date(2026, 9, 30),
    )
    current = replace(
        last,
        period=period("2026-10"),
        status="too early",
        value=Decimal("10356.00"),
        expected=Decimal("30637.79"),
        progress=0.035,
        elapsed=0.48,
        through=date(2026, 10, 15),
        previous=last,
    )
    tab = _dashboard(goals=(current,))
    assert [row[2] for row in tab.rows[3:5]] == ["2026-09", "2026-10 to date"]
    assert [tab.cell_styles[(row, 7)] for row in (3, 4)] == ["status:achieved", "status:too early"]


def test_no_goals_no_cards() -> None:
    """Without goals the settled month leads."""
    assert _dashboard().rows[1][0] == "Last complete month: 2026-09"


def test_trend_table_marks_the_running_period_and_charts_leave_it_out() -> None:
    """The month table ends with the running month, marked; no chart reaches that row."""
    tab = _dashboard()
    partial = _find(tab, "2026-10 (to date)")
    first = _find(tab, "2025-09")
    assert tab.rows[first - 1][:2] == ("period", "Close rate")
    assert tab.cell_styles[(partial, 0)] == PARTIAL
    assert tab.charts
    assert {(c.first_row, c.last_row) for c in tab.charts} == {(first, partial - 1)}


def test_charts_keep_one_unit_and_one_magnitude_per_axis() -> None:
    """Rates share a chart; revenue, CLTV (under a third of it) and CAC each have their own."""
    tab = _dashboard()
    header = tab.rows[_find(tab, "2025-09") - 1]
    drawn = {c.title: tuple(header[s] for s in c.series) for c in tab.charts}
    assert drawn == {
        "Rates by month": ("Close rate", "Customer churn rate"),
        "Net new revenue (EUR) by month": ("Net new revenue",),
        "Customer lifetime value (EUR) by month": ("Customer lifetime value",),
        "Customer acquisition cost (EUR) by month": ("Customer acquisition cost",),
        "Sales cycle (days, mean) by month": ("Sales cycle (days, mean)",),
        "Net Promoter Score by month": ("Net Promoter Score",),
    }
    assert {c.y_format for c in tab.charts if "EUR" in c.title} == {"whole_currency:EUR"}


def test_each_headline_row_has_a_sparkline_of_its_complete_periods() -> None:
    """The trend cell of a settled row draws its KPI's column over the complete rows."""
    tab = _dashboard()
    close = _find(tab, "Close rate")
    (sparkline,) = [s for s in tab.sparklines if s.cell == (close, TREND_COLUMN)]
    first, partial = _find(tab, "2025-09"), _find(tab, "2026-10 (to date)")
    assert (sparkline.first_row, sparkline.last_row) == (first, partial - 1)
    assert tab.rows[first - 1][sparkline.column] == "Close rate"


def test_quarter_sparklines_read_the_quarter_table() -> None:
    """A quarter row's sparkline draws the quarter table, not the months."""
    tab = _dashboard()
    quarter = _find(tab, "Close rate", after=_find(tab, "Last complete quarter: 2026-Q3"))
    (sparkline,) = [s for s in tab.sparklines if s.cell == (quarter, TREND_COLUMN)]
    assert tab.rows[sparkline.first_row][0] == "2026-Q2"
    assert tab.rows[sparkline.last_row][0] == "2026-Q3"


def test_empty_dashboard_has_no_rows_or_charts() -> None:
    """Without KPI rows or goals the Dashboard is its header alone."""
    tab = _dashboard([])
    assert (tab.rows, tab.charts, tab.sparklines) == ((), (), ())


def test_goals_tab_lists_each_goal() -> None:
    """A goal's row holds its definition, value and expected to date, progress, remaining
    target and coverage, and status."""
    tab = goals_tab([_goal()], currency="EUR")
    assert (tab.name, tab.header) == ("Goals", GOALS_HEADER)
    assert tab.rows == (
        (
            "Revenue H2",
            "Net new revenue",
            "owner: Ada",
            10000,
            "at_least",
            date(2026, 7, 1),
            date(2027, 1, 1),
            Decimal("5600.00"),
            Decimal("5777.68"),
            0.56,
            Decimal("4400.00"),
            2.3,
            0.8,
            "on track",
        ),
    )


@pytest.mark.parametrize(
    ("column", "fmt"),
    [
        (3, "currency:EUR"),
        (5, "date"),
        (7, "currency:EUR"),
        (8, "currency:EUR"),
        (9, "percent"),
        (10, "currency:EUR"),
        (11, "multiple"),
        (12, "multiple"),
    ],
    ids=["target", "start", "value", "expected", "progress", "remaining", "coverage", "weighted"],
)
def test_goals_tab_formats(column: int, fmt: str) -> None:
    """Targets and values follow the KPI's unit, windows are dates, progress a percent, the
    remaining target is money and the coverages are multiples (2.3 times)."""
    assert goals_tab([_goal()], currency="EUR").format_at((0, column)) == fmt


def test_a_goal_without_coverage_leaves_its_cells_blank() -> None:
    """A goal on a rate has no remaining target nor coverage: the three cells are empty."""
    tab = goals_tab([_goal(kpi="close_rate", coverage=None)], currency="EUR")
    assert tab.rows[0][10:13] == (None, None, None)


def test_a_met_revenue_goal_shows_no_coverage() -> None:
    """Once nothing remains, remaining and both coverages are blank, the goal achieved."""
    met = Coverage(
        remaining=None,
        pipeline=Decimal("900.00"),
        weighted=Decimal("300.00"),
        ratio=None,
        weighted_ratio=None,
    )
    tab = goals_tab([_goal("achieved", coverage=met)], currency="EUR")
    assert tab.rows[0][10:] == (None, None, None, "achieved")


def test_ratio_goal_target_is_a_percent() -> None:
    """A rate goal shows its target as a percent."""
    tab = goals_tab([_goal(kpi="close_rate")], currency="EUR")
    assert tab.format_at((0, 3)) == "percent"


@pytest.mark.parametrize("status", GOAL_STATUSES, ids=list(GOAL_STATUSES))
def test_goals_tab_status_cell_is_styled(status: GoalStatus) -> None:
    """The status cell carries the semantic style of its status for every writer to colour."""
    tab = goals_tab([_goal(status)], currency="EUR")
    assert tab.cell_styles == {(0, 13): f"status:{status}"}


def test_a_trend_table_starts_at_its_first_period_with_a_value() -> None:
    """Months before the CRM held data (every value null) are left out; a null in between
    stays, as the gap it is."""
    empty = [
        _row(kpi, label, None, "ratio", 0)
        for kpi in ("close_rate", "churn_rate")
        for label in ("2025-06", "2025-07")
    ]
    tab = _dashboard([*empty, *ROWS, _row("close_rate", "2025-12", None, "ratio", 0)])
    labels = [row[0] for row in tab.rows]
    assert "2025-06" not in labels and "2025-07" not in labels
    assert labels.index("2025-09") < labels.index("2025-12") < labels.index("2026-08")
