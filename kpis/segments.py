"""How deal KPIs are segmented, and the order rows are published in."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from connectors.schema import Deal
from kpis.dataset import Dataset
from kpis.results import ALL, NONE_SEGMENT, ResultRow

SegmentKey: TypeAlias = tuple[str, str]
"""`(segment_by, segment)`, e.g. `("owner", "Ada Lovelace")`."""

ALL_SEGMENT: SegmentKey = (ALL, ALL)
SEGMENT_BY_ORDER: tuple[str, ...] = (ALL, "owner", "pipeline", "source", "stage")


def label(value: str | None) -> str:
    """A segment name: the value itself, or `(none)` when it is missing or blank."""
    if value is None or not value.strip():
        return NONE_SEGMENT
    return value


def deal_segments(data: Dataset, deal: Deal) -> tuple[SegmentKey, ...]:
    """Every segment a deal KPI counts the deal in: all, its owner, pipeline and lead source."""
    return (
        ALL_SEGMENT,
        ("owner", label(data.owner_name(deal.source, deal.owner_id))),
        ("pipeline", label(data.pipeline_label(deal.source, deal.pipeline_id))),
        ("source", label(deal.lead_source)),
    )


def segment_cache(data: Dataset) -> Callable[[Deal], tuple[SegmentKey, ...]]:
    """`deal_segments` for many deals: deals with the same owner, pipeline and source share one."""
    cache: dict[tuple[str, str | None, str, str | None], tuple[SegmentKey, ...]] = {}

    def segments(deal: Deal) -> tuple[SegmentKey, ...]:
        key = (deal.source, deal.owner_id, deal.pipeline_id, deal.lead_source)
        found = cache.get(key)
        if found is None:
            found = cache[key] = deal_segments(data, deal)
        return found

    return segments


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
