"""The pipeline changes over a period (`kpis.memory.waterfall`): seven figures, one identity."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from connectors.schema import Deal
from kpis.dataset import Dataset
from kpis.memory.waterfall import (
    STEPS,
    PipelineChanges,
    Step,
    pipeline_changes,
    pipeline_open_start,
)
from kpis.periods import Period
from kpis.segments import ALL_SEGMENT, SegmentKey
from tests.kpi_builders import at, deal, details, only, period, settings, stage, versioned

OCTOBER = period("2026-10")
USD = settings(rates={"USD": "0.92"})


def _figures(changes: PipelineChanges, segment: SegmentKey = ALL_SEGMENT) -> dict[str, object]:
    return {
        step: (changes.figure(step, segment).value, changes.figure(step, segment).deals)
        for step in STEPS
    }


def _changes(*deals: Deal, label: str = "2026-10", **kwargs: object) -> PipelineChanges:
    return pipeline_changes(Dataset(deals=deals), period(label), replace(USD, **kwargs))


def _identity_gap(changes: PipelineChanges, segment: SegmentKey = ALL_SEGMENT) -> int:
    cents = {step: changes.figure(step, segment).cents for step in STEPS}
    return (
        cents["open_start"]
        + cents["created"]
        - cents["won"]
        - cents["lost"]
        + cents["value_change"]
        - cents["open_end"]
    )


def worked_example() -> list[Deal]:
    """The deals of the worked example in docs/kpis.md."""
    return [
        versioned(
            details(deal("A", created="2026-09-01", amount="1000"), expected="2026-10-20"),
            ("2026-09-01", {}),
            ("2026-10-12", {"amount": "1200", "expected_close_at": "2026-11-15"}),
        ),
        deal("B", created="2026-08-01", won="2026-10-08", amount="500", currency="USD"),
        deal("C", created="2026-10-05", lost="2026-10-25", amount="300"),
        deal("D", created="2026-10-15"),
        versioned(
            deal("E", created="2026-08-01", amount="400"),
            ("2026-08-01", {}),
            ("2026-09-10", {"status": "lost", "closed_at": "2026-09-10"}),
            ("2026-10-20", {"status": "open", "closed_at": None}),
        ),
    ]


def testworked_example_of_the_docs() -> None:
    """docs/kpis.md's worked example: every figure and its deals, and the identity."""
    changes = _changes(*worked_example())
    assert _figures(changes) == {
        "open_start": (Decimal("1460.00"), 2),
        "created": (Decimal("700.00"), 3),
        "won": (Decimal("460.00"), 1),
        "lost": (Decimal("300.00"), 1),
        "value_change": (Decimal("200.00"), 5),
        "open_end": (Decimal("1600.00"), 3),
        "pushed": (Decimal("1000.00"), 1),
    }
    assert _identity_gap(changes) == 0


def test_missing_amounts_count_in_n_and_say_so() -> None:
    """A deal without an amount counts as 0 in the sum, in n, and in the row's note."""
    rows = pipeline_open_start(
        Dataset(deals=[deal("a", amount="10"), deal("b")]), OCTOBER, settings()
    )
    row = only(rows)
    assert only(rows, "pipeline", "p1").n == 2
    assert (row.value, row.n) == (Decimal("10.00"), 2)
    assert row.note == "1 of its 2 deals have no amount (counted as 0)"


BOUNDARY_CASES = {
    "closed exactly at P.start: in the pipeline then, and won in P": (
        deal("d", created="2026-09-01", won="2026-09-30T22:00:00Z", amount="100"),
        {"open_start": 1, "won": 1},
    ),
    "created exactly at P.end: in the next period only": (
        deal("d", created="2026-10-31T23:00:00Z", amount="100"),
        {},
    ),
    "closed exactly at P.end: still in the pipeline as of P.end": (
        deal("d", created="2026-10-02", won="2026-10-31T23:00:00Z", amount="100"),
        {"created": 1, "value_change": 1, "open_end": 1},
    ),
    "created and won inside P": (
        deal("d", created="2026-10-02", won="2026-10-09", amount="100"),
        {"created": 1, "won": 1, "value_change": 1},
    ),
    "born won inside P: created and won at once": (
        deal("d", created="2026-10-02", won="2026-10-02", amount="100"),
        {"created": 1, "won": 1},
    ),
    "created at the Berlin midnight that starts P, 22:00 UTC the day before": (
        deal("d", created="2026-09-30T22:00:00Z", amount="100"),
        {"created": 1, "value_change": 1, "open_end": 1},
    ),
    "created an hour before P in Berlin": (
        deal("d", created="2026-09-30T21:00:00Z", amount="100"),
        {"open_start": 1, "value_change": 1, "open_end": 1},
    ),
}


