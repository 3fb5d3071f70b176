"""Pipeline coverage of revenue goals: remaining target, open pipeline and its ratio to it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from connectors.schema import Deal
from kpis.coverage import Coverage, OpenPipeline, coverage
from kpis.dataset import Dataset
from kpis.goals import Direction, GoalSpec, evaluate_goal
from kpis.settings import KpiSettings
from tests.kpi_builders import at, deal, details, owner, stage, with_campaign

SETTINGS = KpiSettings(timezone=ZoneInfo("UTC"), rates={"USD": Decimal("0.9")})
START, DUE = date(2026, 1, 1), date(2026, 4, 11)
HALF_TIME = at("2026-02-20")
STAGES = (
    replace(stage("s1", "Demo"), probability=0.5),
    replace(stage("s2", "Proposal"), probability=0.2),
    stage("s3", "Unweighed"),
    replace(stage("s1", "Demo", pipeline="p2", pipeline_label="Partners"), probability=0.5),
)


def _open(
    deal_id: str,
    amount: str | None,
    expected: str | None,
    *,
    stage_id: str = "s1",
    owner_id: str = "b",
    currency: str | None = None,
    pipeline: str = "p1",
) -> Deal:
    built = deal(
        deal_id,
        amount=amount,
        stage=stage_id,
        owner=owner_id,
        currency=currency,
        pipeline=pipeline,
    )
    return details(built, expected=expected)


# Ada won 400 on 2 January, so 600 of a 1000 target remains. Counted open deals, in EUR:
# o1 600 (Ada's, 50 %), o2 300 (20 %, no expected date), o4 90 USD = 81 (50 %, expected
# an hour before the due); weighted 300 + 60 + 40.50 = 400.50.
DEALS = (
    deal("w1", won="2026-01-02", amount="400", owner="a"),
    _open("o1", "600", "2026-03-01", owner_id="a"),
    _open("o2", "300", None, stage_id="s2"),
    _open("o3", "1000", "2026-05-01"),  # expected after the due
    _open("o4", "90", "2026-04-10T23:00", currency="USD"),
    _open("o5", None, "2026-03-01"),  # no amount: adds nothing
    _open("o6", "700", "2026-04-11T00:00"),  # expected at the due, which is not in the window
    deal("l1", lost="2026-01-05", amount="5000"),
)
OWNERS = (owner("a", "Ada"), owner("b", "Bob"))


def _goal(
    target: float = 1000,
    *,
    kpi: str = "net_new_revenue",
    segment_by: str = "all",
    segment: str = "all",
    direction: Direction = "at_least",
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


def _coverage(
    spec: GoalSpec, deals: tuple[Deal, ...] = DEALS, now: datetime = HALF_TIME
) -> Coverage | None:
    data = Dataset(OWNERS, STAGES, deals=deals)
    return evaluate_goal(spec, data, SETTINGS, now).coverage


def test_coverage_is_the_open_pipeline_over_the_remaining_target() -> None:
    """981 open (81 of them converted from USD) over 600 remaining is 1.635; weighted 0.6675."""
    assert _coverage(_goal()) == Coverage(
        remaining=Decimal("600.00"),
        pipeline=Decimal("981.00"),
        weighted=Decimal("400.50"),
        ratio=1.635,
        weighted_ratio=0.6675,
    )


@pytest.mark.parametrize(
    ("segment_by", "segment", "target", "expected"),
    [
        # Ada: 400 won, 100 remaining, o1 600 open (300 weighted)
        ("owner", "Ada", 500, (Decimal("100.00"), 6.0, 3.0)),
        # Bob: nothing won, o2 300 + o4 81 open (60 + 40.50 weighted) over 381
        ("owner", "Bob", 381, (Decimal("381.00"), 1.0, 100.5 / 381)),
        # the Partners pipeline has one open deal, p1's deals count nowhere
        ("pipeline", "Partners", 1000, (Decimal("1000.00"), 0.25, 0.125)),
    ],
    ids=["owner-with-wins", "owner-without-wins", "pipeline"],
)
def test_a_segment_goal_counts_its_segment_only(
    segment_by: str, segment: str, target: float, expected: tuple[Decimal, float, float]
) -> None:
    """An owner or pipeline goal's remaining target and open pipeline are that segment's."""
    deals = (*DEALS, _open("p", "250", None, owner_id="c", pipeline="p2"))
    found = _coverage(_goal(target, segment_by=segment_by, segment=segment), deals)
    assert found is not None
    assert (found.remaining, found.ratio, found.weighted_ratio) == pytest.approx(expected)


def test_a_campaign_goal_counts_the_campaigns_open_deals() -> None:
    """Campaign revenue for "Spring": 200 won, 800 remaining, its one open deal 400 (50 %)."""
    deals = (
        *with_campaign("Spring", deal("w", won="2026-01-10", amount="200")),
        *with_campaign("Spring", _open("s", "400", None)),
        *with_campaign("Autumn", _open("a", "900", None)),
        _open("n", "100", None),
    )
    spec = _goal(kpi="campaign_revenue", segment_by="campaign", segment="Spring")
    found = _coverage(spec, deals)
    assert found is not None
    assert (found.remaining, found.ratio, found.weighted_ratio) == (Decimal("800.00"), 0.5, 0.25)


def test_deals_without_a_campaign_are_the_none_campaign() -> None:
    """A `(none)` campaign goal counts the open deals with no campaign, as its rows do."""
    deals = (*with_campaign("Spring", _open("s", "400", None)), _open("n", "100", None))
    found = _coverage(_goal(kpi="campaign_revenue", segment_by="campaign", segment="(none)"), deals)
    assert found is not None
    assert found.pipeline == Decimal("100.00")


@pytest.mark.parametrize(
    ("target", "now"),
    [(400, HALF_TIME), (300, HALF_TIME), (5000, at("2026-04-11T00:00"))],
    ids=["met-exactly", "passed", "past-due"],
)
def test_nothing_remains_of_a_met_or_past_due_goal(target: float, now: datetime) -> None:
    """A goal met, or whose window has ended, has no remaining target and no coverage."""
    found = _coverage(_goal(target), now=now)
    assert found is not None
    assert (found.remaining, found.ratio, found.weighted_ratio) == (None, None, None)


def test_no_open_pipeline_is_zero_coverage() -> None:
    """With nothing open the coverage is 0, not empty: the target still needs deals."""
    found = _coverage(_goal(), deals=(deal("w1", won="2026-01-02", amount="400"),))
    assert found is not None
    assert (found.remaining, found.pipeline, found.ratio, found.weighted_ratio) == (
        Decimal("600.00"),
        Decimal("0.00"),
        0.0,
        0.0,
    )


def test_before_the_window_the_whole_target_remains() -> None:
    """A goal not started yet has won nothing toward it: 981 over the whole 1000."""
    found = _coverage(_goal(), now=datetime(2025, 12, 31, tzinfo=UTC))
    assert found is not None
    assert (found.remaining, found.ratio) == (Decimal("1000.00"), 0.981)


def test_a_stage_without_probability_adds_to_the_pipeline_only() -> None:
    """An open deal in a stage with no probability (or unknown) weighs nothing."""
    deals = (_open("x", "500", None, stage_id="s3"), _open("y", "500", None, stage_id="s9"))
    found = _coverage(_goal(), deals)
    assert found is not None
    assert (found.ratio, found.weighted_ratio) == (1.0, 0.0)


@pytest.mark.parametrize(
    "spec",
    [
        _goal(kpi="close_rate", target=0.25),
        _goal(kpi="customer_lifetime_value"),
        _goal(direction="at_most"),
    ],
    ids=["ratio", "money-not-additive", "at-most"],
)
def test_only_at_least_revenue_goals_have_coverage(spec: GoalSpec) -> None:
    """A rate, money that is not a sum of won deals, or a ceiling on revenue has none."""
    assert _coverage(spec) is None


def test_a_recurring_goal_covers_its_current_period_only() -> None:
    """Last month is final, so nothing remains of it; this month's remaining is covered."""
    spec = GoalSpec(name="monthly", kpi="net_new_revenue", target=2000, every="month")
    data = Dataset(OWNERS, STAGES, deals=DEALS)
    result = evaluate_goal(spec, data, SETTINGS, HALF_TIME)
    assert result.previous is not None and result.previous.coverage is not None
    assert result.previous.coverage.ratio is None
    # February: nothing won, 2000 remaining; open before 1 March: o2 300 (undated) only
    assert result.coverage is not None
    assert (result.coverage.remaining, result.coverage.ratio) == (Decimal("2000.00"), 0.15)


def test_coverage_divides_the_exact_figures() -> None:
    """The ratio is of the unrounded sums: 0.005 over 0.01 remaining is 0.5, not 1.0."""
    found = coverage(Decimal("0.01"), OpenPipeline(Decimal("0.005"), Decimal("0.004")))
    assert (found.pipeline, found.ratio, found.weighted_ratio) == (Decimal("0.01"), 0.5, 0.4)
