"""Business hours: `[t0, t1)` measured inside each local day's working window."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpis.business_hours import BusinessCalendar, check_country
from kpis.columns import instant_of, micros
from kpis.settings import BusinessHoursSpec
from tests.kpi_builders import BERLIN, at

NEW_YORK = ZoneInfo("America/New_York")
EVERY_DAY = frozenset(range(1, 8))
OFFICE = BusinessHoursSpec(timezone=BERLIN)  # Mon-Fri 09:00-17:00 Europe/Berlin


def _hours(spec: BusinessHoursSpec | None, t0: str, t1: str) -> float:
    return BusinessCalendar.from_spec(spec).hours_between(at(t0), at(t1))


def _day(spec: BusinessHoursSpec | None, day: str) -> float:
    """Business hours from one Berlin midnight to the next."""
    first = date.fromisoformat(day)
    start = datetime.combine(first, time(0), tzinfo=BERLIN)
    end = datetime.combine(first + timedelta(days=1), time(0), tzinfo=BERLIN)
    return BusinessCalendar.from_spec(spec).hours_between(start, end)


def test_friday_afternoon_to_monday_morning() -> None:
    """docs/kpis.md: opened Friday 16:00, closed Monday 10:00 Berlin time is 2.0 business hours."""
    # Friday 16:00-17:00 (1 h) + Monday 09:00-10:00 (1 h)
    assert _hours(OFFICE, "2026-10-16T16:00+02:00", "2026-10-19T10:00+02:00") == 2.0


@pytest.mark.parametrize(
    ("day", "calendar_hours"),
    [("2026-10-25", 25), ("2026-03-29", 23)],
    ids=["october-clocks-back", "march-clocks-forward"],
)
def test_working_day_across_dst_change_is_still_8_hours(day: str, calendar_hours: int) -> None:
    """On the days the clocks change, 09:00-17:00 is 8 hours though the day is 25 or 23 long."""
    every_day = BusinessHoursSpec(timezone=BERLIN, days=EVERY_DAY)
    assert (_day(every_day, day), _day(None, day)) == (8.0, calendar_hours)


@pytest.mark.parametrize(
    ("t0", "t1", "expected"),
    [
        ("2026-10-23T07:00Z", "2026-10-23T07:30Z", 0.5),
        ("2026-10-26T07:00Z", "2026-10-26T07:30Z", 0.0),
        ("2026-10-26T08:00Z", "2026-10-26T08:30Z", 0.5),
    ],
    ids=["summer-09:00-is-07:00Z", "winter-07:00Z-is-08:00", "winter-09:00-is-08:00Z"],
)
def test_window_follows_local_clock_in_utc(t0: str, t1: str, expected: float) -> None:
    """The window opens at 09:00 local: 07:00 UTC in summer time, 08:00 UTC after the change."""
    assert _hours(OFFICE, t0, t1) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [("2026-10-25", 7.0), ("2026-03-29", 5.0)],
    ids=["clocks-back-adds-an-hour", "clocks-forward-drops-an-hour"],
)
def test_night_window_spanning_the_change_is_clock_time(day: str, expected: float) -> None:
    """00:00-06:00 on the clock is 7 real hours when an hour repeats, 5 when one is skipped."""
    night = BusinessHoursSpec(timezone=BERLIN, days=EVERY_DAY, start=time(0), end=time(6))
    assert _day(night, day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [("2026-03-29", 1.0), ("2026-10-25", 2.5)],
    ids=["skipped-hour-opens-at-the-change", "repeated-hour-opens-at-first-02:30"],
)
def test_window_starting_in_the_changed_hour(day: str, expected: float) -> None:
    """02:30-04:00 opens at 03:00 when 02:00-03:00 is skipped, at the first 02:30 when repeated."""
    early = BusinessHoursSpec(timezone=BERLIN, days=EVERY_DAY, start=time(2, 30), end=time(4))
    # March: 03:00 to 04:00 summer time (reading 02:30 with the winter offset would give
    # 0.5); October: 02:30 summer time (00:30Z) to 04:00 winter time (03:00Z) = 2.5
    assert _day(early, day) == expected


@pytest.mark.parametrize(
    ("t0", "t1", "expected"),
    [
        ("2026-10-17T10:00+02:00", "2026-10-18T16:00+02:00", 0.0),
        ("2026-10-16T12:00+02:00", "2026-10-19T12:00+02:00", 8.0),
        ("2026-10-12T00:00+02:00", "2026-10-19T00:00+02:00", 40.0),
    ],
    ids=["saturday-to-sunday", "friday-noon-to-monday-noon", "whole-week"],
)
def test_weekends_are_not_business_time(t0: str, t1: str, expected: float) -> None:
    """Saturday and Sunday add nothing; a whole Mon-Fri week is 5 x 8 = 40 hours."""
    # friday noon to monday noon: Friday 12:00-17:00 (5 h) + Monday 09:00-12:00 (3 h)
    assert _hours(OFFICE, t0, t1) == expected


@pytest.mark.parametrize(
    ("holidays", "expected"),
    [(frozenset(), 13.0), (frozenset({date(2026, 12, 24)}), 5.0)],
    ids=["no-holiday", "christmas-eve-off"],
)
def test_explicit_holidays_are_days_off(holidays: frozenset[date], expected: float) -> None:
    """A configured holiday (Thursday 2026-12-24) has no working window."""
    spec = BusinessHoursSpec(timezone=BERLIN, holidays=holidays)
    # Wednesday 12:00-17:00 (5 h) + Thursday 09:00-17:00 (8 h, unless off)
    assert _hours(spec, "2026-12-23T12:00+01:00", "2026-12-25T00:00+01:00") == expected


@pytest.mark.parametrize(
    ("country", "t0", "t1", "expected"),
    [
        (None, "2026-04-30T09:00+02:00", "2026-05-02T00:00+02:00", 16.0),
        ("DE", "2026-04-30T09:00+02:00", "2026-05-02T00:00+02:00", 8.0),
        ("DE", "2026-12-24T09:00+01:00", "2026-12-26T00:00+01:00", 8.0),
        ("DE", "2026-06-04T00:00+02:00", "2026-06-05T00:00+02:00", 8.0),
        ("DE-BY", "2026-06-04T00:00+02:00", "2026-06-05T00:00+02:00", 0.0),
        ("de-by", "2026-06-04T00:00+02:00", "2026-06-05T00:00+02:00", 0.0),
    ],
    ids=[
        "no-country-may-day-works",
        "de-may-day-friday",
        "de-christmas-friday",
        "de-corpus-christi-is-regional",
        "bavaria-corpus-christi",
        "code-case-ignored",
    ],
)
def test_country_public_holidays_are_days_off(
    country: str | None, t0: str, t1: str, expected: float
) -> None:
    """A country's public holidays (of its subdivision too, `DE-BY`) are days off."""
    # Thursday + Friday = 16 h, with the Friday a holiday 8 h; Corpus Christi (Thursday
    # 2026-06-04) is a holiday in Bavaria, not nationwide
    spec = BusinessHoursSpec(timezone=BERLIN, country=country)
    assert _hours(spec, t0, t1) == expected


