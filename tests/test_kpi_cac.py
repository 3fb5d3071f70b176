"""customer_acquisition_cost: prorated spend in P ÷ new customers in P."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from connectors.schema import Deal
from kpis.dataset import Dataset
from kpis.marketing import customer_acquisition_cost
from kpis.money import CurrencyError
from kpis.results import ResultRow
from kpis.settings import KpiSettings, MonthlySpend
from kpis.spend import SpendCurrencyError, check_spend_currencies
from tests.kpi_builders import deal, only, period, settings, spend

OCTOBER = period("2026-10")


def _new(*names: str, won: str = "2026-10-10") -> list[Deal]:
    return [deal(f"{name}-first", won=won, contact=name) for name in names]


def _with_spend(*entries: MonthlySpend, rates: dict[str, str] | None = None) -> KpiSettings:
    return replace(settings(rates=rates), spend=entries)


def _cac(deals: list[Deal], label: str, kpi_settings: KpiSettings) -> ResultRow:
    return only(customer_acquisition_cost(Dataset(deals=deals), period(label), kpi_settings))


@pytest.mark.parametrize(
    ("label", "entries", "new", "spent", "value"),
    [
        # 3,000 * 15/30 + 3,100 * 15/31 = 1,500 + 1,500 = 3,000; ÷ 2 = 1,500
        (
            "2026-09-16..2026-10-15",
            [spend("2026-09", "3000"), spend("2026-10", "3100")],
            2,
            "3000.00",
            "1500.00",
        ),
        # three whole months: 1,000 + 2,000 + 3,000 = 6,000; ÷ 3 = 2,000
        (
            "2026-Q4",
            [spend("2026-10", "1000"), spend("2026-11", "2000"), spend("2026-12", "3000")],
            3,
            "6000.00",
            "2000.00",
        ),
        # 2026-W37 is 09-07..09-13: 3,000 * 7/30 = 700
        ("2026-W37", [spend("2026-09", "3000")], 1, "700.00", "700.00"),
        # 2026-W40 is 09-28..10-04: 3,000 * 3/30 + 3,100 * 4/31 = 300 + 400 = 700; ÷ 2 = 350
        (
            "2026-W40",
            [spend("2026-09", "3000"), spend("2026-10", "3100")],
            2,
            "700.00",
            "350.00",
        ),
        # a month outside the period adds nothing: 1,000 ÷ 4 = 250
        ("2026-10", [spend("2026-10", "1000"), spend("2026-11", "9999")], 4, "1000.00", "250.00"),
        # 1,000 ÷ 3 = 333.333… published as 333.33
        ("2026-10", [spend("2026-10", "1000")], 3, "1000.00", "333.33"),
    ],
    ids=[
        "custom-range-across-two-months",
        "quarter-three-whole-months",
        "iso-week-seven-thirtieths",
        "iso-week-across-two-months",
        "other-months-ignored",
        "rounded-to-cents",
    ],
)
def test_spend_prorated_by_local_days(
    label: str, entries: list[MonthlySpend], new: int, spent: str, value: str
) -> None:
    """Each month's spend counts by the share of its local days inside the period."""
    deals = _new(*[f"c{i}" for i in range(new)], won=str(period(label).first_day))
    row = _cac(deals, label, _with_spend(*entries))
    assert (row.value, row.numerator, row.denominator, row.n, row.note) == (
        Decimal(value),
        Decimal(spent),
        new,
        new,
        None,
    )


def test_spend_converted_with_rates() -> None:
    """1,000 USD at 0.92 and 80 EUR in reporting currency over two new customers: 1,000 ÷ 2."""
    kpi_settings = _with_spend(
        spend("2026-10", "1000", "USD"), spend("2026-11", "80"), rates={"USD": "0.92"}
    )
    # Oct: 920; Nov (whole): 80; the custom range covers both months completely
    row = _cac(_new("a", "b"), "2026-10-01..2026-11-30", kpi_settings)
    assert (row.value, row.numerator) == (Decimal("500.00"), Decimal("1000.00"))


@pytest.mark.parametrize(
    ("entries", "deals", "numerator", "denominator", "note"),
    [
        ([], _new("a"), None, 1, "no spend entered for 2026-10"),
        ([spend("2026-09", "500")], _new("a"), None, 1, "no spend entered for 2026-10"),
        ([spend("2026-10", "500")], [], Decimal("500.00"), 0, None),
    ],
    ids=["no-spend-at-all", "spend-only-outside-period", "no-new-customer"],
)
def test_null_without_spend_or_new_customers(
    entries: list[MonthlySpend],
    deals: list[Deal],
    numerator: Decimal | None,
    denominator: int,
    note: str | None,
) -> None:
    """No spend entry overlapping P, or no new customer in P, gives null, not 0."""
    row = _cac(deals, "2026-10", _with_spend(*entries))
    assert (row.value, row.numerator, row.denominator, row.note) == (
        None,
        numerator,
        denominator,
        note,
    )


def test_months_without_entry_count_as_zero_with_note() -> None:
    """A quarter with only October entered divides October's spend, and the note names the rest."""
    row = _cac(_new("a", "b"), "2026-Q4", _with_spend(spend("2026-10", "900")))
    # 900 ÷ 2 = 450
    assert (row.value, row.note) == (
        Decimal("450.00"),
        "no spend entered for 2026-11, 2026-12 (counted as 0)",
    )


@pytest.mark.parametrize(
    ("deals", "new"),
    [
        (_new("a", won="2026-09-30T22:30Z"), 1),
        (_new("a", won="2026-09-30T21:59:59Z"), 0),
        (_new("a", won="2026-10-31T23:00Z"), 0),
        ([*_new("a", won="2026-03-01"), deal("a-again", won="2026-10-10", contact="a")], 0),
        ([deal("anon", won="2026-10-10")], 1),
        ([deal("lost", lost="2026-10-10", contact="a")], 0),
        ([deal("a1", won="2026-10-10", contact="a"), deal("a2", won="2026-10-12", contact="a")], 1),
    ],
    ids=[
        "first-won-in-first-berlin-hour",
        "first-won-in-september-berlin",
        "first-won-at-period-end",
        "repeat-purchase-is-no-new-customer",
        "contactless-won-deal-is-a-new-customer",
        "lost-deal-is-no-customer",
        "two-wins-one-customer",
    ],
)
def test_new_customers_are_first_won_deals_in_p(deals: list[Deal], new: int) -> None:
    """A new customer is one whose first won deal closed in P, under Berlin period edges."""
    row = _cac(deals, "2026-10", _with_spend(spend("2026-10", "100")))
    assert row.denominator == new


def test_spend_currency_without_rate_is_a_currency_error() -> None:
    """Spend in a currency with no rate raises a CurrencyError naming it and its month."""
    kpi_settings = _with_spend(spend("2026-03", "10", "CHF"))
    with pytest.raises(SpendCurrencyError, match=r"CHF \(e\.g\. the spend of 2026-03\)"):
        _cac(_new("a"), "2026-10", kpi_settings)
    with pytest.raises(CurrencyError):
        check_spend_currencies(kpi_settings)


def test_all_segment_only() -> None:
    """The acquisition cost is published for the whole account only."""
    rows = customer_acquisition_cost(Dataset(deals=_new("a")), OCTOBER, settings())
    assert [(r.segment_by, r.segment, r.unit) for r in rows] == [("all", "all", "currency")]
