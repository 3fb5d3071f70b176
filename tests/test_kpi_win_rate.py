"""win_rate: won deals closed in P ÷ (won + lost deals closed in P)."""

from __future__ import annotations

from kpis.dataset import Dataset
from kpis.sales import win_rate
from tests.kpi_builders import deal, only, owner, period, settings, values

OCTOBER = period("2026-10")


def test_won_over_won_and_lost_closed_in_period() -> None:
    """3 won and 1 lost in the period give 0.75; open deals and other months' closes are ignored."""
    data = Dataset(
        deals=[
            deal("w1", won="2026-10-01"),
            deal("w2", won="2026-10-15"),
            deal("w3", won="2026-10-30", amount=None),
            deal("l1", lost="2026-10-20"),
            deal("open"),
            deal("w-sep", won="2026-09-15"),
            deal("l-nov", lost="2026-11-02"),
        ]
    )
    row = only(win_rate(data, OCTOBER, settings()))
    assert (row.value, row.numerator, row.denominator, row.n) == (0.75, 3, 4, 4)


def test_no_closed_deal_is_null() -> None:
    """With open deals only, the win rate is null rather than 0."""
    rows = win_rate(Dataset(deals=[deal("open", owner="u1")]), OCTOBER, settings())
    assert [(r.segment_by, r.value, r.denominator) for r in rows] == [("all", None, 0)]


def test_segments_with_closed_deals_only() -> None:
    """Each owner with a deal closed in the period gets a row; one with only losses gets 0."""
    data = Dataset(
        owners=[owner("u1", "Ada"), owner("u2", "Grace")],
        deals=[
            deal("w", won="2026-10-02", owner="u1"),
            deal("l", lost="2026-10-03", owner="u2"),
            deal("l2", lost="2026-10-04"),
        ],
    )
    owners = {
        k: v for k, v in values(win_rate(data, OCTOBER, settings())).items() if k[0] == "owner"
    }
    assert owners == {("owner", "Ada"): 1.0, ("owner", "Grace"): 0.0, ("owner", "(none)"): 0.0}
