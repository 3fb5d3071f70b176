"""Money in the reporting currency: fixed-rate conversion and rounding of published values.

`[currency.rates]` gives the value of one unit of a currency in the reporting currency
(`USD = 0.92` with `EUR` reporting means 1 USD = 0.92 EUR). A deal with no currency is in the
reporting currency. Amounts stay exact `Decimal`s until a value is published.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from connectors.errors import ConfigurationError
from connectors.schema import Deal
from kpis.column_records import deal_at
from kpis.columns import DealColumns
from kpis.dataset import Dataset
from kpis.settings import KpiSettings

CENT = Decimal("0.01")
# half up (away from zero, amounts are never negative) is what Sheets' and Excel's ROUND do
# and what accountants call commercial rounding: a reader who re-adds the cents gets our figure
ROUNDING = ROUND_HALF_UP


class CurrencyError(ConfigurationError, ValueError):
    """Deal amounts in currencies with no rate; `examples` maps each currency to one such deal."""

    def __init__(self, reporting_currency: str, examples: Mapping[str, Deal]) -> None:
        self.reporting_currency = reporting_currency
        self.examples = dict(sorted(examples.items()))
        listed = ", ".join(
            f"{code} (e.g. {deal.source} deal {deal.id!r})" for code, deal in self.examples.items()
        )
        first = next(iter(self.examples), "USD")
        super().__init__(
            f"no exchange rate to {reporting_currency} for {listed}: add each under "
            f"[currency.rates] as the value of one unit in {reporting_currency}, "
            f"e.g. {first} = 0.92"
        )


@dataclass(frozen=True, slots=True)
class Converter:
    """Converts deal amounts to `currency` with fixed `rates` (the reporting currency is 1)."""

    currency: str
    rates: Mapping[str, Decimal]

    @classmethod
    def from_settings(cls, settings: KpiSettings) -> Converter:
        currency = settings.currency.upper()
        rates = {code.upper(): rate for code, rate in settings.rates.items()}
        rates[currency] = Decimal(1)
        return cls(currency, rates)

    def rate(self, currency: str | None) -> Decimal | None:
        """The value of one unit of `currency` in the reporting currency; None if unknown."""
        if currency is None:
            return Decimal(1)
        found = self.rates.get(currency)
        return found if found is not None else self.rates.get(currency.upper())

    def amount(self, deal: Deal) -> Decimal | None:
        """The deal's amount in the reporting currency; None when the deal has no amount."""
        if deal.amount is None:
            return None
        rate = self.rate(deal.currency)
        if rate is None:
            raise CurrencyError(self.currency, {str(deal.currency).upper(): deal})
        return deal.amount * rate

    def values(self, deals: DealColumns, positions: Iterable[int]) -> list[Decimal | None]:
        """`amount` of the deals at `positions` of the columns, in that order.

        Raises `CurrencyError` as `amount` does; `check_currencies` first avoids it.
        """
        rates = [self.rate(code) for code in deals.currency.values]
        rates.append(Decimal(1))  # NO_LABEL (-1): no currency is the reporting currency
        amounts = deals.amount
        codes = deals.currency.codes
        values: list[Decimal | None] = []
        for at in positions:
            amount = amounts[at]
            if amount is None:
                values.append(None)
                continue
            rate = rates[codes[at]]
            if rate is None:
                currency = str(deals.currency.at(at)).upper()
                raise CurrencyError(self.currency, {currency: deal_at(deals, (), at)})
            values.append(amount * rate)
        return values


def check_currencies(data: Dataset, settings: KpiSettings) -> None:
    """Raise `CurrencyError` naming every currency that needs a rate the settings lack.

    Only deals with an amount need a rate: a deal without one never enters a sum. The deals'
    past versions (`Columns.versions`) need theirs too.
    """
    converter = Converter.from_settings(settings)
    deals = data.columns.deals
    examples: dict[str, Deal] = {}
    for code, currency in enumerate(deals.currency.values):
        if converter.rate(currency) is not None:
            continue
        # the first deal (in dataset order) in this currency that has an amount
        for at in np.flatnonzero(deals.currency.codes == code).tolist():
            if deals.amount[at] is not None:
                examples.setdefault(currency.upper(), deal_at(deals, (), at))
                break
    versions = data.columns.versions
    for code, currency in enumerate(versions.currency.values):
        if converter.rate(currency) is not None or currency.upper() in examples:
            continue
        # a past version of a deal, in a currency the deal has since left
        for at in np.flatnonzero(versions.currency.codes == code).tolist():
            if versions.amount[at] is not None:
                deal = deal_at(deals, (), int(versions.deal[at]))
                examples.setdefault(currency.upper(), deal)
                break
    if examples:
        raise CurrencyError(converter.currency, examples)


def round_money(value: Decimal) -> Decimal:
    """A published money value: 2 decimals, halves rounded up."""
    return value.quantize(CENT, rounding=ROUNDING)
