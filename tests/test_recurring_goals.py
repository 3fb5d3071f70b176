"""Recurring goals (`every`): the current period to date and the last complete period, judged
in the reporting time zone, by the same rules as a goal with dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connectors.schema import Deal
from kpis.dataset import Dataset
from kpis.goals import Direction, GoalResult, GoalSpec, Recurrence, evaluate_goal
from kpis.settings import KpiSettings
from sync.outputs.dashboard.tabs import goals_tab
from tests.kpi_builders import BERLIN, at, deal

IN_BERLIN = KpiSettings(timezone=BERLIN)
# 2026-11-15 12:00 in Berlin (CET): 14 days and 12 hours, 348 of November's 720 hours
MID_NOVEMBER = at("2026-11-15T12:00+01:00")


def _monthly(
    kpi: str = "net_new_revenue",
    target: float = 72000,
    direction: Direction = "at_least",
    every: Recurrence = "month",
) -> GoalSpec:
    return GoalSpec(name="goal", kpi=kpi, target=target, direction=direction, every=every)


def _revenue(*wins: tuple[str, str]) -> Dataset:
    """One won deal per (close instant, amount), each a new customer's first deal."""
    return Dataset(
        deals=[deal(f"d{i}", won=won, amount=amount) for i, (won, amount) in enumerate(wins)]
    )


def _wins(won: int, lost: int, closed: str) -> list[Deal]:
    return [deal(f"w{closed}{i}", won=closed) for i in range(won)] + [
        deal(f"l{closed}{i}", lost=closed) for i in range(lost)
    ]


def _previous(result: GoalResult) -> GoalResult:
    assert result.previous is not None
    return result.previous


def test_monthly_goal_paces_the_current_month_to_date() -> None:
    """This month's value, expected-to-date (target x 348/720) and progress at `now`."""
    data = _revenue(("2026-11-03T10:00", "20000"), ("2026-11-14T10:00", "15000"))
    result = evaluate_goal(_monthly(), data, IN_BERLIN, MID_NOVEMBER)
    assert (result.period.label, result.through) == ("2026-11", date(2026, 11, 15))
    assert (result.value, result.expected, result.status) == (
        Decimal("35000.00"),
        Decimal("34800.00"),
        "on track",
    )
    assert result.progress == pytest.approx(35000 / 72000)
    assert result.target == 72000


@pytest.mark.parametrize(
    ("amount", "status"),
    [("72000", "achieved"), ("71999.99", "missed")],
    ids=["met", "short"],
)
def test_monthly_goal_judges_the_last_complete_month(amount: str, status: str) -> None:
    """Last month is past due: its whole value against the whole target, achieved or missed."""
    data = _revenue(("2026-10-20T10:00", amount), ("2026-11-03T10:00", "1"))
    last = _previous(evaluate_goal(_monthly(), data, IN_BERLIN, MID_NOVEMBER))
    assert (last.period.label, last.through, last.value, last.expected) == (
        "2026-10",
        date(2026, 10, 31),
        Decimal(amount).quantize(Decimal("0.01")),
        Decimal("72000.00"),
    )
    assert (last.status, last.elapsed, last.previous) == (status, 1.0, None)


def test_monthly_goal_splits_months_at_local_midnight() -> None:
    """A deal won at 23:30 UTC on 31 October is won on 1 November in Berlin."""
    data = _revenue(("2026-10-31T23:30", "500"), ("2026-10-31T22:30", "300"))
    result = evaluate_goal(_monthly(), data, IN_BERLIN, MID_NOVEMBER)
    assert (_previous(result).value, result.value) == (Decimal("300.00"), Decimal("500.00"))


@pytest.mark.parametrize(
    ("every", "current", "last"),
    [("month", "2026-11", "2026-10"), ("quarter", "2026-Q4", "2026-Q3"), ("year", "2026", "2025")],
    ids=["month", "quarter", "year"],
)
def test_goal_recurs_by_its_grain(every: Recurrence, current: str, last: str) -> None:
    """The windows are the periods of `every` containing now and the one before it."""
    result = evaluate_goal(_monthly(every=every), Dataset(), IN_BERLIN, MID_NOVEMBER)
    assert (result.period.label, _previous(result).period.label) == (current, last)


def test_first_day_of_the_month_is_too_early_and_last_month_is_final() -> None:
    """30 minutes into December: nothing to judge yet; November is closed with its value."""
    data = Dataset(deals=_wins(3, 1, "2026-11-10T10:00") + _wins(1, 0, "2026-11-30T23:15"))
    now = at("2026-12-01T00:30+01:00")
    result = evaluate_goal(_monthly("win_rate", 0.5), data, IN_BERLIN, now)
    assert (result.period.label, result.through, result.value, result.status) == (
        "2026-12",
        date(2026, 12, 1),
        1.0,
        "too early",
    )
    assert result.elapsed == pytest.approx(0.5 / 744)
    last = _previous(result)
    assert (last.period.label, last.value, last.n, last.status) == ("2026-11", 0.75, 4, "achieved")


