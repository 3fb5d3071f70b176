"""Business time between two instants: the part of `[t0, t1)` inside the working windows.

A working window is one local day's `[start, end)` clock time in the schedule's time zone,
on a working weekday that is not a holiday. Its bounds are built in local time and then
converted to UTC, so a window is clock time: 09:00-17:00 is 8 hours on a DST day too, and
00:00-06:00 is 7 hours on the night the clocks go back.

Windows are tabulated once per range of years, with the business time accumulated before
each, so any interval costs two binary searches however long it is: a ticket open for a
year costs what one open for a minute does. `hours_between_each` measures many intervals
at once, in columns of microseconds, with the same table and arithmetic as `hours_between`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import numpy.typing as npt

from kpis.columns import Instants, instant_of
from kpis.settings import BusinessHoursSpec

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_MICROSECONDS_PER_HOUR = 3_600_000_000
# below this many microseconds (285 years) an int64 converts to float64 exactly, so numpy's
# division is the correctly rounded one Python does on ints
_EXACT_FLOAT_MICROS = 2**53


def check_country(code: str) -> None:
    """Raise `ValueError` naming `code` unless the `holidays` package knows that country.

    `code` is an ISO 3166 country code, optionally with a subdivision (`DE`, `DE-BY`).
    """
    _country_and_subdivision(code)


def public_holidays(code: str, years: Iterable[int]) -> set[date]:
    """The public holidays (observed days included) of a country in the given years."""
    country, subdivision = _country_and_subdivision(code)
    return set(holidays.country_holidays(country, subdiv=subdivision, years=years))


def _country_and_subdivision(code: str) -> tuple[str, str | None]:
    supported = holidays.list_supported_countries()
    country_text, _, subdivision_text = code.strip().partition("-")
    country = country_text.upper()
    if country not in supported:
        raise ValueError(
            f"unknown country {code!r} for public holidays: use an ISO 3166 code such as "
            "DE, or DE-BY with a subdivision"
        )
    if not subdivision_text:
        return country, None
    # subdivision codes are mostly upper case, but a few are names ("Augsburg")
    by_folded = {name.casefold(): name for name in supported[country]}
    subdivision = by_folded.get(subdivision_text.casefold())
    if subdivision is None:
        known = ", ".join(supported[country]) or "none"
        raise ValueError(
            f"unknown subdivision {subdivision_text!r} of country {country} in {code!r} "
            f"for public holidays; known: {known}"
        )
    return country, subdivision


def micros(instant: datetime) -> int:
    """Microseconds since the Unix epoch: exact integers, so split intervals add up exactly.

    A naive `instant` raises `TypeError`: it names no instant.
    """
    return (instant - _EPOCH) // _MICROSECOND


def first_instant_at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The first instant, in UTC, at which the local clock on `day` reads `clock` or later.

    An ambiguous clock time (the repeated hour when clocks go back) is its first occurrence.
    A clock time the spring-forward gap skips is the instant of the change, the first
    reading past it: Python alone would read it with the old offset, an hour too late.
    """
    naive = datetime.combine(day, clock)
    instant = naive.replace(tzinfo=tz).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == naive:
        return instant
    # in the gap: the change lies between the readings with the new and the old offset
    low = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = instant
    while high - low > _MICROSECOND:
        middle = low + (high - low) / 2
        if middle.astimezone(tz).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return high


