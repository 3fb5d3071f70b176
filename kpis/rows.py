"""Building result rows: one per segment with data, plus an `all` row that is always there."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TypeVar

from kpis.money import round_money
from kpis.periods import Period
from kpis.results import ResultRow, Unit
from kpis.segments import ALL_SEGMENT, SegmentKey, segment_order
from kpis.stats import mean, median, ratio

T = TypeVar("T")


def segment_rows(
    groups: Mapping[SegmentKey, T],
    empty: T,
    build: Callable[[SegmentKey, T], ResultRow],
) -> list[ResultRow]:
    """`build` for the `all` segment (with `empty` when it has no data) and every other group.

    Rows come in publishing order.
    """
    keys = sorted({ALL_SEGMENT, *groups}, key=lambda key: segment_order(*key))
    return [build(key, groups.get(key, empty)) for key in keys]


def ratio_row(
    kpi: str, period: Period, segment: SegmentKey, numerator: int, denominator: int
) -> ResultRow:
    """A ratio; its sample size is the denominator."""
    return ResultRow(
        kpi=kpi,
        period=period,
        segment_by=segment[0],
        segment=segment[1],
        value=ratio(numerator, denominator),
        unit="ratio",
        n=denominator,
        numerator=numerator,
        denominator=denominator,
    )


def mean_row(
    kpi: str, period: Period, segment: SegmentKey, unit: Unit, values: Sequence[float]
) -> ResultRow:
    """The mean of `values`; its sample size is their count."""
    return ResultRow(kpi, period, segment[0], segment[1], mean(values), unit, len(values))


def median_row(
    kpi: str, period: Period, segment: SegmentKey, unit: Unit, values: Sequence[float]
) -> ResultRow:
    """The median of `values`; its sample size is their count."""
    return ResultRow(kpi, period, segment[0], segment[1], median(values), unit, len(values))


def money_sum_row(
    kpi: str, period: Period, segment: SegmentKey, amounts: Sequence[Decimal]
) -> ResultRow:
    """The rounded sum of `amounts`, None when there is none; its sample size is their count."""
    value = round_money(sum(amounts, Decimal(0))) if amounts else None
    return ResultRow(kpi, period, segment[0], segment[1], value, "currency", len(amounts))
