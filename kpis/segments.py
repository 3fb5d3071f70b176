"""How deal KPIs are segmented, and the order rows are published in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from connectors.schema import Deal
from kpis.columns import DealColumns, combine
from kpis.dataset import Dataset
from kpis.results import ALL, NONE_SEGMENT, ResultRow

SegmentKey: TypeAlias = tuple[str, str]
"""`(segment_by, segment)`, e.g. `("owner", "Ada Lovelace")`."""

ALL_SEGMENT: SegmentKey = (ALL, ALL)
SEGMENT_BY_ORDER: tuple[str, ...] = (ALL, "owner", "pipeline", "source", "stage")
SEGMENTS_PER_DEAL = 4
"""What `deal_segments` gives: all, owner, pipeline and lead source."""


def label(value: str | None) -> str:
    """A segment name: the value itself, or `(none)` when it is missing or blank."""
    if value is None or not value.strip():
        return NONE_SEGMENT
    return value


def deal_segments(data: Dataset, deal: Deal) -> tuple[SegmentKey, ...]:
    """Every segment a deal KPI counts the deal in: all, its owner, pipeline and lead source."""
    return segments_of(data, deal.source, deal.owner_id, deal.pipeline_id, deal.lead_source)


def segments_of(
    data: Dataset, source: str, owner_id: str | None, pipeline_id: str, lead_source: str | None
) -> tuple[SegmentKey, ...]:
    """`deal_segments` of a deal with these fields."""
    return (
        ALL_SEGMENT,
        ("owner", label(data.owner_name(source, owner_id))),
        ("pipeline", label(data.pipeline_label(source, pipeline_id))),
        ("source", label(lead_source)),
    )


@dataclass(frozen=True, eq=False)
class DealSegments:
    """The segments of every deal of the columns, looked up once per distinct combination.

    Deals with the same source, owner, pipeline and lead source are one combination:
    `combination[i]` is the one of the deal at position i, `segments[c]` the `deal_segments`
    of combination c, and `codes[c]` the same segments as positions in `keys`, every distinct
    segment of the deals. The codes are of the narrowest unsigned type, which numpy sorts
    fastest (a radix sort up to 16 bits).
    """

    combination: npt.NDArray[np.intp]
    segments: tuple[tuple[SegmentKey, ...], ...]
    codes: npt.NDArray[np.unsignedinteger[Any]]
    keys: tuple[SegmentKey, ...]

    def group(
        self, combinations: npt.NDArray[np.intp]
    ) -> Iterator[tuple[SegmentKey, npt.NDArray[np.intp]]]:
        """Each segment of some deals, given by their combinations, with the deals it has.

        Deals are positions in `combinations`, in increasing order; segments with no deal
        are left out.
        """
        bounds = np.arange(len(self.keys) + 1)
        for kind in range(SEGMENTS_PER_DEAL):
            codes = self.codes[combinations, kind]
            order = np.argsort(codes, kind="stable")
            starts = np.searchsorted(codes[order], bounds)
            for code in np.flatnonzero(np.diff(starts)).tolist():
                yield self.keys[code], order[starts[code] : starts[code + 1]]

    def count(self, combinations: npt.NDArray[np.intp]) -> dict[SegmentKey, int]:
        """How many of the given combinations (one per deal) each segment has; only those > 0."""
        per_combination = np.bincount(combinations, minlength=len(self.segments))
        counts = np.zeros(len(self.keys), dtype=np.int64)
        np.add.at(counts, self.codes, per_combination[:, np.newaxis])
        return {self.keys[at]: int(counts[at]) for at in np.flatnonzero(counts).tolist()}


def segment_table(data: Dataset) -> DealSegments:
    """The `DealSegments` of the dataset's deal columns."""
    deals = data.columns.deals
    fields = (deals.source, deals.owner_id, deals.pipeline_id, deals.lead_source)
    _, first, combination = np.unique(
        combine(*(field.codes for field in fields)), return_index=True, return_inverse=True
    )
    segments = tuple(_segments_at(data, deals, at) for at in first.tolist())
    keys: dict[SegmentKey, int] = {}
    codes = np.array(
        [[keys.setdefault(key, len(keys)) for key in each] for each in segments], dtype=np.intp
    ).reshape(len(segments), SEGMENTS_PER_DEAL)
    narrow = codes.astype(np.min_scalar_type(max(len(keys) - 1, 0)))
    return DealSegments(combination, segments, narrow, tuple(keys))


def _segments_at(data: Dataset, deals: DealColumns, at: int) -> tuple[SegmentKey, ...]:
    source, pipeline_id = deals.source.at(at), deals.pipeline_id.at(at)
    assert source is not None and pipeline_id is not None  # every deal has them
    return segments_of(data, source, deals.owner_id.at(at), pipeline_id, deals.lead_source.at(at))


def segment_order(segment_by: str, segment: str) -> tuple[int, str, str, str]:
    """Sort key: segment kinds in `SEGMENT_BY_ORDER` (others after, by name), then alphabetical."""
    rank = (
        SEGMENT_BY_ORDER.index(segment_by)
        if segment_by in SEGMENT_BY_ORDER
        else len(SEGMENT_BY_ORDER)
    )
    return rank, segment_by, segment.casefold(), segment


def row_order(row: ResultRow) -> tuple[int, str, str, str]:
    """The publishing order of the rows of one KPI in one period."""
    return segment_order(row.segment_by, row.segment)
