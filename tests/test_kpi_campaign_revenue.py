"""campaign_revenue: Σ amount of the deals won in P, per campaign and over all campaigns."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.schema import Deal
from kpis.dataset import Dataset
from kpis.marketing import campaign_revenue
from tests.kpi_builders import deal, only, period, settings, values, with_campaign

OCTOBER = period("2026-10")


def _rows(deals: list[Deal], rates: dict[str, str] | None = None) -> dict[tuple[str, str], object]:
    return values(campaign_revenue(Dataset(deals=deals), OCTOBER, settings(rates=rates)))


def test_per_campaign_none_and_all() -> None:
    """Each campaign sums its won deals, deals without one are `(none)`, and `all` is the total."""
    deals = [
        *with_campaign("Spring", deal("s1", won="2026-10-02", amount="100")),
        *with_campaign("Spring", deal("s2", won="2026-10-03", amount="50")),
        *with_campaign("Fall", deal("f1", won="2026-10-04", amount="20")),
        *with_campaign(None, deal("n1", won="2026-10-05", amount="7")),
        *with_campaign("  ", deal("n2", won="2026-10-06", amount="3")),
    ]
    # Spring 100 + 50 = 150; (none) 7 + 3 = 10 (blank is none); all 150 + 20 + 10 = 180
    assert _rows(deals) == {
        ("all", "all"): Decimal("180.00"),
        ("campaign", "(none)"): Decimal("10.00"),
        ("campaign", "Fall"): Decimal("20.00"),
        ("campaign", "Spring"): Decimal("150.00"),
    }


@pytest.mark.parametrize(
    ("edge", "counted"),
    [
        (deal("e", won="2026-09-30T22:00Z", amount="5"), True),
        (deal("e", won="2026-09-30T21:59:59Z", amount="5"), False),
        (deal("e", won="2026-10-31T23:00Z", amount="5"), False),
        (deal("e", lost="2026-10-10", amount="5"), False),
        (deal("e", amount="5"), False),
    ],
    ids=["won-at-berlin-start", "won-in-berlin-september", "won-at-end", "lost", "open"],
)
def test_only_deals_won_in_p(edge: Deal, counted: bool) -> None:
    """Only won deals closed in P (Berlin edges) count; lost and open deals never do."""
    deals = with_campaign("Ads", edge, deal("base", won="2026-10-10", amount="10"))
    # 10 from the base deal, plus 5 when the edge deal counts
    assert _rows(deals)[("campaign", "Ads")] == (Decimal("15.00") if counted else Decimal("10.00"))


def test_deals_without_amount_not_summed() -> None:
    """A won deal without amount adds nothing; a campaign of only such deals gets no row."""
    deals = [
        *with_campaign(
            "Ads", deal("a", won="2026-10-02", amount="10"), deal("b", won="2026-10-03")
        ),
        *with_campaign("Mail", deal("m", won="2026-10-04")),
    ]
    rows = campaign_revenue(Dataset(deals=deals), OCTOBER, settings())
    assert [(r.segment, r.value, r.n) for r in rows] == [
        ("all", Decimal("10.00"), 1),
        ("Ads", Decimal("10.00"), 1),
    ]


def test_amounts_converted_then_rounded() -> None:
    """100 USD at 0.92 plus 10.005 EUR is 102.005 EUR, published as 102.01."""
    deals = with_campaign(
        "Ads",
        deal("usd", won="2026-10-02", amount="100", currency="USD"),
        deal("eur", won="2026-10-03", amount="10.005", currency="EUR"),
    )
    assert _rows(deals, {"USD": "0.92"})[("campaign", "Ads")] == Decimal("102.01")


def test_empty_period_is_null() -> None:
    """Without a deal won in P there is only the `all` row, null rather than 0."""
    deals = with_campaign("Ads", deal("old", won="2026-08-02", amount="10"))
    row = only(campaign_revenue(Dataset(deals=deals), OCTOBER, settings()))
    assert (row.value, row.n, row.unit) == (None, 0, "currency")
