"""Before vs after go-live: every all-segment KPI over the windows around go-live, compared."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kpis.catalog import KPIS
from kpis.dataset import Dataset
from kpis.reports.before_after import BeforeAfter, before_after, compare, months_before
from kpis.results import Number, ResultRow, Unit
from tests.kpi_builders import BERLIN, at, deal, owner, period, settings

GO_LIVE = date(2026, 3, 1)
# 10:00 UTC is noon in Berlin on 2026-10-15
NOW = at("2026-10-15T10:00Z")


def _report(
    data: Dataset, *, go_live: date = GO_LIVE, now: str = "2026-10-15T10:00Z"
) -> BeforeAfter:
    return before_after(data, settings(), go_live, 6, at(now))


def _row(value: Number | None, unit: Unit = "ratio") -> ResultRow:
    return ResultRow("kpi", period("2026-10"), "all", "all", value, unit, 1)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 3, 1), 6, date(2025, 9, 1)),
        (date(2026, 8, 31), 6, date(2026, 2, 28)),
        (date(2024, 5, 31), 3, date(2024, 2, 29)),
        (date(2026, 1, 15), 1, date(2025, 12, 15)),
    ],
    ids=["first-of-month", "clamped-to-february", "leap-february", "across-the-year"],
)
def test_months_before(day: date, months: int, expected: date) -> None:
    """The same day `months` earlier, or the last day of a shorter month."""
    assert months_before(day, months) == expected


def test_windows_are_whole_local_days_around_go_live() -> None:
    """Before: the 6 months up to the day before go-live; after: go-live through today."""
    report = _report(Dataset())
    assert report.after is not None
    assert (report.before.label, report.after.label) == (
        "2025-09-01..2026-02-28",
        "2026-03-01..2026-10-15",
    )
    assert (report.before.tz, report.after.tz) == (BERLIN, BERLIN)


def test_go_live_ahead_has_no_after_window() -> None:
    """With go-live after today there is no after window and every change is null."""
    report = _report(Dataset(deals=[deal("w", won="2026-01-10")]), now="2026-02-28T12:00Z")
    assert report.after is None
    assert {(c.after, c.change, c.relative_change) for c in report.changes} == {(None, None, None)}


def test_every_registered_kpi_once_with_all_segment_rows() -> None:
    """One change per KPI of the registry, in its order, compared over the `all` segment only."""
    data = Dataset(owners=[owner("u1", "Ada")], deals=[deal("w", won="2026-05-01", owner="u1")])
    report = _report(data)
    assert [c.kpi for c in report.changes] == list(KPIS)
    segments = {
        (c.before.segment_by, c.after.segment_by if c.after else "all") for c in report.changes
    }
    assert segments == {("all", "all")}


def test_changes_are_computed_over_each_window() -> None:
    """Win rate 1 of 2 before and 3 of 4 after; net new revenue 100 before and 400 after."""
    data = Dataset(
        deals=[
            deal("w-before", won="2025-10-10", amount="100", contact="c1"),
            deal("l-before", lost="2025-11-01"),
            deal("w-after-1", won="2026-04-01", amount="150", contact="c2"),
            deal("w-after-2", won="2026-05-01", amount="250", contact="c3"),
            deal("w-after-3", won="2026-06-01", contact="c4"),
            deal("l-after", lost="2026-07-01"),
        ]
    )
    changes = {c.kpi: c for c in _report(data).changes}
    win, revenue = changes["win_rate"], changes["net_new_revenue"]
    # 0.75 - 0.5 = 0.25, ÷ 0.5 = 0.5; 400 - 100 = 300, ÷ 100 = 3
    assert (win.change, win.relative_change) == (0.25, 0.5)
    assert (revenue.change, revenue.relative_change) == (Decimal("300.00"), 3.0)


@pytest.mark.parametrize(
    ("before", "after", "change", "relative"),
    [
        (0.5, 0.75, 0.25, 0.5),
        (None, 0.25, None, None),
        (0.0, 0.25, 0.25, None),
        (0.5, None, None, None),
        (Decimal("100.00"), Decimal("400.00"), Decimal("300.00"), 3.0),
        (-20, 10, 30, 1.5),
        (20, -10, -30, -1.5),
    ],
    ids=[
        "rise",
        "null-before",
        "zero-before",
        "null-after",
        "money-stays-decimal",
        "negative-nps-rising",
        "nps-falling-below-zero",
    ],
)
def test_change_and_relative_change(
    before: Number | None, after: Number | None, change: Number | None, relative: float | None
) -> None:
    """Change = after - before; relative = change ÷ |before|, null when before is null or 0."""
    result = compare(_row(before), _row(after))
    assert (result.change, result.relative_change) == (change, relative)
    assert type(result.change) is type(change)


def test_missing_after_row_is_null_change() -> None:
    """Without an after row (no after window) the change and relative change are null."""
    result = compare(_row(0.5), None)
    assert (result.after, result.change, result.relative_change) == (None, None, None)


def test_comparison_months_must_be_positive() -> None:
    """Zero comparison months is a `ValueError`."""
    with pytest.raises(ValueError, match="comparison_months"):
        before_after(Dataset(), settings(), GO_LIVE, 0, NOW)