def test_holiday_observed_in_lieu_is_a_day_off() -> None:
    """US Independence Day 2026 is a Saturday, so the Friday before is the day off."""
    spec = BusinessHoursSpec(timezone=NEW_YORK, country="US")
    # Friday 2026-07-03 09:00-17:00 EDT would be 8 h
    assert _hours(spec, "2026-07-03T00:00-04:00", "2026-07-04T00:00-04:00") == 0.0


@pytest.mark.parametrize(
    ("code", "named"), [("XX", "'XX'"), ("DE-XX", "'XX'")], ids=["country", "subdivision"]
)
def test_unknown_country_is_a_value_error_naming_it(code: str, named: str) -> None:
    """An unknown country or subdivision is refused with a ValueError that names it."""
    with pytest.raises(ValueError, match=named):
        check_country(code)
    with pytest.raises(ValueError, match=named):
        BusinessCalendar.from_spec(BusinessHoursSpec(timezone=BERLIN, country=code))


@pytest.mark.parametrize(
    ("t0", "t1", "expected"),
    [
        ("2026-10-19T16:00+02:00", "2026-10-20T10:00+02:00", 2.0),
        ("2026-10-19T18:00+02:00", "2026-10-20T08:00+02:00", 0.0),
        ("2026-10-19T07:00+02:00", "2026-10-19T10:00+02:00", 1.0),
        ("2026-10-19T16:30+02:00", "2026-10-19T20:00+02:00", 0.5),
        ("2026-10-19T17:00+02:00", "2026-10-20T09:00+02:00", 0.0),
    ],
    ids=[
        "overnight",
        "opened-and-closed-outside-hours",
        "opened-before-hours",
        "closed-after-hours",
        "exactly-close-to-open",
    ],
)
def test_intervals_partly_outside_hours(t0: str, t1: str, expected: float) -> None:
    """Only the part of the interval inside a window counts."""
    # overnight: 16:00-17:00 + 09:00-10:00; before hours: 09:00-10:00; after: 16:30-17:00
    assert _hours(OFFICE, t0, t1) == expected


