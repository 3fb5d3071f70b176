"""Only the configured sources count: the columns of the records of some sources.

A store keeps what every source ever pulled; a source taken out of the config stays in the
store until `crmkpi forget` removes it, yet must no longer count in any KPI. The KPI loads
keep the records of the configured sources only, here, after the snapshot merge, so that the
snapshot stays one for the whole store.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from kpis.columns import Columns, Labels, take


def _kept(source: Labels, sources: Collection[str]) -> npt.NDArray[np.intp]:
    """The positions of the records whose source is one of `sources`."""
    wanted = np.array([value in sources for value in source.values] + [False], dtype=np.bool_)
    # a code of -1 (no source, which the store never holds) picks the trailing False
    return np.flatnonzero(wanted[source.codes])


def of_sources(columns: Columns, sources: Collection[str]) -> Columns:
    """`columns` with only the records of `sources`; the visits and versions follow their
    deals."""
    tables = {}
    for name in ("contacts", "tickets", "subscriptions", "surveys"):
        table = getattr(columns, name)
        kept = _kept(table.source, sources)
        if len(kept) < len(table):
            tables[name] = take(table, kept)
    deals = columns.deals
    kept = _kept(deals.source, sources)
    if len(kept) < len(deals):
        position = np.full(len(deals), -1, dtype=np.int32)
        position[kept] = np.arange(len(kept), dtype=np.int32)
        tables["deals"] = take(deals, kept)
        for name in ("visits", "versions"):
            children = getattr(columns, name)
            moved = position[children.deal]
            tables[name] = replace(
                take(children, np.flatnonzero(moved >= 0)), deal=moved[moved >= 0]
            )
    return replace(columns, **tables) if tables else columns
