"""kpis.segments on columns: the segments of every deal, by combination of its fields."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from kpis.columns import combine, micros
from kpis.dataset import Dataset
from kpis.deal_index import days_between_each
from kpis.segments import ALL_SEGMENT, deal_segments, segment_table
from kpis.stats import days_between
from tests.kpi_builders import at, deal, owner


@pytest.mark.parametrize(
    ("columns", "same"),
    [
        ([[0, 1, 0], [2, 2, 2]], [(0, 2)]),
        ([[-1, 0, -1], [0, 0, -1]], []),
        ([[2**40, 0, 2**40], [2**40, 2**40, 2**40], [5, 5, 5]], [(0, 2)]),
    ],
    ids=["equal-tuples-equal-numbers", "unset-differs-from-first-code", "renumbered-when-wide"],
)
def test_combine(columns: list[list[int]], same: list[tuple[int, int]]) -> None:
    """Two records get the same number exactly when all their codes are equal."""
    combined = combine(*(np.array(column, dtype=np.int64) for column in columns)).tolist()
    pairs = {
        (i, j)
        for i in range(len(combined))
        for j in range(i + 1, len(combined))
        if combined[i] == combined[j]
    }
    assert pairs == set(same)


def _data() -> Dataset:
    return Dataset(
        owners=[owner("u1", "Ada"), owner("u2", "Ada"), owner("u3", "Bob")],
        deals=[
            deal("1", owner="u1", lead_source="Ads"),
            deal("2", owner="u2", lead_source="Ads"),
            deal("3", owner="u3"),
            deal("4", owner="u1", lead_source="Ads"),
        ],
    )


def test_segment_table_matches_deal_segments() -> None:
    """Each deal's combination has its `deal_segments`; owners with one name share a segment."""
    data = _data()
    table = segment_table(data)
    for position, record in enumerate(data.deals):
        segments = table.segments[table.combination[position]]
        assert segments == deal_segments(data, record)
        assert tuple(table.keys[code] for code in table.codes[table.combination[position]]) == (
            segments
        )
    assert len(table.segments) == 3
    assert table.keys.count(("owner", "Ada")) == 1


def test_count_and_group() -> None:
    """Counting and grouping some deals by segment gives only the segments they are in."""
    table = segment_table(_data())
    some = table.combination[[0, 2, 3]]
    assert table.count(some) == {
        ALL_SEGMENT: 3,
        ("owner", "Ada"): 2,
        ("owner", "Bob"): 1,
        ("pipeline", "p1"): 3,
        ("source", "Ads"): 2,
        ("source", "(none)"): 1,
    }
    groups = {segment: deals.tolist() for segment, deals in table.group(some)}
    assert groups == {
        ALL_SEGMENT: [0, 1, 2],
        ("owner", "Ada"): [0, 2],
        ("owner", "Bob"): [1],
        ("pipeline", "p1"): [0, 1, 2],
        ("source", "Ads"): [0, 2],
        ("source", "(none)"): [1],
    }


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-10-01T00:00Z", "2026-10-02T00:00Z"),
        ("2026-10-24T12:00+02:00", "2026-10-26T12:00+01:00"),
        ("2025-01-01T00:00:00.000001Z", "2026-10-31T23:59:59.999999Z"),
        ("2026-03-03T10:07:13.123457Z", "2026-03-03T10:07:13.123458Z"),
    ],
    ids=["one-day", "across-dst", "microseconds-over-years", "one-microsecond"],
)
def test_days_between_each_has_the_same_bits(start: str, end: str) -> None:
    """The days of each pair are those of `kpis.stats.days_between`, to the last bit."""
    first: datetime = at(start)
    last: datetime = at(end)
    days = days_between_each(np.array([micros(first)]), np.array([micros(last)]))
    assert days.tolist() == [days_between(first, last)]
