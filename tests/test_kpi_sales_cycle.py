"""sales_cycle_days(_median): days from creation to close over the deals won in P."""

from __future__ import annotations

import pytest

from kpis.catalog import KpiFunction
from kpis.dataset import Dataset
from kpis.sales import sales_cycle_days, sales_cycle_days_median
from tests.kpi_builders import deal, only, owner, period, settings, values

OCTOBER = period("2026-10")


def _won_after(*days: int) -> Dataset:
    return Dataset(
        deals=[
            deal(f"d{i}", created=f"2026-10-{20 - length:02d}T12:00Z", won="2026-10-20T12:00Z")
            for i, length in enumerate(days)
        ]
        + [deal("lost", created="2026-01-01", lost="2026-10-10")]
    )


@pytest.mark.parametrize(
    ("kpi", "days", "expected"),
    [
        (sales_cycle_days, (1, 2, 9), 4.0),
        (sales_cycle_days_median, (1, 2, 9), 2.0),
        (sales_cycle_days, (1, 2, 4, 9), 4.0),
        (sales_cycle_days_median, (1, 2, 4, 9), 3.0),
    ],
    ids=["mean-odd", "median-odd", "mean-even", "median-even-is-mean-of-middle-two"],
)
def test_cycle_of_won_deals(kpi: KpiFunction, days: tuple[int, ...], expected: float) -> None:
    """Cycles of 1, 2, 9 days: mean 4, median 2; of 1, 2, 4, 9: mean 4, median 3; lost ignored."""
    row = only(kpi(_won_after(*days), OCTOBER, settings()))
    assert (row.value, row.n, row.unit) == (expected, len(days), "days")


def test_cycle_is_unrounded_calendar_time() -> None:
    """A deal created at 06:00 and won 36 hours later took 1.5 days."""
    data = Dataset(deals=[deal("d", created="2026-10-01T06:00Z", won="2026-10-02T18:00Z")])
    assert only(sales_cycle_days(data, OCTOBER, settings())).value == 1.5


def test_deal_without_amount_counts() -> None:
    """A won deal with no amount is part of the sample."""
    data = Dataset(deals=[deal("d", created="2026-10-01", won="2026-10-03", amount=None)])
    assert only(sales_cycle_days(data, OCTOBER, settings())).n == 1


@pytest.mark.parametrize("kpi", [sales_cycle_days, sales_cycle_days_median], ids=["mean", "median"])
def test_nothing_won_is_null(kpi: KpiFunction) -> None:
    """Without a deal won in the period the cycle is null, and no segment has a row."""
    data = Dataset(deals=[deal("l", lost="2026-10-10", owner="u1"), deal("open")])
    assert [(r.segment_by, r.value, r.n) for r in kpi(data, OCTOBER, settings())] == [
        ("all", None, 0)
    ]


def test_segments_by_owner() -> None:
    """Each owner's cycle is over their own won deals."""
    data = Dataset(
        owners=[owner("u1", "Ada")],
        deals=[
            deal("a", created="2026-10-01", won="2026-10-03", owner="u1"),
            deal("b", created="2026-10-01", won="2026-10-05"),
        ],
    )
    assert values(sales_cycle_days(data, OCTOBER, settings())) == {
        ("all", "all"): 3.0,
        ("owner", "(none)"): 4.0,
        ("owner", "Ada"): 2.0,
        ("pipeline", "p1"): 3.0,
        ("source", "(none)"): 3.0,
    }
