"""Reporting periods: half-open intervals of local midnights in the reporting time zone.

Labels: month `2026-10`, quarter `2026-Q3`, year `2026`, ISO week `2026-W40`, custom
`2026-01-01..2026-03-31` (both dates inclusive). A period's bounds are aware datetimes at
local midnight, so a deal closed at 2026-09-30T22:30Z is in October under Europe/Berlin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, TypeAlias
from zoneinfo import ZoneInfo

Grain: TypeAlias = Literal["week", "month", "quarter", "year", "custom"]
GRAINS: tuple[Grain, ...] = ("week", "month", "quarter", "year")

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_CUSTOM = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True, slots=True)
class Period:
    """`[start, end)` between two local midnights; `first_day`/`last_day` are inclusive dates."""

    label: str
    grain: Grain
    first_day: date
    last_day: date
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        """The first instant, in UTC: subtracting two local times would ignore a DST hour."""
        return local_midnight(self.first_day, self.tz).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period, in UTC."""
        return local_midnight(self.last_day + timedelta(days=1), self.tz).astimezone(UTC)

    def contains(self, instant: datetime | None) -> bool:
        """Whether `instant` is in the period: `start <= instant < end`."""
        return instant is not None and self.start <= instant < self.end

    def previous(self) -> Period:
        """The period of the same grain just before this one (same length for custom)."""
        if self.grain == "custom":
            days = (self.last_day - self.first_day).days + 1
            return custom(
                self.first_day - timedelta(days=days), self.first_day - timedelta(days=1), self.tz
            )
        return period_containing(self.grain, self.first_day - timedelta(days=1), self.tz)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The instant a local day starts.

    Where a DST change skips midnight (America/Santiago), fold=0 maps the missing 00:00 to
    the first instant of the day, which is what a period boundary needs.
    """
    return datetime.combine(day, time(0), tzinfo=tz)


def month(year: int, month_number: int, tz: ZoneInfo) -> Period:
    first = date(year, month_number, 1)
    following = date(year + month_number // 12, month_number % 12 + 1, 1)
    return Period(
        f"{year:04d}-{month_number:02d}", "month", first, following - timedelta(days=1), tz
    )


def quarter(year: int, number: int, tz: ZoneInfo) -> Period:
    first = date(year, 3 * number - 2, 1)
    last = month(year, 3 * number, tz).last_day
    return Period(f"{year:04d}-Q{number}", "quarter", first, last, tz)


def year(number: int, tz: ZoneInfo) -> Period:
    return Period(f"{number:04d}", "year", date(number, 1, 1), date(number, 12, 31), tz)


def iso_week(year_number: int, week: int, tz: ZoneInfo) -> Period:
    first = date.fromisocalendar(year_number, week, 1)
    return Period(f"{year_number:04d}-W{week:02d}", "week", first, first + timedelta(days=6), tz)


def custom(first_day: date, last_day: date, tz: ZoneInfo) -> Period:
    if last_day < first_day:
        raise ValueError(f"period ends {last_day} before it starts {first_day}")
    return Period(
        f"{first_day.isoformat()}..{last_day.isoformat()}", "custom", first_day, last_day, tz
    )


def parse_period(label: str, tz: ZoneInfo) -> Period:
    """The period a label names; `ValueError` with the accepted forms for anything else."""
    text = label.strip()
    try:
        if m := _MONTH.match(text):
            return month(int(m[1]), int(m[2]), tz)
        if m := _QUARTER.match(text):
            return quarter(int(m[1]), int(m[2]), tz)
        if m := _YEAR.match(text):
            return year(int(m[1]), tz)
        if m := _WEEK.match(text):
            return iso_week(int(m[1]), int(m[2]), tz)
        if m := _CUSTOM.match(text):
            return custom(date.fromisoformat(m[1]), date.fromisoformat(m[2]), tz)
    except ValueError as exc:
        raise ValueError(f"period {label!r}: {exc}") from exc
    raise ValueError(
        f"period {label!r} is not one of 2026-10 (month), 2026-Q3 (quarter), 2026 (year), "
        "2026-W40 (ISO week) or 2026-01-01..2026-03-31 (custom, both dates inclusive)"
    )


def period_containing(grain: Grain, day: date, tz: ZoneInfo) -> Period:
    """The period of `grain` that contains the local date `day`."""
    if grain == "month":
        return month(day.year, day.month, tz)
    if grain == "quarter":
        return quarter(day.year, (day.month - 1) // 3 + 1, tz)
    if grain == "year":
        return year(day.year, tz)
    if grain == "week":
        iso = day.isocalendar()
        return iso_week(iso.year, iso.week, tz)
    raise ValueError(f"no period of grain {grain!r} contains a day")


def recent_periods(grain: Grain, now: datetime, count: int, tz: ZoneInfo) -> list[Period]:
    """The period of `grain` containing `now` and the `count - 1` before it, oldest first."""
    current = period_containing(grain, now.astimezone(tz).date(), tz)
    periods = [current]
    for _ in range(count - 1):
        periods.append(periods[-1].previous())
    return periods[::-1]
