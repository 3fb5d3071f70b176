"""When things happen in the demo CRM: the 24 months before the anchor, and office hours.

The demo's "now" is 00:00 UTC of the anchor date; every event happens before it. Contacts
arrive at a rate that grows linearly over the span, so trends are visible, and contact
index order is creation order, so any contact's creation time follows from its index alone.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# the arrival rate at the end of the span is 1 + GROWTH times the rate at its start
GROWTH = 1.5
SPAN_YEARS = 2

# the office the support team works in, matching the example config's business hours
OFFICE = ZoneInfo("Europe/Berlin")
OPENS = time(9)
CLOSES = time(17)


@dataclass(frozen=True, slots=True)
class Timeline:
    """The demo's time span: `[start, now)`."""

    start: datetime
    now: datetime

    @classmethod
    def ending(cls, anchor: date) -> Timeline:
        """The span of the `SPAN_YEARS` years before 00:00 UTC of `anchor`."""
        first = _years_before(anchor, SPAN_YEARS)
        return cls(
            datetime(first.year, first.month, first.day, tzinfo=UTC),
            datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC),
        )

    def contact_created(self, index: int, count: int, jitter: float) -> datetime:
        """When contact `index` of `count` arrives; `jitter` in [0, 1) places it in its slot."""
        share = (index + jitter) / count
        # inverse of the cumulative arrival share (x + GROWTH x^2 / 2) / (1 + GROWTH / 2)
        position = (math.sqrt(1 + 2 * GROWTH * share * (1 + GROWTH / 2)) - 1) / GROWTH
        return self.start + timedelta(seconds=int(position * self._seconds()))

    def progress(self, instant: datetime) -> float:
        """How far into the span `instant` is, from 0 at the start to 1 at `now`."""
        return (instant - self.start).total_seconds() / self._seconds()

    def _seconds(self) -> float:
        return (self.now - self.start).total_seconds()


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def later(instant: datetime, days: float) -> datetime:
    """`instant` plus `days`, in whole seconds and at least a minute later."""
    return instant + timedelta(seconds=max(60, int(days * 86400)))


def office_moment(rng: random.Random, instant: datetime) -> datetime:
    """`instant` if it falls in office hours, else a random time of the next office day."""
    local = instant.astimezone(OFFICE)
    day = local.date()
    if day.weekday() < 5 and OPENS <= local.time() < CLOSES:
        return instant
    if local.time() >= CLOSES:
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    opened = _office_minutes(OPENS)
    minute = rng.randrange(opened, _office_minutes(CLOSES))
    second = rng.randrange(60)
    moment = time(minute // 60, minute % 60, second)
    return datetime.combine(day, moment, OFFICE).astimezone(UTC)


def after_office_hours(instant: datetime, hours: float) -> datetime:
    """The moment `hours` of office time have passed since `instant` (weekends off)."""
    local = instant.astimezone(OFFICE)
    remaining = timedelta(seconds=int(hours * 3600))
    while True:
        day = local.date()
        closes = datetime.combine(day, CLOSES, OFFICE)
        if day.weekday() < 5 and local < closes:
            begin = max(local, datetime.combine(day, OPENS, OFFICE))
            # same-zone arithmetic is wall-clock time, and no DST change falls in office hours
            if remaining <= closes - begin:
                return (begin + remaining).astimezone(UTC)
            remaining -= closes - begin
        local = datetime.combine(day + timedelta(days=1), time(0), OFFICE)


def _office_minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute
