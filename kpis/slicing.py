"""Finding the records of a period in a column of sorted instants, without scanning the rest."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from kpis.columns import Instants, micros


def between(instants: Instants, start: datetime, end: datetime) -> slice:
    """The slice of the sorted `instants` that are in `[start, end)`."""
    first, stop = np.searchsorted(instants, [micros(start), micros(end)]).tolist()
    return slice(first, stop)
