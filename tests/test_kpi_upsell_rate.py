"""upsell_rate: of the customers active at P.start, the fraction with a won upsell closed in P."""

from __future__ import annotations

import pytest

from connectors.schema import Contact, Deal
from kpis.dataset import Dataset
from kpis.sales import upsell_rate
from tests.kpi_builders import contact, deal, only, period, settings

OCTOBER = period("2026-10")
START = "2026-09-30T22:00Z"


def _customer(name: str, since: str = "2026-03-01") -> Deal:
    return deal(f"{name}-first", created="2026-01-01", won=since, contact=name)


def _upsell(name: str, closed: str = "2026-10-15") -> Deal:
    return deal(
        f"{name}-up-{closed}", created="2026-09-01", won=closed, contact=name, kind="upsell"
    )


def test_worked_example_one_of_five() -> None:
    """5 customers active at the start, 1 of whom wins an upsell in the period, give 0.20."""
    names = ["c1", "c2", "c3", "c4", "c5"]
    data = Dataset(deals=[*map(_customer, names), _upsell("c1")])
    row = only(upsell_rate(data, OCTOBER, settings()))
    assert (row.value, row.numerator, row.denominator, row.n) == (0.2, 1, 5, 5)


@pytest.mark.parametrize(
    ("deals", "contacts", "numerator", "denominator"),
    [
        ([_customer("x"), _upsell("x")], [contact("x", churned="2026-09-01")], 0, 0),
        ([_customer("x"), _upsell("x")], [contact("x", churned=START)], 0, 0),
        ([_customer("x"), _upsell("x")], [contact("x", churned="2026-10-20")], 1, 1),
        ([_customer("x", since="2026-10-05"), _upsell("x")], [], 0, 0),
        ([_customer("x", since=START), _upsell("x")], [], 1, 1),
        ([_customer("x"), _upsell("x", closed="2026-11-02")], [], 0, 1),
        ([_customer("x"), _upsell("x", "2026-10-02"), _upsell("x", "2026-10-09")], [], 1, 1),
        ([_customer("x"), deal("new-kind", won="2026-10-03", contact="x")], [], 0, 1),
        ([deal("anon", won="2026-03-01"), deal("up", won="2026-10-03", kind="upsell")], [], 0, 0),
    ],
    ids=[
        "churned-before-start-excluded",
        "churned-at-start-excluded",
        "churned-during-p-still-active-at-start",
        "became-customer-during-p-excluded",
        "customer-since-exactly-start-included",
        "upsell-after-p-not-counted",
        "two-upsells-count-once",
        "new-kind-deal-is-no-upsell",
        "contactless-deals-are-never-active-customers",
    ],
)
def test_who_counts(
    deals: list[Deal], contacts: list[Contact], numerator: int, denominator: int
) -> None:
    """Only customers active at P.start are counted, each at most once in the numerator."""
    row = only(upsell_rate(Dataset(deals=deals, contacts=contacts), OCTOBER, settings()))
    assert (row.numerator, row.denominator) == (numerator, denominator)


def test_no_active_customer_is_null() -> None:
    """Without customers at the start the upsell rate is null, not 0."""
    assert only(upsell_rate(Dataset(), OCTOBER, settings())).value is None


def test_all_segment_only() -> None:
    """The upsell rate is published for the whole account only, never per owner or source."""
    data = Dataset(deals=[_customer("x"), deal("o", owner="u1", lead_source="Ads")])
    assert [r.segment_by for r in upsell_rate(data, OCTOBER, settings())] == ["all"]
