"""Acquisition spend of a period: monthly entries converted and prorated by local days.

Spend is entered per calendar month (`[[spend]]` in the config, or the sheet's Inputs tab).
A period gets each month's spend times the share of that month's local days inside it: a
quarter gets three whole months, an ISO week 7/30 of a 30-day month, a custom range across
two months a part of each.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from kpis.money import Converter, CurrencyError
from kpis.periods import Period
from kpis.settings import KpiSettings


class SpendCurrencyError(CurrencyError):
    """Spend in currencies with no rate; `months` maps each currency to a month that uses it."""

    def __init__(self, reporting_currency: str, months: Mapping[str, date]) -> None:
        self.reporting_currency = reporting_currency
        self.examples = {}
        self.months = dict(sorted(months.items()))
        listed = ", ".join(
            f"{code} (e.g. the spend of {month:%Y-%m})" for code, month in self.months.items()
        )
        # skips CurrencyError's message, which names deals, but stays one for the callers that
        # report a missing rate as a configuration error
        ValueError.__init__(
            self,
            f"no exchange rate to {reporting_currency} for {listed}: add each under "
            f"[currency.rates] as the value of one unit in {reporting_currency}",
        )


def check_spend_currencies(settings: KpiSettings) -> None:
    """Raise `SpendCurrencyError` naming every spend currency the settings have no rate for."""
    converter = Converter.from_settings(settings)
    months: dict[str, date] = {}
    for entry in settings.spend:
        if converter.rate(entry.currency) is None:
            months.setdefault(str(entry.currency).upper(), entry.month)
    if months:
        raise SpendCurrencyError(converter.currency, months)


@dataclass(frozen=True, slots=True)
class PeriodSpend:
    """The spend of a period in the reporting currency, unrounded.

    `amount` is None when no month of the period has an entry; `missing` names the months
    of the period that have none (`2026-11`), which count as no spend.
    """

    amount: Decimal | None
    missing: tuple[str, ...]


def spend_in(period: Period, settings: KpiSettings) -> PeriodSpend:
    """The prorated, converted spend of the months that overlap the period."""
    check_spend_currencies(settings)
    converter = Converter.from_settings(settings)
    entries = {(entry.month.year, entry.month.month): entry for entry in settings.spend}
    total: Decimal | None = None
    missing = []
    for first, last in _months(period.first_day, period.last_day):
        entry = entries.get((first.year, first.month))
        if entry is None:
            missing.append(f"{first:%Y-%m}")
            continue
        rate = converter.rate(entry.currency)
        assert rate is not None
        days_inside = (last - first).days + 1
        month_days = calendar.monthrange(first.year, first.month)[1]
        # multiplying before dividing keeps whole-month and even shares exact
        share = entry.amount * rate * days_inside / month_days
        total = share if total is None else total + share
    return PeriodSpend(total, tuple(missing))


def _months(first_day: date, last_day: date) -> Iterator[tuple[date, date]]:
    """The part of each calendar month inside `[first_day, last_day]`, as inclusive days."""
    day = first_day
    while day <= last_day:
        month_end = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        yield day, min(month_end, last_day)
        day = month_end + timedelta(days=1)
