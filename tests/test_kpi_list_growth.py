"""email_list_growth_rate: (joined - left in P) ÷ subscribers at P's end, per list and overall."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest

from connectors.schema import SubscriptionEvent
from kpis.dataset import Dataset
from kpis.lists import (
    email_list_growth_rate,
    first_and_last_lists,
    grouped,
    in_order,
    state_changes,
)
from kpis.results import ResultRow
from tests.kpi_builders import only, period, settings, subscription

OCTOBER = period("2026-10")
# October under Europe/Berlin is [2026-09-30T22:00Z, 2026-10-31T23:00Z)
START = "2026-09-30T22:00Z"
END = "2026-10-31T23:00Z"


def _rows(events: list[SubscriptionEvent]) -> list[ResultRow]:
    return email_list_growth_rate(Dataset(subscriptions=events), OCTOBER, settings())


def _counts(events: list[SubscriptionEvent]) -> dict[tuple[str, str], tuple[int, int]]:
    """Each row's (numerator, denominator) by (segment_by, segment)."""
    return {
        (r.segment_by, r.segment): (int(r.numerator or 0), int(r.denominator or 0))
        for r in _rows(events)
    }


def test_worked_example_nine_percent() -> None:
    """500 subscribes, 50 unsubscribes and 5,000 subscribed at the end give 450 ÷ 5,000 = 0.09."""
    # 4,550 before October; 50 of them leave and 500 new join: 4,550 - 50 + 500 = 5,000
    events = [subscription(f"old{i}", "news", "subscribe", "2026-05-01") for i in range(4550)]
    events += [subscription(f"old{i}", "news", "unsubscribe", "2026-10-10") for i in range(50)]
    events += [subscription(f"new{i}", "news", "subscribe", "2026-10-12") for i in range(500)]
    rows = _rows(events)
    for segment_by, segment in [("all", "all"), ("list", "news")]:
        row = only(rows, segment_by, segment)
        assert (row.value, row.numerator, row.denominator, row.n) == (0.09, 450, 5000, 5000)


@pytest.mark.parametrize(
    ("events", "news"),
    [
        (
            [
                subscription("c", "news", "subscribe", "2026-09-01"),
                subscription("c", "news", "subscribe", "2026-10-05"),
            ],
            (0, 1),
        ),
        (
            [
                subscription("c", "news", "subscribe", "2026-10-02"),
                subscription("c", "news", "subscribe", "2026-10-05"),
            ],
            (1, 1),
        ),
        (
            [
                subscription("c", "news", "subscribe", "2026-09-01"),
                subscription("c", "news", "unsubscribe", "2026-09-05"),
                subscription("c", "news", "unsubscribe", "2026-10-05"),
                subscription("d", "news", "subscribe", "2026-10-06"),
            ],
            (1, 1),
        ),
        (
            [
                subscription("c", "news", "subscribe", "2026-09-01"),
                subscription("c", "news", "unsubscribe", "2026-10-05"),
                subscription("c", "news", "subscribe", "2026-10-09"),
            ],
            (0, 1),
        ),
        (
            [
                subscription("c", "news", "subscribe", "2026-10-05T10:00Z"),
                subscription("c", "news", "unsubscribe", "2026-10-05T10:00Z"),
                subscription("d", "news", "subscribe", "2026-10-06"),
            ],
            (1, 1),
        ),
    ],
    ids=[
        "resubscribe-while-subscribed-ignored",
        "double-subscribe-in-p-counts-once",
        "unsubscribe-while-unsubscribed-ignored",
        "leave-and-come-back-in-p-nets-zero",
        "simultaneous-subscribe-and-unsubscribe-ends-unsubscribed",
    ],
)
def test_only_state_changes_count(events: list[SubscriptionEvent], news: tuple[int, int]) -> None:
    """A contact's latest event gives their state; events that leave it unchanged count nothing."""
    assert _counts(events)[("list", "news")] == news


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        (
            [
                subscription("c", "news", "subscribe", "2026-09-01"),
                subscription("c", "deals", "subscribe", "2026-09-01"),
                subscription("c", "news", "unsubscribe", "2026-10-05"),
            ],
            {("all", "all"): (0, 1), ("list", "deals"): (0, 1), ("list", "news"): (-1, 0)},
        ),
        (
            [
                subscription("c", "news", "subscribe", "2026-10-02"),
                subscription("c", "deals", "subscribe", "2026-10-03"),
            ],
            {("all", "all"): (1, 1), ("list", "deals"): (1, 1), ("list", "news"): (1, 1)},
        ),
        (
            [
                subscription("c", "news", "subscribe", "2026-09-01"),
                subscription("c", "news", "unsubscribe", "2026-10-05T10:00Z"),
                subscription("c", "deals", "subscribe", "2026-10-05T10:00Z"),
            ],
            {("all", "all"): (0, 1), ("list", "deals"): (1, 1), ("list", "news"): (-1, 0)},
        ),
        (
            [
                subscription("c", "news", "subscribe", "2026-09-01"),
                subscription("c", "news", "unsubscribe", "2026-10-05"),
                subscription("c", "deals", "subscribe", "2026-10-09"),
            ],
            {("all", "all"): (0, 1), ("list", "deals"): (1, 1), ("list", "news"): (-1, 0)},
        ),
        (
            [
                subscription("c", "news", "subscribe", "2026-10-02"),
                subscription("c", "news", "unsubscribe", "2026-10-09"),
            ],
            {("all", "all"): (0, 0), ("list", "news"): (0, 0)},
        ),
    ],
    ids=[
        "leaving-one-of-two-lists-still-a-subscriber",
        "joining-two-lists-is-one-new-subscriber",
        "moving-lists-at-one-instant-stays-a-subscriber",
        "gap-between-lists-inside-p-counted-by-state",
        "joined-and-left-in-p-nets-zero",
    ],
)
def test_all_lists_counts_contacts_on_at_least_one(
    events: list[SubscriptionEvent], expected: dict[tuple[str, str], tuple[int, int]]
) -> None:
    """Over all lists a contact is a subscriber while on any list, compared at P's start and end."""
    assert _counts(events) == expected


