"""Reporting periods: labels, local-midnight bounds, and the periods before and around a day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kpis.periods import Grain, parse_period, period_containing, recent_periods
from tests.kpi_builders import BERLIN, at


@pytest.mark.parametrize(
    ("label", "grain", "first_day", "last_day"),
    [
        ("2026-10", "month", date(2026, 10, 1), date(2026, 10, 31)),
        ("2026-12", "month", date(2026, 12, 1), date(2026, 12, 31)),
        ("2028-02", "month", date(2028, 2, 1), date(2028, 2, 29)),
        ("2026-Q1", "quarter", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q3", "quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026", "year", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-W40", "week", date(2026, 9, 28), date(2026, 10, 4)),
        ("2026-W53", "week", date(2026, 12, 28), date(2027, 1, 3)),
        ("2026-W01", "week", date(2025, 12, 29), date(2026, 1, 4)),
        ("2026-01-01..2026-03-31", "custom", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-10-05..2026-10-05", "custom", date(2026, 10, 5), date(2026, 10, 5)),
    ],
    ids=[
        "month",
        "december",
        "leap-february",
        "q1",
        "q3",
        "year",
        "iso-week",
        "iso-week-53",
        "iso-week-1-starts-in-previous-year",
        "custom",
        "custom-single-day",
    ],
)
def test_label_names_its_days(label: str, grain: str, first_day: date, last_day: date) -> None:
    """Each label form parses to its grain and inclusive first and last days, keeping the label."""
    parsed = parse_period(label, BERLIN)
    assert (parsed.label, parsed.grain, parsed.first_day, parsed.last_day) == (
        label,
        grain,
        first_day,
        last_day,
    )


def test_label_surrounding_blanks_are_ignored() -> None:
    """A label typed with spaces around it names the same period."""
    assert parse_period(" 2026-10 ", BERLIN) == parse_period("2026-10", BERLIN)


@pytest.mark.parametrize(
    "label",
    [
        "2026-13",
        "2026-00",
        "2026-Q5",
        "2025-W53",
        "2026-W00",
        "2026-02-30..2026-03-01",
        "2026-03-31..2026-01-01",
        "2026-10-01",
        "26-10",
        "October 2026",
        "",
    ],
    ids=[
        "month-13",
        "month-0",
        "quarter-5",
        "week-53-in-a-52-week-year",
        "week-0",
        "custom-impossible-date",
        "custom-ends-before-start",
        "single-date",
        "two-digit-year",
        "words",
        "empty",
    ],
)
def test_bad_label_is_rejected(label: str) -> None:
    """A label that names no period raises ValueError quoting it."""
    with pytest.raises(ValueError, match=f"period {label!r}"):
        parse_period(label, BERLIN)


def test_bounds_are_local_midnights() -> None:
    """October 2026 in Berlin runs from 30 September 22:00Z (CEST) to 31 October 23:00Z (CET)."""
    october = parse_period("2026-10", BERLIN)
    assert (october.start, october.end) == (at("2026-09-30T22:00Z"), at("2026-10-31T23:00Z"))


def test_dst_month_has_its_extra_hour() -> None:
    """October 2026 in Berlin lasts 31 days and the hour that the end of summer time adds."""
    october = parse_period("2026-10", BERLIN)
    assert october.end - october.start == timedelta(days=31, hours=1)


@pytest.mark.parametrize(
    ("instant", "label"),
    [
        ("2026-09-30T22:30Z", "2026-10"),
        ("2026-09-30T21:59:59Z", "2026-09"),
        ("2026-10-31T23:30Z", "2026-11"),
        ("2026-10-31T22:59:59Z", "2026-10"),
    ],
    ids=["late-utc-is-next-month", "before-midnight", "cet-midnight", "before-cet-midnight"],
)
def test_instant_falls_in_berlin_month(instant: str, label: str) -> None:
    """An instant belongs to the month of its Berlin local date, not of its UTC date."""
    months = [parse_period(m, BERLIN) for m in ("2026-09", "2026-10", "2026-11")]
    assert [p.label for p in months if p.contains(at(instant))] == [label]


@pytest.mark.parametrize(
    ("instant", "inside"),
    [("2026-09-30T22:00Z", True), ("2026-10-31T23:00Z", False), (None, False)],
    ids=["start-included", "end-excluded", "no-instant"],
)
def test_contains_is_half_open(instant: str | None, inside: bool) -> None:
    """A period contains its start, not its end, and never a missing instant."""
    october = parse_period("2026-10", BERLIN)
    assert october.contains(None if instant is None else at(instant)) is inside


@pytest.mark.parametrize(
    ("label", "previous"),
    [
        ("2026-01", "2025-12"),
        ("2026-03", "2026-02"),
        ("2026-Q1", "2025-Q4"),
        ("2026", "2025"),
        ("2026-W01", "2025-W52"),
        ("2027-W01", "2026-W53"),
        ("2026-03-01..2026-03-31", "2026-01-29..2026-02-28"),
    ],
    ids=[
        "month-over-year",
        "month",
        "quarter",
        "year",
        "week",
        "after-week-53",
        "custom-same-days",
    ],
)
def test_previous_period(label: str, previous: str) -> None:
    """The previous period has the same grain and ends the day before (custom: as many days)."""
    assert parse_period(label, BERLIN).previous().label == previous


@pytest.mark.parametrize(
    ("grain", "day", "label"),
    [
        ("week", date(2027, 1, 1), "2026-W53"),
        ("week", date(2025, 12, 29), "2026-W01"),
        ("month", date(2026, 2, 28), "2026-02"),
        ("quarter", date(2026, 12, 31), "2026-Q4"),
        ("year", date(2026, 6, 1), "2026"),
    ],
    ids=["week-53-in-next-year", "week-1-in-previous-year", "month", "quarter", "year"],
)
def test_period_containing_day(grain: Grain, day: date, label: str) -> None:
    """The period of a grain containing a local date is found across year boundaries."""
    assert period_containing(grain, day, BERLIN).label == label


def test_period_containing_rejects_custom() -> None:
    """A custom period has no natural boundaries, so none is said to contain a day."""
    with pytest.raises(ValueError, match="custom"):
        period_containing("custom", date(2026, 1, 1), BERLIN)


def test_recent_periods_end_with_local_current() -> None:
    """The recent months end with the month of now's Berlin date, oldest first."""
    now = at("2026-09-30T22:30Z")
    labels = [p.label for p in recent_periods("month", now, 3, BERLIN)]
    assert labels == ["2026-08", "2026-09", "2026-10"]
