"""customer_lifetime_value: what a customer brings in a year, times how many years they stay.

Over the window W of the 365 local days ending with the period's last day: customer value =
average purchase value * purchase frequency (= Σ amount ÷ distinct purchasing customers), and
lifespan in years = 1 ÷ the churn over W (one interval of a year, so an annual rate).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from kpis.churn import churn_index
from kpis.customers import distinct
from kpis.dataset import Dataset
from kpis.money import round_money
from kpis.periods import Period, custom
from kpis.purchases import purchase_index
from kpis.results import ResultRow
from kpis.segments import ALL_SEGMENT
from kpis.settings import KpiSettings

WINDOW_DAYS = 365
DEFAULT_LIFESPAN_YEARS = Decimal(3)


def lifetime_window(period: Period) -> Period:
    """W: the 365 local days that end with the period's last day, whatever its length."""
    return custom(period.last_day - timedelta(days=WINDOW_DAYS - 1), period.last_day, period.tz)


def customer_lifetime_value(
    data: Dataset, period: Period, settings: KpiSettings
) -> list[ResultRow]:
    """Customer value over W * lifespan; null without a purchase in W.

    `numerator` is the customer value (rounded), `denominator` the annual churn used
    (1 ÷ lifespan), so `value = numerator ÷ denominator` up to the cents; `n` is the number of
    distinct purchasing customers. `note` says when the 3-year default lifespan was used.
    """
    window = lifetime_window(period)
    purchases = purchase_index(data, settings).purchases_in(window.start, window.end)
    customers = distinct(purchases.customer)
    row = ResultRow(
        "customer_lifetime_value", period, ALL_SEGMENT[0], ALL_SEGMENT[1], None, "currency", 0
    )
    if not customers:
        return [row]
    customer_value = sum(purchases.value, Decimal(0)) / customers
    lifespan, note = _lifespan(data, settings, window)
    return [
        replace(
            row,
            value=round_money(customer_value * lifespan),
            n=customers,
            numerator=round_money(customer_value),
            denominator=float(1 / lifespan),
            note=note,
        )
    ]


def _lifespan(data: Dataset, settings: KpiSettings, window: Period) -> tuple[Decimal, str | None]:
    """Years a customer stays, and a note when it is the default rather than measured or set."""
    if settings.customer_lifespan_years is not None:
        # through str, so that a configured 2.2 is 2.2 and not its binary approximation
        return Decimal(str(settings.customer_lifespan_years)), None
    count = churn_index(data, settings).count(window.start, window.end)
    if count.churned:
        return Decimal(count.base) / count.churned, None
    churn = "0" if count.base else "undefined (no customer at its start)"
    note = (
        f"lifespan of {DEFAULT_LIFESPAN_YEARS} years assumed: kpis.customer_lifespan_years "
        f"is unset and the churn over {window.label} is {churn}"
    )
    return DEFAULT_LIFESPAN_YEARS, note