class BusinessCalendar:
    """Measures business time under one schedule; `None` as the spec means 24/7.

    The table of windows grows on demand to the years asked about. It is a cache: answers
    never depend on what was asked before.
    """

    def __init__(self, spec: BusinessHoursSpec | None) -> None:
        self.spec = spec
        if spec is not None and spec.country is not None:
            check_country(spec.country)
        self._first_year = 0
        self._last_year = -1
        # the instants the table covers, [low, high): checking them is cheaper than a year
        self._low = 0
        self._high = 0
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._before: list[int] = []
        # the same table as arrays, for measuring columns of intervals
        self._start_array: Instants = np.zeros(0, dtype=np.int64)
        self._end_array: Instants = np.zeros(0, dtype=np.int64)
        self._before_array: Instants = np.zeros(0, dtype=np.int64)

    @classmethod
    def from_spec(cls, spec: BusinessHoursSpec | None) -> BusinessCalendar:
        """The calendar of a schedule; `ValueError` naming an unknown holiday country."""
        return cls(spec)

    def hours_between(self, t0: datetime, t1: datetime) -> float:
        """Business hours in `[t0, t1)`; `ValueError` when `t1` is before `t0`."""
        return self.micros_between(t0, t1) / _MICROSECONDS_PER_HOUR

    def micros_between(self, t0: datetime, t1: datetime) -> int:
        """Business time in `[t0, t1)`, in whole microseconds."""
        start, end = micros(t0), micros(t1)
        if end < start:
            raise ValueError(f"interval ends {t1.isoformat()} before it starts {t0.isoformat()}")
        if self.spec is None:
            return end - start
        if start < self._low or end > self._high:
            self._cover(t0, t1)
        return self._elapsed(end) - self._elapsed(start)

    def hours_between_each(self, starts: Instants, ends: Instants) -> npt.NDArray[np.float64]:
        """Business hours in each `[starts[i], ends[i])`, instants as microseconds since the epoch.

        Bit for bit what `hours_between` gives for each interval; `ValueError` when one ends
        before it starts.
        """
        elapsed = self.micros_between_each(starts, ends)
        hours: npt.NDArray[np.float64] = elapsed / _MICROSECONDS_PER_HOUR
        huge = np.flatnonzero(np.abs(elapsed) >= _EXACT_FLOAT_MICROS)
        hours[huge] = [value / _MICROSECONDS_PER_HOUR for value in elapsed[huge].tolist()]
        return hours

    def micros_between_each(self, starts: Instants, ends: Instants) -> Instants:
        """`micros_between` of each interval `[starts[i], ends[i])`."""
        backwards = np.flatnonzero(ends < starts)
        if len(backwards):
            first = backwards[0]
            raise ValueError(
                f"interval ends {instant_of(ends[first]).isoformat()} before it starts "
                f"{instant_of(starts[first]).isoformat()}"
            )
        if self.spec is None or not len(starts):
            elapsed: Instants = ends - starts
            return elapsed
        low, high = int(starts.min()), int(ends.max())
        if low < self._low or high > self._high:
            self._cover(instant_of(low), instant_of(high))
        return self._elapsed_each(ends) - self._elapsed_each(starts)

    def _elapsed_each(self, instants: Instants) -> Instants:
        """`_elapsed` of each instant."""
        if not len(self._start_array):
            return np.zeros(len(instants), dtype=np.int64)
        index = np.searchsorted(self._start_array, instants, side="right") - 1
        # an instant before the first window has none before it: 0, as in `_elapsed`
        inside = np.maximum(index, 0)
        elapsed: Instants = (
            self._before_array[inside]
            + np.minimum(instants, self._end_array[inside])
            - self._start_array[inside]
        )
        return np.where(index < 0, 0, elapsed)

    def _elapsed(self, instant: int) -> int:
        """Business time from the start of the table to `instant`."""
        index = bisect_right(self._starts, instant) - 1
        if index < 0:
            return 0
        end = self._ends[index]
        return self._before[index] + (instant if instant < end else end) - self._starts[index]

    def _cover(self, t0: datetime, t1: datetime) -> None:
        assert self.spec is not None
        tz = self.spec.timezone
        first, last = t0.astimezone(tz).year, t1.astimezone(tz).year
        if self._low < self._high:
            first, last = min(first, self._first_year), max(last, self._last_year)
        self._tabulate(first, last)

    def _tabulate(self, first_year: int, last_year: int) -> None:
        spec = self.spec
        assert spec is not None
        years = range(first_year, last_year + 1)
        days_off = set(spec.holidays)
        if spec.country is not None:
            days_off |= public_holidays(spec.country, years)
        starts, ends, before = [], [], []
        total = 0
        first_day, last_day = date(first_year, 1, 1), date(last_year, 12, 31)
        for ordinal in range(first_day.toordinal(), last_day.toordinal() + 1):
            day = date.fromordinal(ordinal)
            if day.isoweekday() in spec.days and day not in days_off:
                start = micros(first_instant_at(day, spec.start, spec.timezone))
                # a window inside the spring-forward gap collapses to nothing
                end = max(start, micros(first_instant_at(day, spec.end, spec.timezone)))
                starts.append(start)
                ends.append(end)
                before.append(total)
                total += end - start
        self._first_year, self._last_year = first_year, last_year
        self._low = micros(first_instant_at(first_day, time(0), spec.timezone))
        self._high = micros(first_instant_at(date(last_year + 1, 1, 1), time(0), spec.timezone))
        self._starts, self._ends, self._before = starts, ends, before
        self._start_array = np.array(starts, dtype=np.int64)
        self._end_array = np.array(ends, dtype=np.int64)
        self._before_array = np.array(before, dtype=np.int64)
