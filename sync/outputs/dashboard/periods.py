"""Which periods a Dashboard block of one grain shows at `now`.

The headline is the last complete period (it ended by `now`), compared with the one before
and the same period a year earlier; the period that contains `now` is shown apart, with how
many of its local days have begun.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kpis.periods import Grain, Period, period_containing


@dataclass(frozen=True)
class GrainPeriods:
    """The published periods of one grain, oldest first, and the ones each block needs."""

    grain: Grain
    complete: tuple[Period, ...]
    current: Period | None

    @property
    def last(self) -> Period | None:
        """The last complete period: the headline."""
        return self.complete[-1] if self.complete else None


def grain_periods(grain: Grain, periods: Iterable[Period], now: datetime) -> GrainPeriods:
    """The published periods of `grain` that ended by `now`, and the one running at `now`."""
    of_grain = sorted({p for p in periods if p.grain == grain}, key=lambda p: p.first_day)
    complete = tuple(p for p in of_grain if p.end <= now)
    running = [p for p in of_grain if p.contains(now)]
    return GrainPeriods(grain, complete, running[0] if running else None)


def year_before(period: Period) -> Period:
    """The same period a year earlier: the month, quarter or year; a week 52 weeks back."""
    if period.grain == "week":
        return period_containing("week", period.first_day - timedelta(weeks=52), period.tz)
    first = period.first_day
    return period_containing(period.grain, date(first.year - 1, first.month, 1), period.tz)


def days_passed(period: Period, now: datetime) -> tuple[int, int]:
    """Local days of the period begun by `now` (today included) and its length in days."""
    today = now.astimezone(period.tz).date()
    total = (period.last_day - period.first_day).days + 1
    return min(max((today - period.first_day).days + 1, 0), total), total
