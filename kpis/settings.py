"""The settings the KPIs depend on, decoupled from the config file's layout."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class BusinessHoursSpec:
    """Working windows: `days` are ISO weekdays (1 = Monday), `start`/`end` local clock times.

    `holidays` are explicit dates off; `country` (ISO 3166 code, optionally with a
    subdivision as `DE-BY`) adds that country's public holidays.
    """

    timezone: ZoneInfo
    days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    start: time = time(9)
    end: time = time(17)
    holidays: frozenset[date] = frozenset()
    country: str | None = None


@dataclass(frozen=True)
class MonthlySpend:
    """Acquisition spend of one calendar month; `currency` None is the reporting currency."""

    month: date
    amount: Decimal
    currency: str | None = None


@dataclass(frozen=True)
class KpiSettings:
    """`rates` maps a currency to its value in `currency` (`USD: 0.92` means 1 USD = 0.92 EUR).

    `business_hours` None means 24/7 calendar time. `spend` has at most one entry per month.
    `stuck_days` maps a stage, named `Pipeline label / Stage label` as its rows are, to the
    days after which an open deal in it is stuck (`docs/kpis.md`, stuck_deals). `now` is
    the instant of the run: a period still running is measured at it, not at its end.
    """

    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    currency: str = "EUR"
    rates: Mapping[str, Decimal] = field(default_factory=dict)
    new_customer_window_days: int = 365
    customer_lifespan_years: float | None = None
    business_hours: BusinessHoursSpec | None = None
    spend: tuple[MonthlySpend, ...] = ()
    forecast_months: int = 6
    stuck_days: Mapping[str, float] = field(default_factory=dict)
    now: datetime | None = None
