"""close_rate: won deals closed in P ÷ deals in the pipeline during P, overall and by segment."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from connectors.schema import Deal
from kpis.dataset import Dataset
from kpis.sales import close_rate
from tests.kpi_builders import deal, only, owner, period, settings, stage, values

OCTOBER = period("2026-10")


def test_worked_example_hundred_in_pipeline_ten_won() -> None:
    """100 deals in the pipeline of which 10 are won in the period give 0.10."""
    deals = [deal(f"w{i}", won="2026-10-10") for i in range(10)]
    deals += [deal(f"o{i}") for i in range(90)]
    row = only(close_rate(Dataset(deals=deals), OCTOBER, settings()))
    assert (row.value, row.numerator, row.denominator, row.n) == (0.1, 10, 100, 100)


@pytest.mark.parametrize(
    ("edge_deal", "in_pipeline"),
    [
        (deal("e", created="2026-10-31T23:00Z"), False),
        (deal("e", created="2026-10-31T22:59:59Z"), True),
        (deal("e", created="2026-01-01", lost="2026-09-30T22:00Z"), True),
        (deal("e", created="2026-01-01", lost="2026-09-30T21:59:59Z"), False),
        (deal("e", created="2025-01-01"), True),
        (deal("e", created="2026-10-31T12:00Z", won="2026-11-02"), True),
    ],
    ids=[
        "created-at-end-excluded",
        "created-just-before-end",
        "closed-at-start-included",
        "closed-just-before-start-excluded",
        "open-since-long-ago",
        "created-in-p-closed-after",
    ],
)
def test_in_pipeline_edges(edge_deal: Deal, in_pipeline: bool) -> None:
    """A deal is in the pipeline when created before P.end and not closed before P.start."""
    data = Dataset(deals=[deal("w", won="2026-10-10"), edge_deal])
    row = only(close_rate(data, OCTOBER, settings()))
    assert row.denominator == (2 if in_pipeline else 1)


@pytest.mark.parametrize(
    ("closed", "tz", "label", "won_in_period"),
    [
        ("2026-09-30T22:30Z", "Europe/Berlin", "2026-10", 1),
        ("2026-09-30T22:30Z", "UTC", "2026-10", 0),
        ("2026-10-31T23:30Z", "Europe/Berlin", "2026-10", 0),
        ("2026-10-31T23:30Z", "Europe/Berlin", "2026-11", 1),
    ],
    ids=["berlin-october", "utc-september", "berlin-not-october", "berlin-november"],
)
def test_won_deal_counts_in_its_local_month(
    closed: str, tz: str, label: str, won_in_period: int
) -> None:
    """A deal won late on a UTC day counts in the month of its reporting-zone date."""
    data = Dataset(deals=[deal("d", created="2026-09-01", won=closed)])
    row = only(close_rate(data, period(label, ZoneInfo(tz)), settings()))
    assert row.numerator == won_in_period


def test_won_deal_without_amount_counts() -> None:
    """A won deal with no amount still counts as won."""
    data = Dataset(deals=[deal("w", won="2026-10-10"), deal("o")])
    assert only(close_rate(data, OCTOBER, settings())).value == 0.5


def test_lost_deal_counts_in_pipeline_not_in_won() -> None:
    """A deal lost in the period was in the pipeline but is not won."""
    data = Dataset(deals=[deal("w", won="2026-10-10"), deal("l", lost="2026-10-11")])
    row = only(close_rate(data, OCTOBER, settings()))
    assert (row.numerator, row.denominator) == (1, 2)


def test_empty_period_is_null_with_only_the_all_row() -> None:
    """With no deal in the pipeline the all row is null, never 0, and no segment has a row."""
    data = Dataset(deals=[deal("later", created="2026-12-01", owner="u1")])
    rows = close_rate(data, OCTOBER, settings())
    assert [(r.segment_by, r.value, r.n, r.denominator) for r in rows] == [("all", None, 0, 0)]


def test_segment_without_wins_is_zero() -> None:
    """A segment with deals in the pipeline and no win has a rate of 0, not null."""
    data = Dataset(deals=[deal("w", won="2026-10-10", owner="u1"), deal("o", owner="u2")])
    assert values(close_rate(data, OCTOBER, settings()))[("owner", "u2")] == 0.0


def test_rows_by_owner_pipeline_and_source() -> None:
    """Rows by owner name, pipeline label and lead source, with `(none)` for missing values."""
    data = Dataset(
        owners=[owner("u1", "Ada")],
        stages=[stage("s1", "New", pipeline="p1", pipeline_label="Sales")],
        deals=[
            deal("a", won="2026-10-10", owner="u1", lead_source="Webinar"),
            deal("b", owner="u1", lead_source="Webinar"),
            deal("c", won="2026-10-10", owner="u9", pipeline="p2"),
            deal("d", lead_source=" "),
        ],
    )
    assert values(close_rate(data, OCTOBER, settings())) == {
        ("all", "all"): 0.5,
        ("owner", "(none)"): 0.0,
        ("owner", "Ada"): 0.5,
        ("owner", "u9"): 1.0,
        ("pipeline", "p2"): 1.0,
        ("pipeline", "Sales"): 1 / 3,
        ("source", "(none)"): 0.5,
        ("source", "Webinar"): 0.5,
    }


def test_rows_come_in_publishing_order() -> None:
    """Rows are ordered all, owner, pipeline, source, then alphabetically ignoring case."""
    data = Dataset(
        owners=[owner("u1", "bob"), owner("u2", "Carol")],
        deals=[deal("a", owner="u1"), deal("b", owner="u2"), deal("c")],
    )
    keys = [(r.segment_by, r.segment) for r in close_rate(data, OCTOBER, settings())]
    assert keys == [
        ("all", "all"),
        ("owner", "(none)"),
        ("owner", "bob"),
        ("owner", "Carol"),
        ("pipeline", "p1"),
        ("source", "(none)"),
    ]
