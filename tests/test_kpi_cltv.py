"""customer_lifetime_value: customer value over the 365 days to P.end * lifespan in years."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from connectors.schema import Contact, Deal
from kpis.dataset import Dataset
from kpis.lifetime import customer_lifetime_value, lifetime_window
from kpis.results import ResultRow
from kpis.settings import KpiSettings
from tests.kpi_builders import contact, deal, only, period, settings

OCTOBER = period("2026-10")
# W for October under Europe/Berlin: 2025-11-01..2026-10-31, [2025-10-31T23:00Z, 2026-10-31T23:00Z)
W_START = "2025-10-31T23:00Z"
W_END = "2026-10-31T23:00Z"


def _customer(name: str, since: str = "2025-01-01") -> Deal:
    """A customer since before W, whose first deal has no amount and so is no purchase."""
    return deal(f"{name}-first", created="2024-12-01", won=since, contact=name)


def _buy(
    name: str, amount: str | None, closed: str = "2026-06-01", currency: str | None = None
) -> Deal:
    return deal(
        f"{name}-{closed}-{amount}",
        created="2025-01-01",
        won=closed,
        amount=amount,
        currency=currency,
        contact=name,
    )


def _lifespan(years: float) -> KpiSettings:
    return replace(settings(), customer_lifespan_years=years)


def _cltv(deals: list[Deal], contacts: list[Contact], kpi_settings: KpiSettings) -> ResultRow:
    return only(
        customer_lifetime_value(Dataset(deals=deals, contacts=contacts), OCTOBER, kpi_settings)
    )


def test_worked_example_800() -> None:
    """Average purchase 100, frequency 2, annual churn 0.25 give 200 * 4 = 800."""
    # 4 customers at W.start, 1 churns in W: churn 1/4; 4 purchases of 100 by 2 customers
    deals = [*map(_customer, ["a", "b", "c", "d"])]
    deals += [_buy("b", "100", "2026-01-10"), _buy("b", "100", "2026-05-10")]
    deals += [_buy("c", "100", "2026-02-10"), _buy("c", "100", "2026-08-10")]
    row = _cltv(deals, [contact("a", churned="2026-06-01")], settings())
    assert (row.value, row.numerator, row.denominator, row.n, row.note) == (
        Decimal("800.00"),
        Decimal("200.00"),
        0.25,
        2,
        None,
    )


@pytest.mark.parametrize(
    ("closed", "counted"),
    [
        (W_START, True),
        ("2025-10-31T22:59:59Z", False),
        ("2026-10-31T22:59:59Z", True),
        (W_END, False),
    ],
    ids=["at-window-start", "just-before-window", "last-instant-of-window", "at-window-end"],
)
def test_window_is_365_local_days_to_period_end(closed: str, counted: bool) -> None:
    """A purchase counts when closed in the 365 Berlin days ending with the period."""
    # lifespan 1: the value is the customer value, 10 + (30 when the edge purchase counts)
    deals = [_buy("x", "10", "2026-06-01"), _buy("x", "30", closed)]
    row = _cltv(deals, [], _lifespan(1))
    assert row.value == (Decimal("40.00") if counted else Decimal("10.00"))


@pytest.mark.parametrize(
    ("label", "first_day", "last_day"),
    [
        ("2026-10", date(2025, 11, 1), date(2026, 10, 31)),
        ("2026-Q4", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-W40", date(2025, 10, 5), date(2026, 10, 4)),
        ("2028", date(2028, 1, 2), date(2028, 12, 31)),
    ],
    ids=["month", "quarter", "iso-week", "leap-year"],
)
def test_window_ignores_period_length(label: str, first_day: date, last_day: date) -> None:
    """W is always the 365 days ending with the period's last day, whatever the grain."""
    window = lifetime_window(period(label))
    assert (window.first_day, window.last_day) == (first_day, last_day)