@pytest.mark.parametrize(
    ("built", "deals"), list(BOUNDARY_CASES.values()), ids=list(BOUNDARY_CASES)
)
def test_boundaries(built: Deal, deals: dict[Step, int]) -> None:
    """Each step counts a boundary deal as docs/kpis.md says, in a Berlin October."""
    changes = _changes(built)
    found = {step: changes.figure(step).deals for step in STEPS if changes.figure(step).deals}
    assert found == deals
    assert _identity_gap(changes) == 0


def test_a_utc_month_draws_the_boundary_elsewhere() -> None:
    """Under UTC the deal created at 22:30 UTC on 30 September is September's."""
    built = deal("d", created="2026-09-30T22:30:00Z", amount="100")
    utc = pipeline_changes(Dataset(deals=[built]), period("2026-10", ZoneInfo("UTC")), USD)
    berlin = _changes(built)
    assert (utc.figure("open_start").deals, utc.figure("created").deals) == (1, 0)
    assert (berlin.figure("open_start").deals, berlin.figure("created").deals) == (0, 1)


def test_reopened_and_won_again_counts_twice() -> None:
    """Won, reopened and won again in P: created once again, and won twice."""
    built = versioned(
        deal("d", created="2026-09-01", amount="100"),
        ("2026-09-01", {}),
        ("2026-10-05", {"status": "won", "closed_at": "2026-10-05"}),
        ("2026-10-10", {"status": "open", "closed_at": None, "amount": "150"}),
        ("2026-10-20", {"status": "won", "closed_at": "2026-10-20"}),
    )
    changes = _changes(built)
    assert _figures(changes)["created"] == (Decimal("150.00"), 1)
    assert _figures(changes)["won"] == (Decimal("250.00"), 2)
    assert _identity_gap(changes) == 0


def test_won_at_a_new_amount_is_a_value_change() -> None:
    """A deal won at more than its open amount: won at the closing amount, the rise a change."""
    built = versioned(
        deal("d", created="2026-09-01", amount="100"),
        ("2026-09-01", {}),
        ("2026-10-10", {"status": "won", "closed_at": "2026-10-10", "amount": "130"}),
    )
    changes = _changes(built)
    assert changes.figure("won").value == Decimal("130.00")
    assert changes.figure("value_change").value == Decimal("30.00")


def test_converted_amounts_are_rounded_each_then_summed() -> None:
    """Three deals of 0.01 USD at 0.5 are 0.01 EUR each (half up), 0.03 together."""
    deals = [deal(f"d{n}", amount="0.01", currency="USD") for n in range(3)]
    changes = pipeline_changes(Dataset(deals=deals), OCTOBER, settings(rates={"USD": "0.5"}))
    assert changes.figure("open_start").value == Decimal("0.03")


def test_a_move_between_pipelines_leaves_one_and_enters_the_other() -> None:
    """Moved from Sales to Renewals in P: each pipeline's identity holds through value change."""
    built = versioned(
        deal("d", created="2026-09-01", amount="100", pipeline="p1"),
        ("2026-09-01", {}),
        ("2026-10-10", {"pipeline_id": "p2"}),
    )
    stages = [
        stage("s1", "New", pipeline="p1", pipeline_label="Sales"),
        stage("s1", "New", pipeline="p2", pipeline_label="Renewals"),
    ]
    changes = pipeline_changes(Dataset(stages=stages, deals=[built]), OCTOBER, USD)
    sales, renewals = ("pipeline", "Sales"), ("pipeline", "Renewals")
    assert changes.figure("value_change", sales).value == Decimal("-100.00")
    assert changes.figure("value_change", renewals).value == Decimal("100.00")
    assert changes.figure("value_change").value == Decimal("0.00")
    assert changes.figure("open_start", sales).deals == 1
    assert changes.figure("open_end", renewals).deals == 1
    assert [_identity_gap(changes, s) for s in (ALL_SEGMENT, sales, renewals)] == [0, 0, 0]


PUSHED_CASES = {
    "moved past P": ("2026-11-15", None, 1),
    "moved to P.end itself, the next month's first day": ("2026-11-01T00:00:00+01:00", None, 1),
    "moved within P": ("2026-10-28", None, 0),
    "won after the move": ("2026-11-15", "2026-10-25", 1),
}


