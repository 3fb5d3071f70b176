"""Goals: value to date, expected-to-date, progress and every status rule with its boundaries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kpis.dataset import Dataset
from kpis.goals import Direction, GoalSpec, GoalStatus, evaluate_goal, goal_status
from kpis.settings import KpiSettings
from sync.config import Goal
from tests.kpi_builders import BERLIN, at, deal, owner

IN_UTC = KpiSettings(timezone=ZoneInfo("UTC"))
START, DUE = date(2026, 1, 1), date(2026, 4, 11)  # 31 + 28 + 31 + 10 = 100 days
HALF_TIME = at("2026-02-20")  # 50 of the 100 days have passed
CLOSED = "2026-01-02T12:00"


def _goal(
    kpi: str = "net_new_revenue",
    target: float = 1000,
    direction: Direction = "at_least",
    *,
    segment_by: str = "all",
    segment: str = "all",
) -> GoalSpec:
    return GoalSpec(
        name="goal",
        kpi=kpi,
        segment_by=segment_by,
        segment=segment,
        target=target,
        direction=direction,
        start=START,
        due=DUE,
    )


def _revenue(*amounts: str, closed: str = CLOSED) -> Dataset:
    """One won deal per amount, each a new customer's first deal, so each is new revenue."""
    return Dataset(deals=[deal(f"d{i}", won=closed, amount=a) for i, a in enumerate(amounts)])


def _wins(won: int, lost: int, *, closed: str = CLOSED) -> Dataset:
    deals = [deal(f"w{i}", won=closed) for i in range(won)]
    deals += [deal(f"l{i}", lost=closed) for i in range(lost)]
    return Dataset(deals=deals)


@pytest.mark.parametrize(
    ("direction", "amount", "status"),
    [
        ("at_least", "495", "on track"),  # 99 % of 1000 x 50/100 = 495
        ("at_least", "494.99", "at risk"),
        ("at_least", "400", "at risk"),  # 80 % of 500 = 400
        ("at_least", "399.99", "off track"),
        ("at_least", "1000", "achieved"),  # the whole target, halfway through
        ("at_most", "505", "on track"),  # 500 + 1 % of 500 = 505
        ("at_most", "505.01", "at risk"),
        ("at_most", "600", "at risk"),  # 500 + 20 % of 500 = 600
        ("at_most", "600.01", "off track"),
    ],
    ids=[
        "least-99pct",
        "least-below-99pct",
        "least-80pct",
        "least-below-80pct",
        "least-target-met-early",
        "most-101pct",
        "most-above-101pct",
        "most-120pct",
        "most-above-120pct",
    ],
)
def test_additive_goal_is_paced_against_expected_to_date(
    direction: Direction, amount: str, status: GoalStatus
) -> None:
    """Revenue is compared with target x elapsed share: 99 % on track, 80 % at risk."""
    result = evaluate_goal(_goal(direction=direction), _revenue(amount), IN_UTC, HALF_TIME)
    assert result.status == status


def test_additive_goal_reports_expected_and_progress() -> None:
    """Halfway through, expected-to-date is half the target and progress is value ÷ target."""
    result = evaluate_goal(_goal(), _revenue("300", "195"), IN_UTC, HALF_TIME)
    # expected 1000 x 0.5 = 500.00; progress (300 + 195) / 1000 = 0.495
    assert (result.value, result.expected, result.progress) == (
        Decimal("495.00"),
        Decimal("500.00"),
        0.495,
    )
    assert (result.elapsed, result.n, result.through) == (0.5, 2, date(2026, 2, 20))


def test_additive_goal_without_revenue_counts_zero() -> None:
    """No revenue yet is 0 toward a revenue goal, not missing data: halfway, that is off track."""
    result = evaluate_goal(_goal(), Dataset(), IN_UTC, HALF_TIME)
    assert (result.value, result.progress, result.status) == (Decimal("0.00"), 0.0, "off track")


@pytest.mark.parametrize(
    ("direction", "won", "lost", "status"),
    [
        ("at_least", 10, 10, "on track"),  # 0.50 meets 0.50
        ("at_least", 11, 9, "on track"),  # 0.55 beats it, yet is not final before due
        ("at_least", 9, 11, "at risk"),  # 0.45 = 0.50 - 10 % of 0.50
        ("at_least", 8, 12, "off track"),  # 0.40
        ("at_most", 10, 10, "on track"),
        ("at_most", 9, 11, "on track"),
        ("at_most", 11, 9, "at risk"),  # 0.55 = 0.50 + 10 % of 0.50
        ("at_most", 12, 8, "off track"),  # 0.60
    ],
    ids=[
        "least-meets",
        "least-beats",
        "least-within-10pct",
        "least-beyond-10pct",
        "most-meets",
        "most-beats",
        "most-within-10pct",
        "most-beyond-10pct",
    ],
)
def test_ratio_goal_compares_value_with_target(
    direction: Direction, won: int, lost: int, status: GoalStatus
) -> None:
    """A ratio meeting its target is on track; within 10 % of it, at risk; else off track."""
    goal = _goal("win_rate", 0.5, direction)
    assert evaluate_goal(goal, _wins(won, lost), IN_UTC, HALF_TIME).status == status