@pytest.mark.parametrize(
    ("at", "october", "november"),
    [
        (START, (1, 1), (0, 1)),
        ("2026-09-30T21:59:59Z", (0, 1), (0, 1)),
        (END, (0, 0), (1, 1)),
    ],
    ids=["at-start-is-in-p", "before-start-is-previous-period", "at-end-is-next-period"],
)
def test_period_edges(at: str, october: tuple[int, int], november: tuple[int, int]) -> None:
    """An event exactly at P.start is in P; one exactly at P.end is neither in P nor in its end."""
    data = Dataset(subscriptions=[subscription("c", "news", "subscribe", at)])
    counts = [
        (row.numerator, row.denominator)
        for p in (OCTOBER, period("2026-11"))
        for row in email_list_growth_rate(data, p, settings())
        if row.segment_by == "all"
    ]
    assert counts == [october, november]


def test_lists_without_subscribers_or_change_get_no_row() -> None:
    """A list empty at the end of P with no change in P gets no row; the `all` row is null."""
    events = [
        subscription("c", "news", "subscribe", "2026-08-01"),
        subscription("c", "news", "unsubscribe", "2026-09-01"),
        subscription("d", "later", "subscribe", "2026-11-05"),
    ]
    rows = _rows(events)
    assert [(r.segment_by, r.segment, r.value) for r in rows] == [("all", "all", None)]


def test_steady_list_is_zero() -> None:
    """A list with subscribers and no change in P grows by 0, not null."""
    row = only(_rows([subscription("c", "news", "subscribe", "2026-08-01")]), "list", "news")
    assert (row.value, row.numerator, row.denominator) == (0.0, 0, 1)


def test_contacts_of_two_sources_are_distinct() -> None:
    """The same contact id in two connected CRMs is two contacts, on one list row by name."""
    first = subscription("c", "news", "subscribe", "2026-10-02")
    second = replace(first, source="other")
    assert _counts([first, second]) == {("all", "all"): (2, 2), ("list", "news"): (2, 2)}


def test_empty_dataset_is_null() -> None:
    """Without any subscription the growth rate is a single null `all` row."""
    row = only(_rows([]))
    assert (row.value, row.n) == (None, 0)


def _ints(values: list[int]) -> npt.NDArray[np.int64]:
    return np.array(values, dtype=np.int64)


def _flags(values: str) -> npt.NDArray[np.bool_]:
    """Flags from a string of `1`s and `0`s."""
    return np.array([flag == "1" for flag in values], dtype=np.bool_)


def test_in_order_puts_subscribes_first_at_one_instant() -> None:
    """By time; at one instant subscribes first, then the dataset's order."""
    order = in_order(_ints([5, 3, 5, 3]), _flags("0111"))
    assert order.tolist() == [1, 3, 2, 0]


@pytest.mark.parametrize(
    ("key", "rank", "subscribe", "changes"),
    [
        ([0], [0], "1", "1"),
        ([0], [0], "0", "0"),
        ([0, 0, 0, 0], [0, 1, 2, 3], "1100", "1010"),
        ([1, 0, 1, 0], [0, 1, 2, 3], "1110", "1101"),
        ([0, 0], [1, 0], "10", "10"),
    ],
    ids=[
        "first-subscribe-changes",
        "first-unsubscribe-changes-nothing",
        "repeats-change-nothing",
        "each-key-on-its-own",
        "time-order-not-dataset-order",
    ],
)
def test_state_changes(key: list[int], rank: list[int], subscribe: str, changes: str) -> None:
    """An event changes its key's state when its action differs from the key's previous one."""
    found = state_changes(_ints(key), _ints(rank), _flags(subscribe))
    assert found.tolist() == _flags(changes).tolist()


@pytest.mark.parametrize(
    ("contact", "rank", "steps", "firsts", "lasts"),
    [
        ([0, 0, 0, 0], [0, 1, 2, 3], [1, 1, -1, -1], "1000", "0001"),
        ([0, 0], [0, 1], [0, 1], "01", "00"),
        ([0, 1, 0, 1], [0, 1, 2, 3], [1, 1, -1, 1], "1100", "0010"),
        ([0, 0], [1, 0], [-1, 1], "01", "10"),
    ],
    ids=["second-list-is-not-first", "no-change-counts-nothing", "contacts-apart", "time-order"],
)
def test_first_and_last_lists(
    contact: list[int], rank: list[int], steps: list[int], firsts: str, lasts: str
) -> None:
    """A contact's running count of lists going 0 -> 1 and 1 -> 0."""
    found = first_and_last_lists(_ints(contact), _ints(rank), _ints(steps))
    assert [flags.tolist() for flags in found] == [_flags(firsts).tolist(), _flags(lasts).tolist()]


@pytest.mark.parametrize(
    ("group", "rank", "order"),
    [
        ([1, 0, 1, 0], [3, 2, 0, 1], [3, 1, 2, 0]),
        ([2**62, 5, 2**62], [0, 2, 1], [1, 0, 2]),
        ([], [], []),
    ],
    ids=["by-group-then-rank", "numbers-too-large-to-combine", "empty"],
)
def test_grouped(group: list[int], rank: list[int], order: list[int]) -> None:
    """Positions by group, then by rank within a group."""
    assert grouped(_ints(group), _ints(rank)).tolist() == order
