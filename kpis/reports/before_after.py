"""Before vs after go-live: every all-segment KPI over equal windows around the CRM's go-live,
with the change between them.

Before is the `comparison_months` months ending the day before go-live (go-live 2026-03-01
with 6 months: 2025-09-01..2026-02-28); after is the same number of months from the go-live
day (2026-03-01..2026-08-31), both whole local days in the reporting time zone. While the
after window is still running its KPIs run through today, and `Elapsed` says how much of it
has passed. Both are custom periods given to `kpis.engine.compute`, so every KPI in the
registry is compared, each under its own rules.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from kpis.dataset import Dataset
from kpis.engine import compute
from kpis.periods import Period, custom, local_midnight
from kpis.reports import local_date
from kpis.results import ALL, RELATIVE_UNITS, Number, ResultRow, Unit
from kpis.settings import KpiSettings

_DAY_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class KpiChange:
    """One KPI before and after go-live.

    `change` is `after - before`, in percentage points for a ratio (0.25 to 0.30 is 5.0), in
    the KPI's unit otherwise (money stays a Decimal); None when either value is None.
    `relative_change` is that change ÷ |before| for totals and averages (`RELATIVE_UNITS`),
    so a rise is positive; None for ratios and scores, and when `before` is None or 0.
    """

    kpi: str
    unit: Unit
    before: ResultRow
    after: ResultRow | None
    change: Number | None
    relative_change: float | None


@dataclass(frozen=True, slots=True)
class Elapsed:
    """How much of the after window has passed at `now`, in months and in days.

    Days are real time, `(now - start).total_seconds() / 86400`, so a DST change counts its
    real hours. Months are whole calendar months passed plus the share of the running month
    passed, in real time. Both stop at the window's length.
    """

    months: float
    days: float
    of_days: float

    @property
    def complete(self) -> bool:
        """Whether the whole after window has passed."""
        return self.days >= self.of_days


@dataclass(frozen=True)
class BeforeAfter:
    """The comparison around `go_live`.

    `months` is each window's length in calendar months. `after_window` is the whole window
    from go-live; `after` is the part of it through today that the KPIs cover (all of it once
    it has passed), None while go-live is still ahead, as is `elapsed`. Money values are in
    `currency`; changes come in the registry's KPI order.
    """

    go_live: date
    months: int
    currency: str
    before: Period
    after_window: Period
    after: Period | None
    elapsed: Elapsed | None
    changes: tuple[KpiChange, ...]


def before_after(
    data: Dataset, settings: KpiSettings, go_live: date, comparison_months: int, now: datetime
) -> BeforeAfter:
    """Every all-segment KPI over the windows before and after `go_live`.

    Raises `ValueError` when `comparison_months` is not positive, and `CurrencyError` when a
    deal's currency has no rate.
    """
    if comparison_months < 1:
        raise ValueError(f"comparison_months must be at least 1 (got {comparison_months})")
    tz = settings.timezone
    one_day = timedelta(days=1)
    before = custom(add_months(go_live, -comparison_months), go_live - one_day, tz)
    window = custom(go_live, add_months(go_live, comparison_months) - one_day, tz)
    today = local_date(now, tz)
    after = custom(go_live, min(today, window.last_day), tz) if go_live <= today else None
    periods = [before] if after is None else [before, after]
    rows = [row for row in compute(data, periods, settings) if row.segment_by == ALL]
    after_rows = {row.kpi: row for row in rows if row.period == after}
    changes = tuple(compare(row, after_rows.get(row.kpi)) for row in rows if row.period == before)
    return BeforeAfter(
        go_live=go_live,
        months=comparison_months,
        currency=settings.currency.upper(),
        before=before,
        after_window=window,
        after=after,
        elapsed=None if after is None else elapsed(window, comparison_months, now),
        changes=changes,
    )


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` months later (earlier when negative), or that
    month's last day when it is shorter."""
    year, index = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, index + 1)[1]
    return date(year, index + 1, min(day.day, last))


def elapsed(window: Period, months: int, now: datetime) -> Elapsed:
    """How much of `window`, `months` calendar months from its first day, has passed at `now`."""
    start, end = window.start, window.end
    at = min(max(now, start), end)
    passed = 0
    while passed < months and _month_start(window, passed + 1) <= at:
        passed += 1
    share = 0.0
    if passed < months:
        month_start, month_end = _month_start(window, passed), _month_start(window, passed + 1)
        share = (at - month_start).total_seconds() / (month_end - month_start).total_seconds()
    return Elapsed(
        months=passed + share,
        days=(at - start).total_seconds() / _DAY_SECONDS,
        of_days=window_days(window),
    )


def window_days(period: Period) -> float:
    """A period's length in days of real time, so a DST change counts its real hours."""
    return (period.end - period.start).total_seconds() / _DAY_SECONDS


def _month_start(window: Period, months: int) -> datetime:
    """The instant `months` calendar months after the window's first local midnight, in UTC:
    subtracting two times of one zone would ignore a DST hour."""
    return local_midnight(add_months(window.first_day, months), window.tz).astimezone(UTC)


def compare(before: ResultRow, after: ResultRow | None) -> KpiChange:
    """One KPI's change from its `before` row to its `after` row (None: no after window)."""
    old = before.value
    new = None if after is None else after.value
    change = None if old is None or new is None else _difference(new, old, before.unit)
    relative = (
        None
        if change is None or old is None or old == 0 or before.unit not in RELATIVE_UNITS
        else float(change) / abs(float(old))
    )
    return KpiChange(before.kpi, before.unit, before, after, change, relative)


def _difference(new: Number, old: Number, unit: Unit) -> Number:
    """`new - old`, exact when both are exact (money stays a Decimal); points for a ratio."""
    if unit == "ratio":
        # through str, so that 0.30 - 0.25 is 5.0 points and not its binary neighbour
        return float((Decimal(str(new)) - Decimal(str(old))) * 100)
    if isinstance(new, float) or isinstance(old, float):
        return float(new) - float(old)
    if isinstance(new, Decimal) or isinstance(old, Decimal):
        return Decimal(new) - Decimal(old)
    return new - old
