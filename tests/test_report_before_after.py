"""Before vs after go-live: every all-segment KPI over the windows around go-live, compared."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from kpis.catalog import KPIS
from kpis.dataset import Dataset
from kpis.periods import custom
from kpis.reports.before_after import (
    BeforeAfter,
    Elapsed,
    add_months,
    before_after,
    compare,
    elapsed,
)
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
        (date(2026, 3, 1), -6, date(2025, 9, 1)),
        (date(2026, 8, 31), -6, date(2026, 2, 28)),
        (date(2024, 5, 31), -3, date(2024, 2, 29)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 11, 1), 2, date(2027, 1, 1)),
    ],
    ids=[
        "first-of-month",
        "clamped-to-february",
        "leap-february",
        "across-the-year",
        "later-clamped-to-february",
        "later-across-the-year",
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    """The same day `months` later or earlier, or the last day of a shorter month."""
    assert add_months(day, months) == expected


def test_windows_are_equal_months_around_go_live() -> None:
    """Before: the 6 months up to the day before go-live; after: the 6 months from go-live."""
    report = _report(Dataset(), now="2027-01-15T10:00Z")
    assert report.after is not None
    assert (report.before.label, report.after_window.label, report.after.label) == (
        "2025-09-01..2026-02-28",
        "2026-03-01..2026-08-31",
        "2026-03-01..2026-08-31",
    )
    assert (report.before.tz, report.after.tz) == (BERLIN, BERLIN)


def test_running_after_window_covers_through_today() -> None:
    """While the after window runs, its KPIs cover go-live through today (noon in Berlin)."""
    report = _report(Dataset(), now="2026-05-15T10:00Z")
    assert report.after is not None
    assert (report.after.label, report.after_window.label) == (
        "2026-03-01..2026-05-15",
        "2026-03-01..2026-08-31",
    )


def test_running_after_window_does_not_count_what_is_after_it() -> None:
    """A deal won after the 6 months from go-live is in neither window."""
    data = Dataset(
        deals=[
            deal("w-after", won="2026-04-01", amount="150", contact="c1"),
            deal("w-later", won="2026-09-02", amount="900", contact="c2"),
        ]
    )
    changes = {c.kpi: c for c in _report(data, now="2027-01-15T10:00Z").changes}
    after = changes["net_new_revenue"].after
    assert after is not None
    assert after.value == Decimal("150.00")


@pytest.mark.parametrize(
    ("go_live", "now", "expected"),
    [
        # Berlin, go-live 2026-10-01 (CEST, 2026-09-30T22:00Z); October has 31 days and the
        # hour the clocks went back; November 2026-10-31T23:00Z..2026-11-30T23:00Z is 30 days.
        # At 2026-11-16T11:00Z: 1 month and 15.5 of 30 days, 46 days 13 hours. The window to
        # 2027-04-01 (CEST again, after the hour lost on 2027-03-28) is 182 days exactly.
        (
            date(2026, 10, 1),
            "2026-11-16T11:00Z",
            Elapsed(months=1 + 15.5 / 30, days=46 + 13 / 24, of_days=182.0),
        ),
        # on the first instant of go-live nothing has passed
        (date(2026, 10, 1), "2026-09-30T22:00Z", Elapsed(months=0.0, days=0.0, of_days=182.0)),
        # at 2026-10-25T23:00Z (local midnight starting 2026-10-26, after the change): 25 days
        # and 1 hour of the 31 days and 1 hour of October
        (
            date(2026, 10, 1),
            "2026-10-25T23:00Z",
            Elapsed(months=(25 + 1 / 24) / (31 + 1 / 24), days=25 + 1 / 24, of_days=182.0),
        ),
        # go-live 2026-03-01 (CET, 2026-02-28T23:00Z) to 2026-09-01 (CEST, 2026-08-31T22:00Z):
        # 184 days less the hour lost on 2026-03-29; long after it, all of it has passed
        (
            date(2026, 3, 1),
            "2027-01-15T10:00Z",
            Elapsed(months=6.0, days=184 - 1 / 24, of_days=184 - 1 / 24),
        ),
        # go-live 2026-01-31 (2026-01-30T23:00Z): its months end on 2026-02-28 (clamped,
        # 2026-02-27T23:00Z) and 2026-03-31 (CEST, 2026-03-30T22:00Z, 30 days 23 hours on);
        # at 2026-03-15T11:00Z, 1 month and 15 days 12 hours, 43 days 12 hours in all; the
        # window to 2026-07-31 is 181 days less the hour lost on 2026-03-29
        (
            date(2026, 1, 31),
            "2026-03-15T11:00Z",
            Elapsed(months=1 + 15.5 / (30 + 23 / 24), days=43.5, of_days=181 - 1 / 24),
        ),
    ],
    ids=[
        "running-across-dst",
        "at-go-live",
        "dst-month-share",
        "complete-stops-at-length",
        "month-end-go-live-clamps-each-month",
    ],
)
def test_elapsed_after_window(go_live: date, now: str, expected: Elapsed) -> None:
    """How much of the after window has passed: months and real days, capped at its length."""
    window = custom(go_live, add_months(go_live, 6) - timedelta(days=1), BERLIN)
    result = elapsed(window, 6, at(now))
    assert result.months == pytest.approx(expected.months)
    assert result.days == pytest.approx(expected.days)
    assert result.of_days == pytest.approx(expected.of_days)


@pytest.mark.parametrize(
    ("now", "complete"),
    [("2026-08-31T21:59Z", False), ("2026-08-31T22:00Z", True)],
    ids=["last-minute-running", "window-end"],
)
def test_after_window_completes_at_its_end(now: str, complete: bool) -> None:
    """The after window is complete from the local midnight ending its last day."""
    report = _report(Dataset(), now=now)
    assert report.elapsed is not None
    assert report.elapsed.complete is complete


def test_report_elapsed_is_in_the_reporting_zone() -> None:
    """The report's elapsed share runs from go-live's local midnight to the injected now."""
    report = _report(Dataset(), now="2026-05-15T10:00Z")
    assert report.elapsed is not None
    # 2026-02-28T23:00Z to 2026-05-15T10:00Z: 75 days 11 hours (the hour lost on 2026-03-29);
    # March and April, then 14 days 12 hours of May's 31 (from 2026-04-30T22:00Z)
    assert report.elapsed.days == pytest.approx(75 + 11 / 24)
    assert report.elapsed.months == pytest.approx(2 + (14 + 12 / 24) / 31)


def test_go_live_ahead_has_no_after_window() -> None:
    """With go-live after today there is no after window and every change is null."""
    report = _report(Dataset(deals=[deal("w", won="2026-01-10")]), now="2026-02-28T12:00Z")
    assert (report.after, report.elapsed) == (None, None)
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
    # 0.75 - 0.5 is 25 points, and a rate has no relative change; 400 - 100 = 300, ÷ 100 = 3
    assert (win.change, win.relative_change) == (25.0, None)
    assert (revenue.change, revenue.relative_change) == (Decimal("300.00"), 3.0)


@pytest.mark.parametrize(
    ("unit", "before", "after", "change", "relative"),
    [
        ("ratio", 0.5, 0.75, 25.0, None),
        ("ratio", 0.1, 0.12, 2.0, None),
        ("ratio", None, 0.25, None, None),
        ("ratio", 0.0, 0.25, 25.0, None),
        ("ratio", 0.5, None, None, None),
        ("currency", Decimal("100.00"), Decimal("400.00"), Decimal("300.00"), 3.0),
        ("currency", Decimal("0.00"), Decimal("400.00"), Decimal("400.00"), None),
        ("days", 40.0, 30.0, -10.0, -0.25),
        ("hours", 8.0, 10.0, 2.0, 0.25),
        ("count", 2, 3, 1, 0.5),
        ("score", -20, 10, 30, None),
        ("score", 20.0, -10.0, -30.0, None),
    ],
    ids=[
        "ratio-in-points",
        "ratio-points-exact",
        "null-before",
        "ratio-from-zero",
        "null-after",
        "money-stays-decimal",
        "money-from-zero-no-relative",
        "average-falling",
        "hours-rising",
        "count-rising",
        "nps-in-points",
        "nps-falling-below-zero",
    ],
)
def test_change_and_relative_change(
    unit: Unit,
    before: Number | None,
    after: Number | None,
    change: Number | None,
    relative: float | None,
) -> None:
    """Change: points for a ratio, the unit's difference otherwise; relative change
    = change ÷ |before| for totals and averages only, null when before is null or 0."""
    result = compare(_row(before, unit), _row(after, unit))
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
