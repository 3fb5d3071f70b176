"""Finding the records of a period in a list sorted by time, without scanning the rest."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from datetime import datetime


def between(instants: Sequence[datetime], start: datetime, end: datetime) -> slice:
    """The slice of the sorted `instants` that are in `[start, end)`."""
    return slice(bisect_left(instants, start), bisect_left(instants, end))