@pytest.mark.parametrize(
    ("deals", "value", "n"),
    [
        ([_buy("x", "100"), _buy("x", None, "2026-07-01")], "100.00", 1),
        ([_buy("x", "100"), _buy("y", None)], "100.00", 1),
        ([_buy("x", None)], None, 0),
    ],
    ids=[
        "no-amount-is-no-purchase",
        "buyer-without-amounts-is-no-customer",
        "only-no-amounts-is-null",
    ],
)
def test_deals_without_amount_are_no_purchases(
    deals: list[Deal], value: str | None, n: int
) -> None:
    """Won deals without an amount count neither as purchases nor towards purchasing customers."""
    row = _cltv(deals, [], _lifespan(1))
    assert (row.value, row.n) == (None if value is None else Decimal(value), n)


def test_amounts_converted_to_reporting_currency() -> None:
    """100 USD at 0.92 and 8 EUR by two customers, lifespan 2: (92 + 8) ÷ 2 * 2 = 100."""
    deals = [_buy("x", "100", currency="USD"), _buy("y", "8")]
    kpi_settings = replace(settings(rates={"USD": "0.92"}), customer_lifespan_years=2.0)
    assert _cltv(deals, [], kpi_settings).value == Decimal("100.00")


def test_value_rounded_once_from_exact_customer_value() -> None:
    """100 over 3 customers for 3 years is 100.00 (not 33.33 * 3 = 99.99); numerator 33.33."""
    deals = [_buy("x", "50"), _buy("y", "25"), _buy("z", "25")]
    row = _cltv(deals, [], _lifespan(3))
    assert (row.value, row.numerator) == (Decimal("100.00"), Decimal("33.33"))


def test_configured_lifespan_overrides_churn() -> None:
    """A configured lifespan of 2.5 years is used even with churn; the denominator is 1 ÷ 2.5."""
    # churn over W would be 1/1 (lifespan 1); customer value 40 * 2.5 = 100
    deals = [_customer("a"), _buy("x", "40")]
    row = _cltv(deals, [contact("a", churned="2026-03-01")], _lifespan(2.5))
    assert (row.value, row.denominator, row.note) == (Decimal("100.00"), 0.4, None)


@pytest.mark.parametrize(
    ("deals", "contacts", "churn"),
    [
        ([_customer("a"), _buy("x", "40")], [], "0"),
        ([_buy("x", "40")], [], "undefined (no customer at its start)"),
        (
            [_customer("a", since="2026-01-01"), _buy("x", "40")],
            [contact("a", churned="2026-03-01")],
            "undefined (no customer at its start)",
        ),
    ],
    ids=["no-churn", "no-customer-at-window-start", "joined-and-churned-in-window-excluded"],
)
def test_default_lifespan_of_three_years_with_note(
    deals: list[Deal], contacts: list[Contact], churn: str
) -> None:
    """Unset lifespan and churn over W of 0 or null give 3 years, and the row's note says so."""
    # customer value 40 * 3 years = 120
    row = _cltv(deals, contacts, settings())
    assert (row.value, row.denominator) == (Decimal("120.00"), 1 / 3)
    assert row.note == (
        "lifespan of 3 years assumed: kpis.customer_lifespan_years is unset and the churn "
        f"over 2025-11-01..2026-10-31 is {churn}"
    )


def test_no_purchase_in_window_is_null() -> None:
    """Without a purchase in W the value is null, with no note, even when churn is known."""
    row = _cltv([_customer("a")], [contact("a", churned="2026-03-01")], settings())
    assert (row.value, row.n, row.numerator, row.denominator, row.note) == (
        None,
        0,
        None,
        None,
        None,
    )


def test_contactless_deals_are_customers_of_their_own() -> None:
    """Two won deals without a contact are two purchasing customers: (60 + 20) ÷ 2 * 1 = 40."""
    deals = [
        deal("anon1", won="2026-05-01", amount="60"),
        deal("anon2", won="2026-05-02", amount="20"),
    ]
    row = _cltv(deals, [], _lifespan(1))
    assert (row.value, row.n) == (Decimal("40.00"), 2)
