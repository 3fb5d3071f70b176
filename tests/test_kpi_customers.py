"""kpis.customers: who the customers are, computed on the deal and contact columns."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest

from kpis.columns import MISSING, micros
from kpis.customers import by_instant_then_id, customers, distinct, won_values
from kpis.dataset import Dataset
from kpis.slicing import between
from tests.kpi_builders import at, contact, deal, settings


@pytest.mark.parametrize(
    ("instants", "ids", "positions", "expected"),
    [
        ([3, 1, 2], ["a", "b", "c"], [0, 1, 2], [1, 2, 0]),
        ([5, 5, 1], ["b", "a", "c"], [0, 1, 2], [2, 1, 0]),
        ([7, 7, 7, 2, 2], ["z", "x", "y", "q", "p"], [0, 1, 2, 3, 4], [4, 3, 1, 2, 0]),
        ([4, 9, 4, 4], ["d", "a", "c", "b"], [0, 2, 3], [3, 2, 0]),
        ([1, 1], ["b", "a"], [], []),
    ],
    ids=["no-ties", "one-tie-by-id", "two-runs-of-ties", "subset-of-positions", "nothing"],
)
def test_by_instant_then_id(
    instants: list[int], ids: list[str], positions: list[int], expected: list[int]
) -> None:
    """Positions sort by instant, and ties by id, whatever their order in the columns."""
    ordered = by_instant_then_id(
        np.array(instants, dtype=np.int64), ids, np.array(positions, dtype=np.intp)
    )
    assert ordered.tolist() == expected


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [([], 0), ([3], 1), ([0, 2, 0, 2, 5], 3)],
    ids=["none", "one", "repeats"],
)
def test_distinct(numbers: list[int], expected: int) -> None:
    """Repeated numbers count once."""
    assert distinct(np.array(numbers, dtype=np.intp)) == expected


def test_between_is_half_open() -> None:
    """An instant at the start is in the slice, one at the end is not."""
    instants = np.array(
        [micros(at(text)) for text in ("2026-09-30", "2026-10-01", "2026-10-15", "2026-11-01")]
    )
    assert between(instants, at("2026-10-01"), at("2026-11-01")) == slice(1, 3)


def test_first_won_deal_by_close_then_id() -> None:
    """Won deals come by close, then id; each customer's first is the earliest of these."""
    data = Dataset(
        deals=[
            deal("b", won="2026-10-05", contact="c"),
            deal("later", won="2026-10-09", contact="c"),
            deal("a", won="2026-10-05", contact="c"),
            deal("lost", lost="2026-01-01", contact="c"),
            deal("open", contact="c"),
        ]
    )
    found = customers(data, settings())
    ids = data.columns.deals.id
    assert [ids[position] for position in found.won.tolist()] == ["a", "b", "later"]
    assert found.is_first.tolist() == [True, False, False]
    assert found.customer.tolist() == [0, 0, 0]
    assert found.since.tolist() == [micros(at("2026-10-05"))]


def test_customer_keys() -> None:
    """A contact is a customer per source; each contactless won deal is a customer of its own."""
    data = Dataset(
        deals=[
            deal("1", won="2026-01-01", contact="c"),
            deal("2", won="2026-02-01", contact="c"),
            replace(deal("3", won="2026-03-01", contact="c"), source="other"),
            deal("4", won="2026-04-01"),
            deal("5", won="2026-05-01"),
        ]
    )
    found = customers(data, settings())
    assert len(found.since) == 4
    first, second, other, anonymous, another = found.customer.tolist()
    assert first == second
    assert len({first, other, anonymous, another}) == 4
    assert found.is_contact[[first, other, anonymous, another]].tolist() == [
        True,
        True,
        False,
        False,
    ]


def test_churn_of_the_contact_in_the_same_source() -> None:
    """Churn comes from the contact of the same source; a dangling or unchurned one never churns."""
    data = Dataset(
        deals=[
            deal("1", won="2026-01-01", contact="churned"),
            deal("2", won="2026-01-02", contact="kept"),
            deal("3", won="2026-01-03", contact="dangling"),
            deal("4", won="2026-01-04", contact="elsewhere"),
            deal("5", won="2026-01-05"),
        ],
        contacts=[
            contact("churned", churned="2026-06-01"),
            contact("kept"),
            replace(contact("elsewhere", churned="2026-07-01"), source="other"),
        ],
    )
    found = customers(data, settings())
    churned_at = found.churned_at[found.customer].tolist()
    assert churned_at == [micros(at("2026-06-01")), MISSING, MISSING, MISSING, MISSING]


def test_won_values_in_reporting_currency() -> None:
    """Amounts are converted in the won deals' order; a deal without an amount has None."""
    data = Dataset(
        deals=[
            deal("late", won="2026-10-02", amount="10", currency="USD"),
            deal("early", won="2026-10-01", amount="5"),
            deal("none", won="2026-10-03"),
        ]
    )
    found = won_values(data, settings(rates={"USD": "0.92"}))
    assert found.value.tolist() == [Decimal("5"), Decimal("9.20"), None]
    assert found.has_amount.tolist() == [True, True, False]
