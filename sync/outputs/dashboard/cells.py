"""How one Dashboard number reads: its format, its unit, a change with its arrow and colour.

Rates change in percentage points, NPS in points, every other quantity relative to the
period it is compared with (in its own unit when that was 0). The arrow follows the sign
of the change as shown, the colour whether the KPI's catalog direction (`KpiSpec.better`)
calls it better or worse; a change drawn from a small sample is not coloured.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from kpis.catalog import KPIS
from kpis.results import RELATIVE_UNITS, Number, ResultRow, Unit
from sync.outputs.workbook import BAD, GOOD, unit_text, whole_currency_format

# below this many samples (deals, customers, answers, tickets) a number is marked as resting
# on little evidence and its changes get no colour: docs/kpis.md, Dashboard and Goals tabs
LOW_SAMPLE_N = 30
MISSING = "—"
UP, DOWN = "▲", "▼"

_FORMATS: dict[Unit, str] = {
    "ratio": "percent",
    "days": "days",
    "hours": "hours",
    "score": "integer",
    "count": "number",
}


def display_format(unit: Unit, currency: str) -> str:
    """The Dashboard's format of a value: money without cents, NPS without decimals."""
    return whole_currency_format(currency) if unit == "currency" else _FORMATS[unit]


def low_sample(row: ResultRow | None) -> bool:
    return row is not None and row.n < LOW_SAMPLE_N


@dataclass(frozen=True)
class Change:
    """A change as shown (`▲ +2.1 pp`) and its style (good, bad or none)."""

    text: str
    style: str | None


def change(kpi: str, now: ResultRow | None, before: ResultRow | None, currency: str) -> Change:
    """The change from `before` to `now`; `—` when either side has no value."""
    if now is None or before is None or now.value is None or before.value is None:
        return Change(MISSING, None)
    amount, suffix, places = _measure(
        _decimal(now.value), _decimal(before.value), now.unit, currency
    )
    shown = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if shown == 0:
        return Change(f"{abs(shown):,.{places}f}{suffix}", None)
    text = f"{UP if shown > 0 else DOWN} {shown:+,.{places}f}{suffix}"
    if low_sample(now) or low_sample(before):
        return Change(text, None)
    better = (shown > 0) == (KPIS[kpi].better == "higher")
    return Change(text, GOOD if better else BAD)


def _measure(value: Decimal, prior: Decimal, unit: Unit, currency: str) -> tuple[Decimal, str, int]:
    """The change as a number, its suffix and its decimals."""
    difference = value - prior
    if unit == "ratio":
        return difference * 100, " pp", 1
    if unit not in RELATIVE_UNITS:
        return difference, " pts", 0
    if prior != 0:
        return difference / abs(prior) * 100, " %", 1
    # from nothing there is no relative change: the amount itself, money in whole units
    return difference, f" {unit_text(unit, currency)}", 0 if unit == "currency" else 1


def _decimal(value: Number) -> Decimal:
    # through str, so that 0.12 - 0.1 is 0.02 and not its binary neighbour
    return value if isinstance(value, Decimal) else Decimal(str(value))
