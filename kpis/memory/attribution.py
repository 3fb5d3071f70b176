"""Whose a closed deal is in the owner segments: its present owner, or its owner at the close
(`reporting.attribute_to`; `docs/kpis.md`, Owner at the time).

Every owner segment (the deal KPIs' rows, the Sales performance report, the deals a report
lists) reads `DealColumns.owner_id`. With `owner_at_close` that column is swapped, once,
before anything is computed: a closed deal's owner becomes the owner of its state in effect
at its close (`Timeline.at`), an open deal keeps its present owner. So every consumer agrees,
and none of them needs to know which reading is in force.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal, TypeAlias, get_args

import numpy as np
import numpy.typing as npt

from kpis.columns import MISSING, NO_LABEL, Columns, Labels
from kpis.dataset import Dataset
from kpis.memory.timeline import Timeline

Attribution: TypeAlias = Literal["current_owner", "owner_at_close"]
ATTRIBUTIONS: tuple[Attribution, ...] = get_args(Attribution)
DEFAULT_ATTRIBUTION: Attribution = "current_owner"


def attributed(data: Dataset, attribute_to: Attribution) -> Dataset:
    """`data` with its deals' owners as `attribute_to` reads them: `data` itself for
    `current_owner`, else a dataset whose closed deals have their owner at the close."""
    if attribute_to == "current_owner":
        return data
    columns = data.columns
    deals = replace(columns.deals, owner_id=owners_at_close(columns))
    return Dataset.of_columns(
        data.owners,
        data.stages,
        replace(columns, deals=deals),
        recorded_since=data.recorded_since,
    )


def owners_at_close(columns: Columns) -> Labels:
    """The owner column of the deals with each closed deal's owner at its close.

    A deal is closed when its status is won or lost and it has a `closed_at`; its owner then
    is that of the stretch in effect at `closed_at` (not before its creation, where the
    timeline begins). A close before the deal's first recorded version falls in a
    reconstructed stretch, which has the first version's fields: for a deal with no versions,
    its present owner.
    """
    deals = columns.deals
    closed = np.flatnonzero(~deals.is_status("open") & (deals.closed_at != MISSING))
    if not len(closed):
        return deals.owner_id
    timeline = Timeline.of(columns)
    instants = np.maximum(deals.closed_at[closed], deals.created_at[closed])
    stretches = stretch_at(timeline, closed, instants)
    owners = timeline.states.owner_id
    values = list(deals.owner_id.values)
    code_of = {value: code for code, value in enumerate(values)}
    # the states' owner codes as codes among the deals' owners, any new owner added
    remap = np.full(len(owners.values) + 1, NO_LABEL, dtype=np.int32)
    for code, value in enumerate(owners.values):
        if value not in code_of:
            code_of[value] = len(values)
            values.append(value)
        remap[code] = code_of[value]
    codes = deals.owner_id.codes.copy()
    codes[closed] = remap[owners.codes[timeline.row[stretches]]]
    return Labels(codes, tuple(values))


def stretch_at(
    timeline: Timeline, deals: npt.NDArray[np.intp], instants: npt.NDArray[np.int64]
) -> npt.NDArray[np.intp]:
    """The stretch of each deal of `deals` in effect at its instant of `instants`, none of
    which may be before the deal's creation.

    The stretches are sorted by deal, then start, so a stretch's place is found by a binary
    search on (deal, start): both are ranked into one int64 key, the starts among the
    instants so that equal ones tie, then the last stretch starting at or before each
    instant is the one in effect.
    """
    ranks = np.unique(np.concatenate([timeline.start, instants]), return_inverse=True)[1]
    span = np.int64(len(timeline) + len(instants) + 1)
    stretch_keys = timeline.deal.astype(np.int64) * span + ranks[: len(timeline)]
    query_keys = deals.astype(np.int64) * span + ranks[len(timeline) :]
    found: npt.NDArray[np.intp] = np.searchsorted(stretch_keys, query_keys, side="right") - 1
    return found
