"""churn_rate: customers who churned in P (customers before P.start) ÷ customers at P.start."""

from __future__ import annotations

import pytest

from connectors.schema import Contact, Deal
from kpis.churn import churn_index, churn_rate
from kpis.dataset import Dataset
from tests.kpi_builders import contact, deal, only, owner, period, settings

OCTOBER = period("2026-10")
# October under Europe/Berlin is [2026-09-30T22:00Z, 2026-10-31T23:00Z)
START = "2026-09-30T22:00Z"
END = "2026-10-31T23:00Z"


def _won(name: str, since: str = "2026-03-01") -> Deal:
    return deal(f"{name}-won", created="2026-01-01", won=since, contact=name)


def test_worked_example_joined_and_churned_excluded() -> None:
    """100 customers at the start, 11 churned of whom 1 joined in P, give 10 ÷ 100 = 0.10."""
    old = [f"c{i}" for i in range(100)]
    deals = [*map(_won, old), _won("newcomer", since="2026-10-05")]
    contacts = [contact(name, churned="2026-10-20") for name in old[:10]]
    contacts.append(contact("newcomer", churned="2026-10-25"))
    row = only(churn_rate(Dataset(deals=deals, contacts=contacts), OCTOBER, settings()))
    assert (row.value, row.numerator, row.denominator, row.n) == (0.1, 10, 100, 100)


@pytest.mark.parametrize(
    ("deals", "contacts", "churned", "base"),
    [
        ([_won("x")], [contact("x", churned="2026-09-30T22:30Z")], 1, 1),
        ([_won("x")], [contact("x", churned="2026-09-30T21:59:59Z")], 0, 0),
        ([_won("x")], [contact("x", churned="2026-10-31T22:59:59Z")], 1, 1),
        ([_won("x")], [contact("x", churned=END)], 0, 1),
        ([_won("x")], [contact("x", churned=START)], 1, 1),
        ([_won("x", since=START)], [contact("x", churned="2026-10-20")], 0, 1),
        ([_won("x", since="2026-10-02")], [contact("x", churned="2026-10-20")], 0, 0),
        ([_won("x")], [contact("x", churned="2026-01-15")], 0, 0),
        ([_won("x")], [contact("x")], 0, 1),
        ([_won("x")], [], 0, 1),
        ([deal("anon", won="2026-03-01")], [], 0, 0),
    ],
    ids=[
        "churned-first-berlin-hour-of-october-counts",
        "churned-last-berlin-hour-of-september-not-at-start",
        "churned-last-instant-of-october-counts",
        "churned-at-end-is-next-period",
        "churned-exactly-at-start-is-in-numerator-and-base",
        "customer-since-exactly-start-is-base-but-joined-in-p",
        "joined-and-churned-in-p-excluded-from-both",
        "churned-before-buying-is-never-active",
        "never-churned-is-base-only",
        "contact-not-pulled-never-churns",
        "contactless-deal-is-no-active-customer",
    ],
)
def test_who_counts(deals: list[Deal], contacts: list[Contact], churned: int, base: int) -> None:
    """Churns are counted by Berlin period edges, and every churned customer is in the base."""
    row = only(churn_rate(Dataset(deals=deals, contacts=contacts), OCTOBER, settings()))
    assert (row.numerator, row.denominator) == (churned, base)


def test_boundary_churn_counted_in_exactly_one_period() -> None:
    """A churn at the instant October ends is November's, in November's base and not October's."""
    data = Dataset(deals=[_won("x")], contacts=[contact("x", churned=END)])
    counts = [
        (row.numerator, row.denominator)
        for p in (OCTOBER, period("2026-11"))
        for row in churn_rate(data, p, settings())
    ]
    assert counts == [(0, 1), (1, 1)]


def test_base_matches_customer_active_at_start() -> None:
    """Without a churn exactly at P.start, the base is the count of customers active at P.start."""
    # since: 03-01 (active), 10-05 (after start), 03-01 churned 09-15 (gone), 03-01 churned 10-10
    deals = [_won("a"), _won("b", since="2026-10-05"), _won("c"), _won("d")]
    contacts = [contact("c", churned="2026-09-15"), contact("d", churned="2026-10-10")]
    data = Dataset(deals=deals, contacts=contacts)
    index = churn_index(data, settings())
    assert index.active_at(OCTOBER.start) == 2
    assert only(churn_rate(data, OCTOBER, settings())).denominator == 2


def test_no_customer_at_start_is_null() -> None:
    """Without customers at the start the churn rate is null, not 0."""
    row = only(churn_rate(Dataset(), OCTOBER, settings()))
    assert (row.value, row.n) == (None, 0)


def test_no_churn_is_zero() -> None:
    """Customers at the start and none churned give 0, not null."""
    row = only(churn_rate(Dataset(deals=[_won("x")]), OCTOBER, settings()))
    assert (row.value, row.numerator, row.denominator) == (0.0, 0, 1)


def test_all_segment_only() -> None:
    """The churn rate is published for the whole account only, never per owner or source."""
    data = Dataset(
        owners=[owner("u1", "Ada")],
        deals=[deal("w", won="2026-03-01", contact="x", owner="u1", lead_source="Ads")],
    )
    assert [r.segment_by for r in churn_rate(data, OCTOBER, settings())] == ["all"]
