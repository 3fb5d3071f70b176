"""Money: conversion to the reporting currency, missing rates, and rounding of published values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kpis.dataset import Dataset
from kpis.money import Converter, CurrencyError, check_currencies, round_money
from tests.kpi_builders import deal, settings


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("100", "USD", Decimal("92.00")),
        ("100", "EUR", Decimal("100")),
        ("100", None, Decimal("100")),
        (None, "USD", None),
    ],
    ids=["usd-at-0.92", "reporting-currency", "no-currency-is-reporting", "no-amount"],
)
def test_amount_in_reporting_currency(
    amount: str | None, currency: str | None, expected: Decimal | None
) -> None:
    """An amount is multiplied by its currency's rate; the reporting currency and none are 1."""
    converter = Converter.from_settings(settings(rates={"USD": "0.92"}))
    assert converter.amount(deal("d1", amount=amount, currency=currency)) == expected


def test_conversion_is_exact() -> None:
    """Converted amounts stay exact Decimals: 0.10 USD at 0.92 is 0.092, not a float."""
    converter = Converter.from_settings(settings(rates={"USD": "0.92"}))
    assert converter.amount(deal("d1", amount="0.10", currency="USD")) == Decimal("0.092")


def test_rate_codes_are_case_insensitive() -> None:
    """A rate configured as `usd` converts USD deals."""
    converter = Converter.from_settings(settings(rates={"usd": "0.92"}))
    assert converter.amount(deal("d1", amount="10", currency="USD")) == Decimal("9.20")


def test_reporting_currency_rate_is_one_whatever_the_table_says() -> None:
    """A rate given for the reporting currency itself is ignored: its rate is always 1."""
    converter = Converter.from_settings(settings(rates={"EUR": "2"}))
    assert converter.amount(deal("d1", amount="10", currency="EUR")) == Decimal("10")


def test_amount_with_missing_rate_raises_currency_error() -> None:
    """Converting an amount whose currency has no rate raises CurrencyError naming it."""
    converter = Converter.from_settings(settings())
    with pytest.raises(CurrencyError, match="GBP"):
        converter.amount(deal("d1", amount="10", currency="GBP"))


def test_check_currencies_names_each_missing_currency_with_a_deal() -> None:
    """Every currency without a rate is reported once, with the first deal that uses it."""
    data = Dataset(
        deals=[
            deal("d1", amount="10", currency="JPY"),
            deal("d2", amount="10", currency="USD"),
            deal("d3", amount="10", currency="GBP"),
            deal("d4", amount="10", currency="JPY"),
        ]
    )
    with pytest.raises(CurrencyError) as caught:
        check_currencies(data, settings(rates={"USD": "0.92"}))
    assert {code: d.id for code, d in caught.value.examples.items()} == {"GBP": "d3", "JPY": "d1"}
    assert "GBP (e.g. crm deal 'd3'), JPY (e.g. crm deal 'd1')" in str(caught.value)


def test_check_currencies_ignores_deals_without_amount() -> None:
    """A deal with a currency but no amount needs no rate: it is never summed."""
    check_currencies(Dataset(deals=[deal("d1", currency="CHF")]), settings())


def test_check_currencies_passes_when_every_rate_is_known() -> None:
    """Deals in the reporting currency, with no currency or with a rate raise nothing."""
    data = Dataset(
        deals=[
            deal("d1", amount="1", currency="EUR"),
            deal("d2", amount="1"),
            deal("d3", amount="1", currency="USD"),
        ]
    )
    check_currencies(data, settings(rates={"USD": "0.92"}))


@pytest.mark.parametrize(
    ("value", "published"),
    [
        ("0.125", "0.13"),
        ("2.005", "2.01"),
        ("2.004999", "2.00"),
        ("92", "92.00"),
        ("0.092", "0.09"),
    ],
    ids=["half-after-even-2", "half-after-even-0", "below-half", "whole", "tiny"],
)
def test_round_money_half_up_to_cents(value: str, published: str) -> None:
    """Published money has exactly 2 decimals and a half cent rounds up (not to even)."""
    assert str(round_money(Decimal(value))) == published