@pytest.mark.parametrize(
    "instant", ["2026-10-19T12:00+02:00", "2026-10-18T12:00+02:00"], ids=["in-hours", "weekend"]
)
def test_zero_length_interval_is_zero(instant: str) -> None:
    """An interval that ends where it starts holds no business time."""
    assert _hours(OFFICE, instant, instant) == 0.0


@pytest.mark.parametrize("spec", [OFFICE, None], ids=["business", "calendar"])
def test_end_before_start_is_rejected(spec: BusinessHoursSpec | None) -> None:
    """An interval that ends before it starts is a ValueError, not a negative duration."""
    with pytest.raises(ValueError, match="before it starts"):
        _hours(spec, "2026-10-19T12:00Z", "2026-10-19T11:59Z")


def test_no_schedule_is_calendar_hours() -> None:
    """Without business hours every hour counts: Friday 16:00 to Monday 10:00 is 66 hours."""
    # 8 h to Friday midnight + 48 h weekend + 10 h Monday
    assert _hours(None, "2026-10-16T16:00+02:00", "2026-10-19T10:00+02:00") == 66.0


@pytest.mark.parametrize(
    ("t0", "t1", "expected"),
    [
        ("2026-03-06T14:00+01:00", "2026-03-06T15:00+01:00", 0.0),
        ("2026-03-09T14:00+01:00", "2026-03-09T15:00+01:00", 1.0),
        ("2026-03-09T12:00Z", "2026-03-09T22:00Z", 8.0),
    ],
    ids=["before-us-dst-opens-14:00Z", "after-us-dst-opens-13:00Z", "whole-new-york-day"],
)
def test_windows_in_their_own_zone(t0: str, t1: str, expected: float) -> None:
    """A New York schedule opens at 09:00 New York time whatever zone the instants are in."""
    # US clocks went forward on 2026-03-08, Berlin's only on 03-29: 09:00 EST is 14:00Z
    # (15:00 Berlin), 09:00 EDT is 13:00Z (14:00 Berlin); the day is 13:00Z-21:00Z
    assert _hours(BusinessHoursSpec(timezone=NEW_YORK), t0, t1) == expected


@pytest.mark.parametrize(
    ("country", "t0", "t1", "expected"),
    [
        ("DE", "2026-01-01T00:00+01:00", "2027-01-01T00:00+01:00", 2032.0),
        (None, "2025-01-01T00:00+01:00", "2027-01-01T00:00+01:00", 4176.0),
    ],
    ids=["year-with-holidays", "two-years"],
)
def test_long_spans(country: str | None, t0: str, t1: str, expected: float) -> None:
    """A ticket open for a year or two counts every working day of it."""
    # 2026: 261 weekdays less 7 weekday national holidays (Jan 1, Apr 3, Apr 6, May 1,
    # May 14, May 25, Dec 25) = 254 x 8 = 2032; 2025 and 2026 have 261 weekdays each:
    # 522 x 8 = 4176
    spec = BusinessHoursSpec(timezone=BERLIN, country=country)
    assert _hours(spec, t0, t1) == expected


def test_answers_do_not_depend_on_earlier_questions() -> None:
    """Asking about earlier and later years first gives the same answer as asking fresh."""
    calendar = BusinessCalendar.from_spec(OFFICE)
    week = (at("2026-10-12T00:00+02:00"), at("2026-10-19T00:00+02:00"))
    first = calendar.hours_between(*week)
    calendar.hours_between(at("2019-06-01T00:00Z"), at("2019-06-03T00:00Z"))
    calendar.hours_between(at("2031-06-01T00:00Z"), at("2031-06-03T00:00Z"))
    assert (first, calendar.hours_between(*week)) == (40.0, 40.0)


_ZONES = ["UTC", "Europe/Berlin", "America/New_York", "America/Santiago", "Australia/Lord_Howe"]
_INSTANTS = st.integers(
    min_value=int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()),
    max_value=int(datetime(2027, 12, 31, tzinfo=UTC).timestamp()),
).map(lambda seconds: datetime.fromtimestamp(seconds, UTC))


@st.composite
def _specs(draw: st.DrawFn) -> BusinessHoursSpec:
    start, end = sorted(draw(st.lists(st.integers(0, 1439), min_size=2, max_size=2, unique=True)))
    return BusinessHoursSpec(
        timezone=ZoneInfo(draw(st.sampled_from(_ZONES))),
        days=frozenset(draw(st.sets(st.integers(1, 7), min_size=1))),
        start=time(*divmod(start, 60)),
        end=time(*divmod(end, 60)),
        country=draw(st.sampled_from([None, "DE", "US"])),
    )