@pytest.mark.parametrize(
    ("moved_to", "won", "pushed"), list(PUSHED_CASES.values()), ids=list(PUSHED_CASES)
)
def test_pushed(moved_to: str, won: str | None, pushed: int) -> None:
    """Expected in P as of P.start, and at or after P.end as of P.end or at closing."""
    changes_ = [("2026-10-12", {"expected_close_at": moved_to})]
    if won is not None:
        changes_.append((won, {"status": "won", "closed_at": won}))
    built = versioned(
        details(deal("d", created="2026-09-01", amount="100"), expected="2026-10-20"),
        ("2026-09-01", {}),
        *changes_,
    )
    assert _changes(built).figure("pushed").deals == pushed


def test_a_deal_expected_after_p_from_the_start_is_not_pushed() -> None:
    """Only deals expected in P as of P.start can be pushed out of it."""
    built = details(deal("d", created="2026-09-01", amount="100"), expected="2026-11-20")
    assert _changes(built).figure("pushed").deals == 0


def test_a_running_period_is_measured_at_now() -> None:
    """Before P.end the pipeline as of P.end is the pipeline now: a deal closed later is open."""
    built = deal("d", created="2026-09-01", won="2026-10-20", amount="100")
    changes = _changes(built, now=at("2026-10-15"))
    assert (changes.figure("won").deals, changes.figure("open_end").deals) == (0, 1)


def test_nothing_in_the_period_is_null() -> None:
    """With no deal at all every figure is null with n 0, as every sum over nothing."""
    changes = _changes()
    assert _figures(changes) == dict.fromkeys(STEPS, (None, 0))


_PERIOD_LABELS = ["2026-08", "2026-09", "2026-10", "2026-11", "2026-W36", "2026-W40", "2026-Q4"]
# the bounds of the periods drawn, often: most of what can go wrong happens there
_BOUNDS = sorted(
    {bound for label in _PERIOD_LABELS for bound in (period(label).start, period(label).end)}
)
_INSTANTS = st.one_of(
    st.sampled_from(_BOUNDS),
    st.integers(min_value=0, max_value=24 * 120).map(
        lambda hours: at("2026-08-01") + timedelta(hours=hours)
    ),
)
_STATE = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["open", "open", "won", "lost"]),
        "amount": st.one_of(st.none(), st.decimals(min_value=0, max_value=10_000, places=2)),
        "currency": st.sampled_from([None, "USD"]),
        "pipeline_id": st.sampled_from(["p1", "p2"]),
        "expected_close_at": st.one_of(st.none(), _INSTANTS),
    }
)


@st.composite
def _deal_histories(draw: st.DrawFn) -> list[Deal]:
    deals = []
    for number in range(draw(st.integers(min_value=0, max_value=6))):
        created = draw(_INSTANTS)
        steps = draw(st.lists(st.tuples(_INSTANTS, _STATE), max_size=5))
        changes = []
        for when, state in sorted(steps, key=lambda step: step[0]):
            back = timedelta(hours=draw(st.sampled_from([0, 0, 5, 48])))
            closed = None if state["status"] == "open" else max(created, when - back)
            changes.append((when.isoformat(), {**state, "closed_at": closed}))
        base = deal(f"d{number}", created=created.isoformat(), amount="50")
        deals.append(versioned(base, *changes) if changes else base)
    return deals


_PERIODS = st.sampled_from(_PERIOD_LABELS)


@hypothesis_settings(max_examples=150, deadline=None)
@given(deals=_deal_histories(), label=_PERIODS)
def test_the_identity_holds_exactly(deals: list[Deal], label: str) -> None:
    """Over random histories and periods the identity holds to the cent in every segment, the
    pipelines add up to all, and a period ends where the next one starts."""
    data = Dataset(deals=deals)
    changes = pipeline_changes(data, period(label), USD)
    segments = changes.segments()
    assert {segment: _identity_gap(changes, segment) for segment in segments} == dict.fromkeys(
        segments, 0
    )
    for step in STEPS:
        if step in {"value_change", "pushed"}:
            continue
        parts = [changes.figure(step, s).cents for s in segments if s != ALL_SEGMENT]
        assert sum(parts) == changes.figure(step).cents
    following: Period = period(label).previous()
    before = pipeline_changes(data, following, USD)
    assert before.figure("open_end") == changes.figure("open_start")


def test_a_custom_period_of_the_same_days_keeps_its_own_label() -> None:
    """October as a month and as a custom period: the same figures, each under its label."""
    data = Dataset(deals=worked_example())
    month = pipeline_changes(data, period("2026-10"), USD)
    custom = pipeline_changes(data, period("2026-10-01..2026-10-31"), USD)
    assert custom.period.label == "2026-10-01..2026-10-31"
    assert custom.figures == month.figures
