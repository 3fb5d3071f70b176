"""net_new_revenue: Σ amount of won deals that are a customer's first or within the window."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.schema import Deal
from kpis.dataset import Dataset
from kpis.sales import net_new_revenue
from tests.kpi_builders import deal, only, owner, period, settings, values

OCTOBER = period("2026-10")


@pytest.mark.parametrize(
    ("window", "expected"),
    [(365, Decimal("150.00")), (0, Decimal("100.00"))],
    ids=["default-365-days", "window-0-first-deal-only"],
)
def test_window(window: int, expected: Decimal) -> None:
    """A new customer's first deal counts; a repeat within 365 days only with the default window."""
    data = Dataset(
        deals=[
            deal("new-first", won="2026-10-05", amount="100", contact="new"),
            deal("old-first", won="2026-01-10", amount="999", contact="old"),
            deal("old-repeat", won="2026-10-06", amount="50", contact="old"),
            deal("veteran-first", won="2025-01-01", amount="999", contact="vet"),
            deal("veteran-repeat", won="2026-10-07", amount="70", contact="vet"),
        ]
    )
    assert only(net_new_revenue(data, OCTOBER, settings(window=window))).value == expected


@pytest.mark.parametrize(
    ("repeat_closed", "counted"),
    [("2026-10-05T10:00Z", False), ("2026-10-05T09:59:59Z", True)],
    ids=["exactly-365-days-excluded", "one-second-less-included"],
)
def test_window_is_strict(repeat_closed: str, counted: bool) -> None:
    """A repeat deal counts when closed strictly less than 365 days after customer_since."""
    data = Dataset(
        deals=[
            deal("first", created="2025-01-01", won="2025-10-05T10:00Z", amount="1", contact="c"),
            deal("repeat", won=repeat_closed, amount="40", contact="c"),
        ]
    )
    row = only(net_new_revenue(data, OCTOBER, settings()))
    assert row.value == (Decimal("40.00") if counted else None)


@pytest.mark.parametrize(
    ("window", "expected"),
    [(365, Decimal("30.00")), (0, Decimal("10.00"))],
    ids=["both-within-window", "window-0-smaller-id-first"],
)
def test_first_won_deal_tie_broken_by_id(window: int, expected: Decimal) -> None:
    """Two deals won at the same instant: the one with the smaller id is the first."""
    data = Dataset(
        deals=[
            deal("b", won="2026-10-05", amount="20", contact="c"),
            deal("a", won="2026-10-05", amount="10", contact="c"),
        ]
    )
    assert only(net_new_revenue(data, OCTOBER, settings(window=window))).value == expected


def test_contactless_deal_is_its_own_first_deal() -> None:
    """Won deals with no contact are each a new customer's first deal, even with window 0."""
    data = Dataset(
        deals=[
            deal("x", won="2025-10-05", amount="5"),
            deal("y", won="2026-10-05", amount="7"),
            deal("z", won="2026-10-06", amount="8"),
        ]
    )
    assert only(net_new_revenue(data, OCTOBER, settings(window=0))).value == Decimal("15.00")


@pytest.mark.parametrize(
    ("deals", "expected", "n"),
    [
        ([deal("a", won="2026-10-05", amount="10"), deal("b", won="2026-10-06")], "10.00", 1),
        ([deal("b", won="2026-10-06")], None, 0),
        ([], None, 0),
        ([deal("z", won="2026-10-06", amount="0")], "0.00", 1),
    ],
    ids=["no-amount-not-summed", "only-deals-without-amount", "nothing-won", "zero-amount"],
)
def test_sum_over_nothing_is_null(deals: list[Deal], expected: str | None, n: int) -> None:
    """Deals without amount are not summed; a sum over no deal is null, a sum of zeros is 0."""
    row = only(net_new_revenue(Dataset(deals=deals), OCTOBER, settings()))
    assert (row.value, row.n) == (None if expected is None else Decimal(expected), n)


def test_amounts_converted_then_rounded_half_up() -> None:
    """100 USD at 0.92 plus 10.005 EUR is 102.005 EUR, published as 102.01 with two decimals."""
    data = Dataset(
        deals=[
            deal("usd", won="2026-10-05", amount="100", currency="USD"),
            deal("eur", won="2026-10-06", amount="10.005", currency="EUR"),
        ]
    )
    row = only(net_new_revenue(data, OCTOBER, settings(rates={"USD": "0.92"})))
    assert (str(row.value), row.unit, row.n) == ("102.01", "currency", 2)


def test_segments_only_where_something_was_summed() -> None:
    """Owners with new revenue get a row; an owner whose won deals were all repeats gets none."""
    data = Dataset(
        owners=[owner("u1", "Ada"), owner("u2", "Grace")],
        deals=[
            deal("a", won="2026-10-05", amount="10", owner="u1"),
            deal("b", won="2026-10-05", amount="20"),
            deal("vet-first", won="2024-01-01", amount="1", contact="v", owner="u2"),
            deal("vet-repeat", won="2026-10-07", amount="70", contact="v", owner="u2"),
        ],
    )
    owners = {
        k: v
        for k, v in values(net_new_revenue(data, OCTOBER, settings())).items()
        if k[0] == "owner"
    }
    assert owners == {("owner", "Ada"): Decimal("10.00"), ("owner", "(none)"): Decimal("20.00")}
