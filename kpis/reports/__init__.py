"""The reports of `docs/kpis.md` that have tabs of their own, and what they share.

Each report is a pure function returning a frozen dataclass of its own shape (a KPI is a
list of `ResultRow`s; a report is several small tables): `kpis.reports.forecast`,
`kpis.reports.performance`, `kpis.reports.lost_deals`, `kpis.reports.before_after`.

Money follows the KPI rules: amounts in the reporting currency, exact until a total is
published rounded to 2 places, and a deal without an amount counts in counts but never in a
sum. A sum over no amount is None, not 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from kpis.money import round_money


@dataclass
class Tally:
    """A running count of deals and the amounts of those that have one (reporting currency)."""

    deals: int = 0
    amounts: list[Decimal] = field(default_factory=list)

    def add(self, amount: Decimal | None) -> None:
        self.deals += 1
        if amount is not None:
            self.amounts.append(amount)

    @property
    def total(self) -> Decimal | None:
        """The rounded sum of the amounts; None when no deal had one."""
        return money_total(self.amounts)


def money_total(amounts: list[Decimal]) -> Decimal | None:
    """The exact sum rounded to cents, or None for no amounts."""
    return round_money(sum(amounts, Decimal(0))) if amounts else None


def money_or_none(amount: Decimal | None) -> Decimal | None:
    """An amount rounded to cents, or None for no amount."""
    return None if amount is None else round_money(amount)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The calendar day an instant falls on in the reporting time zone."""
    return instant.astimezone(tz).date()
