"""Indexes built once per dataset and settings, then shared by every KPI and period.

A KPI function takes `(data, period, settings)`; building its index from scratch on every
call would repeat the same pass over all deals for each KPI and period. The cache is keyed on
the dataset's identity (a `Dataset` is immutable) and dropped when the dataset is collected,
so an index never outlives the records it was built from.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import TypeVar

from kpis.dataset import Dataset
from kpis.settings import KpiSettings

T = TypeVar("T")


def per_dataset(
    build: Callable[[Dataset, KpiSettings], T],
) -> Callable[[Dataset, KpiSettings], T]:
    """Memoize `build` for the latest settings of each live dataset.

    What `build` returns must not reference the dataset itself, or it would never be freed.
    """
    cache: dict[int, tuple[KpiSettings, T]] = {}

    @functools.wraps(build)
    def cached(data: Dataset, settings: KpiSettings) -> T:
        key = id(data)
        hit = cache.get(key)
        if hit is not None and hit[0] == settings:
            return hit[1]
        value = build(data, settings)
        if hit is None:
            weakref.finalize(data, cache.pop, key, None)
        cache[key] = (settings, value)
        return value

    return cached
