"""Before vs after go-live: every all-segment KPI over a window before the CRM went live and
the window since, with the change between them.

Before is the `comparison_months` months ending the day before go-live (go-live 2026-03-01
with 6 months: 2025-09-01..2026-02-28); after runs from the go-live day through today, both
whole local days in the reporting time zone. Both are custom periods given to
`kpis.engine.compute`, so every KPI in the registry is compared, each under its own rules.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from kpis.dataset import Dataset
from kpis.engine import compute
from kpis.periods import Period, custom
from kpis.reports import local_date
from kpis.results import ALL, Number, ResultRow, Unit
from kpis.settings import KpiSettings


@dataclass(frozen=True, slots=True)
class KpiChange:
    """One KPI before and after go-live.

    `change` is `after - before` (None when either is None). `relative_change` is that
    change ÷ |before|, so a rise is positive even from a negative NPS; None when `before`
    is None or 0 or `after` is None.
    """

    kpi: str
    unit: Unit
    before: ResultRow
    after: ResultRow | None
    change: Number | None
    relative_change: float | None


@dataclass(frozen=True)
class BeforeAfter:
    """The comparison around `go_live`; `after` is None while go-live is still ahead.

    Money values are in `currency`; changes come in the registry's KPI order.
    """

    go_live: date
    currency: str
    before: Period
    after: Period | None
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
    before = custom(months_before(go_live, comparison_months), go_live - timedelta(days=1), tz)
    today = local_date(now, tz)
    after = custom(go_live, today, tz) if go_live <= today else None
    periods = [before] if after is None else [before, after]
    rows = [row for row in compute(data, periods, settings) if row.segment_by == ALL]
    after_rows = {row.kpi: row for row in rows if row.period == after}
    changes = tuple(compare(row, after_rows.get(row.kpi)) for row in rows if row.period == before)
    return BeforeAfter(go_live, settings.currency.upper(), before, after, changes)


def months_before(day: date, months: int) -> date:
    """The same day of the month `months` months earlier, or that month's last day."""
    year, index = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, index + 1)[1]
    return date(year, index + 1, min(day.day, last))


def compare(before: ResultRow, after: ResultRow | None) -> KpiChange:
    """One KPI's change from its `before` row to its `after` row (None: no after window)."""
    old = before.value
    new = None if after is None else after.value
    change = None if old is None or new is None else _difference(new, old)
    relative = (
        None if change is None or old is None or old == 0 else float(change) / abs(float(old))
    )
    return KpiChange(before.kpi, before.unit, before, after, change, relative)


def _difference(new: Number, old: Number) -> Number:
    """`new - old`, exact when both are exact (money stays a Decimal)."""
    if isinstance(new, float) or isinstance(old, float):
        return float(new) - float(old)
    if isinstance(new, Decimal) or isinstance(old, Decimal):
        return Decimal(new) - Decimal(old)
    return new - old