def test_ratio_goal_has_no_expected_or_progress() -> None:
    """Only additive goals are paced: a ratio goal has no expected-to-date and no progress."""
    result = evaluate_goal(_goal("win_rate", 0.5), _wins(3, 1), IN_UTC, HALF_TIME)
    assert (result.value, result.expected, result.progress, result.n) == (0.75, None, None, 4)


@pytest.mark.parametrize(
    ("direction", "now", "won", "lost", "status"),
    [
        ("at_least", "2026-01-20", 5, 4, "too early"),  # 19 of 100 days, 9 closed deals
        ("at_least", "2026-01-20", 5, 5, "on track"),  # 10 samples are enough
        ("at_least", "2026-01-21", 5, 4, "on track"),  # 20 of 100 days is no longer early
        ("at_most", "2026-01-20", 4, 5, "too early"),
        ("at_most", "2026-01-21", 4, 5, "on track"),  # 4/9 = 0.44 is at most 0.50
    ],
    ids=["early-few-samples", "early-ten-samples", "at-20pct", "cap-early", "cap-at-20pct"],
)
def test_too_early_is_the_first_fifth_with_few_samples(
    direction: Direction, now: str, won: int, lost: int, status: GoalStatus
) -> None:
    """Status waits while under 20 % of the window has passed with fewer than 10 samples."""
    goal = _goal("win_rate", 0.5, direction)
    assert evaluate_goal(goal, _wins(won, lost), IN_UTC, at(now)).status == status


@pytest.mark.parametrize(
    ("amount", "status"),
    [("50", "too early"), ("1000", "achieved")],
    ids=["early-revenue", "target-met-early"],
)
def test_early_revenue_goal_waits_unless_achieved(amount: str, status: GoalStatus) -> None:
    """Early on, a revenue goal is too early to judge, unless its target is already met."""
    # 2026-01-11 is 10 of 100 days in; one deal is one sample
    result = evaluate_goal(_goal(), _revenue(amount), IN_UTC, at("2026-01-11"))
    assert result.status == status


@pytest.mark.parametrize(
    ("goal", "data", "status"),
    [
        (_goal(), _revenue("1000"), "achieved"),
        (_goal(), _revenue("999.99"), "missed"),
        (_goal(direction="at_most"), _revenue("1000"), "achieved"),
        (_goal(direction="at_most"), _revenue("1000.01"), "missed"),
        (_goal("win_rate", 0.5), _wins(1, 1), "achieved"),
        (_goal("win_rate", 0.5), _wins(9, 11), "missed"),
        (_goal("win_rate", 0.5, "at_most"), _wins(1, 1), "achieved"),
        (_goal("win_rate", 0.5, "at_most"), _wins(11, 9), "missed"),
        (_goal("win_rate", 0.5), Dataset(), "no data"),
    ],
    ids=[
        "revenue-met",
        "revenue-short",
        "cap-kept",
        "cap-exceeded",
        "ratio-met",
        "ratio-short-though-near",
        "ratio-cap-kept",
        "ratio-cap-exceeded-though-near",
        "ratio-nothing-measured",
    ],
)
def test_past_due_goal_is_achieved_or_missed(
    goal: GoalSpec, data: Dataset, status: GoalStatus
) -> None:
    """From the due date on, a goal is achieved or missed; near misses are missed."""
    assert evaluate_goal(goal, data, IN_UTC, at("2026-04-11")).status == status


def test_past_due_value_stops_at_due() -> None:
    """After due the value covers the window only: a deal won on the due date is left out."""
    data = Dataset(
        deals=[
            deal("in", won="2026-04-10T23:59", amount="600"),
            deal("after", won="2026-04-11", amount="500"),
        ]
    )
    result = evaluate_goal(_goal(), data, IN_UTC, at("2026-05-01"))
    assert (result.value, result.through, result.elapsed, result.status) == (
        Decimal("600.00"),
        date(2026, 4, 10),
        1.0,
        "missed",
    )