def test_revenue_on_the_first_day_counts_zero_and_waits() -> None:
    """A revenue goal's new month starts at 0, too early to judge, expected 0.00 so far."""
    result = evaluate_goal(_monthly(), Dataset(), IN_BERLIN, at("2026-12-01T00:00+01:00"))
    assert (result.value, result.expected, result.progress, result.status) == (
        Decimal("0.00"),
        Decimal("0.00"),
        0.0,
        "too early",
    )


@pytest.mark.parametrize(
    ("now", "target", "expected"),
    [
        # October 2026 has 745 hours (clocks go back on the 25th); 589 have passed
        ("2026-10-25T12:00+01:00", 74500, Decimal("58900.00")),
        # March 2026 has 743 hours (clocks go forward on the 29th); 683 have passed
        ("2026-03-29T12:00+02:00", 74300, Decimal("68300.00")),
    ],
    ids=["october-dst-end", "march-dst-start"],
)
def test_month_with_a_dst_change_paces_in_real_hours(
    now: str, target: float, expected: Decimal
) -> None:
    """Expected-to-date counts the month's real hours, 745 or 743, on the day clocks change."""
    result = evaluate_goal(_monthly(target=target), Dataset(), IN_BERLIN, at(now))
    assert result.expected == expected


@pytest.mark.parametrize(
    ("direction", "won", "lost", "status"),
    [
        ("at_least", 1, 1, "on track"),
        ("at_least", 9, 11, "at risk"),  # 0.45 is within 10 % of 0.5
        ("at_least", 2, 3, "off track"),
        ("at_most", 11, 9, "at risk"),  # 0.55
        ("at_most", 3, 2, "off track"),
    ],
    ids=["meets", "within-10pct", "beyond-10pct", "cap-within-10pct", "cap-beyond"],
)
def test_recurring_ratio_compares_this_month_with_the_target(
    direction: Direction, won: int, lost: int, status: str
) -> None:
    """A ratio's current month is compared with the target directly, never paced."""
    data = Dataset(deals=_wins(won, lost, "2026-11-10T10:00"))
    result = evaluate_goal(_monthly("win_rate", 0.5, direction), data, IN_BERLIN, MID_NOVEMBER)
    assert (result.status, result.expected, result.progress) == (status, None, None)


def test_recurring_ratio_without_last_month_data_has_no_data() -> None:
    """A last month with nothing to measure is `no data`, not missed."""
    result = evaluate_goal(_monthly("win_rate", 0.5), Dataset(), IN_BERLIN, MID_NOVEMBER)
    assert _previous(result).status == "no data"


def test_goal_with_dates_has_its_window_and_no_previous() -> None:
    """A goal with start and due keeps one window, the whole of it."""
    spec = GoalSpec(
        name="g", kpi="win_rate", target=0.5, start=date(2026, 7, 1), due=date(2027, 1, 1)
    )
    result = evaluate_goal(spec, Dataset(), IN_BERLIN, MID_NOVEMBER)
    assert (result.period.label, result.previous) == ("2026-07-01..2026-12-31", None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"every": "month", "start": date(2026, 1, 1)}, "every and start are both set"),
        (
            {"every": "month", "start": date(2026, 1, 1), "due": date(2026, 2, 1)},
            "every and start and due are both set",
        ),
        ({}, r"set every \(month, quarter, year\)"),
        ({"start": date(2026, 1, 1)}, "due is missing"),
        ({"every": "week"}, "every must be one of month, quarter, year, not 'week'"),
    ],
    ids=["every-and-start", "every-and-dates", "neither", "start-only", "unknown-grain"],
)
def test_goal_spec_needs_exactly_one_window_form(fields: dict[str, object], message: str) -> None:
    """A goal recurs (`every`) or has `start` and `due`; both, neither or half is refused."""
    with pytest.raises(ValueError, match=message):
        GoalSpec(name="g", kpi="win_rate", target=0.5, **fields)  # type: ignore[arg-type]


def test_goals_tab_lists_last_and_current_period_of_a_recurring_goal() -> None:
    """Two rows, last complete month first, each with its own start, due and status."""
    data = _revenue(("2026-10-20T10:00", "80000"), ("2026-11-03T10:00", "20000"))
    tab = goals_tab([evaluate_goal(_monthly(), data, IN_BERLIN, MID_NOVEMBER)], currency="EUR")
    assert [row[5:] for row in tab.rows] == [
        (
            date(2026, 10, 1),
            date(2026, 11, 1),
            Decimal("80000.00"),
            Decimal("72000.00"),
            pytest.approx(80000 / 72000),
            None,
            None,
            None,
            "achieved",
        ),
        (
            date(2026, 11, 1),
            date(2026, 12, 1),
            Decimal("20000.00"),
            Decimal("34800.00"),
            pytest.approx(20000 / 72000),
            Decimal("52000.00"),  # of 72000, with no deal open
            0.0,
            0.0,
            "off track",
        ),
    ]
    assert tab.cell_styles == {(0, 13): "status:achieved", (1, 13): "status:off track"}
