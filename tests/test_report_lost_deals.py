"""The lost deals report: count and value by lost reason, and the list of deals lost in P."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connectors.schema import Deal
from kpis.dataset import Dataset
from kpis.reports.lost_deals import LostDeal, LostReason, lost_deals
from tests.kpi_builders import deal, details, owner, period, settings

OCTOBER = period("2026-10")
SETTINGS = settings(rates={"USD": "0.92"})


def _lost(
    deal_id: str,
    reason: str | None,
    amount: str | None,
    *,
    closed: str = "2026-10-10",
    currency: str | None = None,
    owner: str | None = None,
) -> Deal:
    built = deal(deal_id, lost=closed, amount=amount, currency=currency, owner=owner)
    return details(built, reason=reason, name=f"Deal {deal_id}")


def test_reasons_most_frequent_first_with_none_for_missing() -> None:
    """Count, share and value per reason; missing or blank is `(none)`; ties by value, name."""
    deals = [
        _lost("p1", "Price", "100"),
        _lost("p2", "Price ", "300"),
        _lost("n1", None, "50"),
        _lost("n2", "  ", None),
        _lost("t", "Timing", "500"),
        _lost("c", "Competitor", "200", currency="USD"),
        _lost("b", "Budget", "184"),
        _lost("g", "Ghosted", None),
    ]
    report = lost_deals(Dataset(deals=deals), OCTOBER, SETTINGS)
    # 8 lost: Price 2 (100 + 300), (none) 2 (50); then 1 each by value: Timing 500, Budget and
    # Competitor 184 (200 USD * 0.92) by name, Ghosted without a value last
    assert report.reasons == (
        LostReason("Price", 2, 0.25, Decimal("400.00")),
        LostReason("(none)", 2, 0.25, Decimal("50.00")),
        LostReason("Timing", 1, 0.125, Decimal("500.00")),
        LostReason("Budget", 1, 0.125, Decimal("184.00")),
        LostReason("Competitor", 1, 0.125, Decimal("184.00")),
        LostReason("Ghosted", 1, 0.125, None),
    )


@pytest.mark.parametrize(
    ("closed", "status", "counted"),
    [
        ("2026-09-30T22:30Z", "lost", True),
        ("2026-09-30T21:59Z", "lost", False),
        ("2026-10-31T22:59Z", "lost", True),
        ("2026-10-31T23:00Z", "lost", False),
        ("2026-10-10", "won", False),
    ],
    ids=["berlin-oct-1", "berlin-sep-30", "berlin-oct-31", "berlin-nov-1", "won-is-not-lost"],
)
def test_only_deals_lost_in_the_local_period_count(closed: str, status: str, counted: bool) -> None:
    """A deal counts when it was lost in P under Europe/Berlin."""
    built = (
        _lost("d", "Price", "10", closed=closed)
        if status == "lost"
        else details(deal("d", won=closed, amount="10"), reason="Price")
    )
    report = lost_deals(Dataset(deals=[built]), OCTOBER, SETTINGS)
    assert (len(report.deals), len(report.reasons)) == (int(counted), int(counted))


def test_lost_deals_are_listed_by_close() -> None:
    """Each lost deal with id, name, owner, its own amount and currency, the converted value,
    reason and local close day; a deal without currency is in the reporting one."""
    data = Dataset(
        owners=[owner("u1", "Ada")],
        deals=[
            _lost("late", "Timing", "200", closed="2026-10-20", currency="USD", owner="u1"),
            _lost("early", None, None, closed="2026-09-30T22:30Z"),
        ],
    )
    # 200 USD * 0.92 = 184; 2026-09-30T22:30Z is 00:30 on October 1 in Berlin
    assert lost_deals(data, OCTOBER, SETTINGS).deals == (
        LostDeal("early", "Deal early", "(none)", None, "EUR", None, "(none)", date(2026, 10, 1)),
        LostDeal(
            "late",
            "Deal late",
            "Ada",
            Decimal("200.00"),
            "USD",
            Decimal("184.00"),
            "Timing",
            date(2026, 10, 20),
        ),
    )


def test_no_lost_deal_is_empty() -> None:
    """Without a deal lost in P both tables are empty, in the reporting currency."""
    report = lost_deals(Dataset(deals=[deal("open")]), OCTOBER, SETTINGS)
    assert (report.reasons, report.deals, report.currency) == ((), (), "EUR")


def test_reason_case_tells_reasons_apart() -> None:
    """`Price` and `price` are two reasons, as two picklist values would be."""
    deals = [_lost("a", "Price", "10"), _lost("b", "price", "20")]
    report = lost_deals(Dataset(deals=deals), OCTOBER, SETTINGS)
    assert [r.reason for r in report.reasons] == ["price", "Price"]
