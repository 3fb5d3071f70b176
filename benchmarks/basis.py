"""What every part of the synthetic account shares: its source, its time span, its instants."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

SOURCE = "bench"
END = datetime(2026, 11, 1, tzinfo=UTC)
"""The account's data stops here: twelve monthly periods up to October 2026 are all full."""
START = END - timedelta(days=3 * 365)
DEALS_START = END - timedelta(days=2 * 365)
"""Deals, tickets and surveys cover the last two years; contacts the last three."""
DAY = 86400.0


def instant(seconds: float) -> datetime:
    """The UTC instant of a POSIX time, in whole seconds, as most CRM APIs report them."""
    return datetime.fromtimestamp(int(seconds), UTC)


def growing(rng: random.Random, start: float, end: float) -> float:
    """A time in [start, end) whose density grows linearly: a business that is growing."""
    return start + (end - start) * math.sqrt(rng.random())
