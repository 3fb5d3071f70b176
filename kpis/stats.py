"""The arithmetic the KPIs share: ratios, means and medians that are None over nothing."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime

SECONDS_PER_DAY = 86400


def days_between(start: datetime, end: datetime) -> float:
    """Calendar days from `start` to `end`, unrounded (a DST day counts its real hours)."""
    return (end - start).total_seconds() / SECONDS_PER_DAY


def ratio(numerator: int, denominator: int) -> float | None:
    """`numerator / denominator`, or None when the denominator is 0."""
    return numerator / denominator if denominator else None


def mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean, or None for no values."""
    return statistics.fmean(values) if values else None


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle values for an even count), or None."""
    return float(statistics.median(values)) if values else None