@settings(max_examples=60, deadline=None)
@given(spec=_specs(), instants=st.lists(_INSTANTS, min_size=3, max_size=3))
def test_business_time_is_bounded_and_additive(
    spec: BusinessHoursSpec, instants: list[datetime]
) -> None:
    """Business time is between 0 and calendar time, and adds up over a split interval."""
    t0, tm, t1 = sorted(instants)
    calendar = BusinessCalendar.from_spec(spec)
    whole = calendar.micros_between(t0, t1)
    assert 0 <= whole <= (t1 - t0) // timedelta(microseconds=1)
    assert calendar.micros_between(t0, tm) + calendar.micros_between(tm, t1) == whole


def _each(spec: BusinessHoursSpec | None, *spans: tuple[str, str]) -> list[float]:
    starts = np.array([micros(at(t0)) for t0, _ in spans], dtype=np.int64)
    ends = np.array([micros(at(t1)) for _, t1 in spans], dtype=np.int64)
    hours: list[float] = BusinessCalendar.from_spec(spec).hours_between_each(starts, ends).tolist()
    return hours


@pytest.mark.parametrize(
    ("spec", "spans", "expected"),
    [
        (OFFICE, [], []),
        (
            OFFICE,
            [
                ("2026-10-16T16:00+02:00", "2026-10-19T10:00+02:00"),
                ("2026-10-17T10:00+02:00", "2026-10-18T16:00+02:00"),
                ("2026-10-19T12:00+02:00", "2026-10-19T12:00+02:00"),
                ("2026-10-25T00:00+02:00", "2026-10-27T00:00+01:00"),
            ],
            [2.0, 0.0, 0.0, 8.0],
        ),
        (
            BusinessHoursSpec(timezone=BERLIN, holidays=frozenset({date(2026, 12, 24)})),
            [("2026-12-23T12:00+01:00", "2026-12-25T00:00+01:00")],
            [5.0],
        ),
        (
            BusinessHoursSpec(timezone=BERLIN, country="DE"),
            [
                ("2026-01-01T00:00+01:00", "2027-01-01T00:00+01:00"),
                ("2019-06-03T09:30+02:00", "2019-06-03T10:00+02:00"),
            ],
            [2032.0, 0.5],
        ),
        (None, [("2026-10-16T16:00+02:00", "2026-10-19T10:00+02:00")], [66.0]),
    ],
    ids=["none", "office-week", "explicit-holiday", "country-years-apart", "calendar"],
)
def test_hours_between_each(
    spec: BusinessHoursSpec | None, spans: list[tuple[str, str]], expected: list[float]
) -> None:
    """Many intervals at once measure what `hours_between` measures for each."""
    # office week: Friday 16-17 + Monday 09-10; a weekend; zero length; Sunday to Tuesday
    # across the October change is Monday's 8 h. Holiday: Wednesday 12-17, Thursday off.
    # Country: 254 working days of 2026 (see test_long_spans) and a half hour in 2019
    assert _each(spec, *spans) == expected


@pytest.mark.parametrize("spec", [OFFICE, None], ids=["business", "calendar"])
def test_hours_between_each_rejects_end_before_start(spec: BusinessHoursSpec | None) -> None:
    """One interval ending before it starts is a ValueError naming it, as for one interval."""
    with pytest.raises(ValueError, match="ends 2026-10-19T11:59:00\\+00:00 before it starts"):
        _each(
            spec,
            ("2026-10-19T10:00Z", "2026-10-19T11:00Z"),
            ("2026-10-19T12:00Z", "2026-10-19T11:59Z"),
        )


_MICROS = st.integers(
    min_value=micros(datetime(2025, 1, 1, tzinfo=UTC)),
    max_value=micros(datetime(2027, 12, 31, tzinfo=UTC)),
)


@settings(max_examples=60, deadline=None)
@given(
    spec=st.none() | _specs(),
    days_off=st.sets(st.dates(date(2025, 1, 1), date(2027, 12, 31)), max_size=20),
    spans=st.lists(st.tuples(_MICROS, _MICROS).map(sorted), max_size=20),
)
def test_hours_between_each_is_hours_between(
    spec: BusinessHoursSpec | None, days_off: set[date], spans: list[list[int]]
) -> None:
    """The columnar measure is bit for bit the scalar one, across DST changes and holidays."""
    if spec is not None:
        spec = replace(spec, holidays=frozenset(days_off))
    starts = np.array([t0 for t0, _ in spans], dtype=np.int64)
    ends = np.array([t1 for _, t1 in spans], dtype=np.int64)
    columnar = BusinessCalendar.from_spec(spec).hours_between_each(starts, ends)
    scalar = BusinessCalendar.from_spec(spec)
    expected = [scalar.hours_between(instant_of(t0), instant_of(t1)) for t0, t1 in spans]
    assert columnar.tobytes() == np.array(expected, dtype=np.float64).tobytes()