def test_goal_before_its_window_is_too_early() -> None:
    """A goal whose window has not started has no value yet and is too early."""
    result = evaluate_goal(_goal(), _revenue("5000"), IN_UTC, at("2025-12-31T23:59:59"))
    assert (result.status, result.value, result.expected, result.elapsed, result.through) == (
        "too early",
        None,
        None,
        0.0,
        None,
    )


def test_ratio_goal_without_samples_has_no_data() -> None:
    """Past the first fifth, a ratio with nothing to measure is no data."""
    result = evaluate_goal(_goal("win_rate", 0.5), Dataset(), IN_UTC, HALF_TIME)
    assert (result.value, result.status) == (None, "no data")


@pytest.mark.parametrize(
    ("segment", "value", "status"),
    [("Ada Lovelace", 1.0, "on track"), ("Bob", 0.0, "off track"), ("Eve", None, "no data")],
    ids=["ada", "bob", "segment-without-rows"],
)
def test_goal_reads_its_segment(segment: str, value: float | None, status: GoalStatus) -> None:
    """A segment goal takes the value of its own segment's row."""
    data = Dataset(
        owners=[owner("o1", "Ada Lovelace"), owner("o2", "Bob")],
        deals=[
            *(deal(f"a{i}", won=CLOSED, owner="o1") for i in range(10)),
            *(deal(f"b{i}", lost=CLOSED, owner="o2") for i in range(10)),
        ],
    )
    goal = _goal("win_rate", 0.5, segment_by="owner", segment=segment)
    result = evaluate_goal(goal, data, IN_UTC, HALF_TIME)
    assert (result.value, result.status) == (value, status)


def test_goal_counts_today_and_paces_in_real_time() -> None:
    """Mid-day, today's deals count, and the elapsed share counts real hours across DST."""
    settings = KpiSettings(timezone=BERLIN)
    data = _revenue("100", closed="2026-02-20T09:00")
    result = evaluate_goal(_goal(), data, settings, at("2026-02-20T11:00"))
    # window 2025-12-31T23:00Z .. 2026-04-10T22:00Z (CEST from 03-29): 100 days - 1 h = 2399 h;
    # elapsed to 2026-02-20T11:00Z: 50 days + 12 h = 1212 h
    assert (result.value, result.through) == (Decimal("100.00"), date(2026, 2, 20))
    assert result.elapsed == pytest.approx(1212 / 2399)


def test_local_today_starts_at_local_midnight() -> None:
    """At 00:30 Berlin time, which is still the previous day in UTC, today is the Berlin day."""
    settings = KpiSettings(timezone=BERLIN)
    result = evaluate_goal(_goal(), Dataset(), settings, at("2026-02-19T23:30"))
    assert result.through == date(2026, 2, 20)


@pytest.mark.parametrize(
    ("value", "status"),
    [(-10, "on track"), (-11, "at risk"), (-11.01, "off track")],
    ids=["meets", "within-10pct", "beyond-10pct"],
)
def test_negative_target_tolerance_uses_its_size(value: float, status: GoalStatus) -> None:
    """An NPS target of -10 is at risk down to -11: 10 % of the target's size below it."""
    found = goal_status(
        _goal("nps", -10), value=value, expected=None, share=Decimal("0.5"), n=50, past_due=False
    )
    assert found == status


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"due": START}, "must be after"),
        ({"kpi": "revenue"}, "unknown KPI 'revenue'"),
        ({"direction": "exactly"}, "at_least or at_most"),
    ],
    ids=["empty-window", "unknown-kpi", "unknown-direction"],
)
def test_goal_spec_rejects_nonsense(fields: dict[str, object], message: str) -> None:
    """A goal with an empty window, an unknown KPI or direction is refused with the reason."""
    spec: dict[str, object] = {
        "name": "g",
        "kpi": "win_rate",
        "target": 0.5,
        "start": START,
        "due": DUE,
        **fields,
    }
    with pytest.raises(ValueError, match=message):
        GoalSpec(**spec)


def test_spec_takes_a_config_goal_as_is() -> None:
    """A validated `[[goals]]` entry of the config builds a spec field for field."""
    entry = Goal.model_validate(
        {
            "name": "Close rate 25 % by year end",
            "kpi": "close_rate",
            "target": 0.25,
            "start": date(2026, 7, 1),
            "due": date(2027, 1, 1),
        }
    )
    spec = GoalSpec(**entry.model_dump())
    assert (spec.segment_by, spec.direction, spec.window(IN_UTC, HALF_TIME).label) == (
        "all",
        "at_least",
        "2026-07-01..2026-12-31",
    )
