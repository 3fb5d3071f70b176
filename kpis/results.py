"""The result row every KPI produces, as `docs/kpis.md` specifies it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, TypeAlias

from kpis.periods import Period

Unit: TypeAlias = Literal["ratio", "currency", "days", "hours", "score", "count"]
# totals and averages change by a share of what they were; a rate or a score changes by
# points, and a relative change of a rate (a 10 % rate up 10 %) reads as a change of points
RELATIVE_UNITS: frozenset[Unit] = frozenset({"currency", "days", "hours", "count"})
Number: TypeAlias = int | float | Decimal

ALL = "all"
NONE_SEGMENT = "(none)"


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One number: a KPI over one period and one segment.

    `value` is None where the KPI is undefined (a ratio with a zero denominator, a mean over
    nothing). Money is a `Decimal` rounded to 2 places; ratios are fractions.
    """

    kpi: str
    period: Period
    segment_by: str
    segment: str
    value: Number | None
    unit: Unit
    n: int
    numerator: Number | None = None
    denominator: Number | None = None
    note: str | None = None
