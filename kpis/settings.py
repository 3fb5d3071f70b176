"""The settings the KPIs depend on, decoupled from the config file's layout."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class KpiSettings:
    """`rates` maps a currency to its value in `currency` (`USD: 0.92` means 1 USD = 0.92 EUR)."""

    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    currency: str = "EUR"
    rates: Mapping[str, Decimal] = field(default_factory=dict)
    new_customer_window_days: int = 365
    customer_lifespan_years: float | None = None
