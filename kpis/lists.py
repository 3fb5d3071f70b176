"""email_list_growth_rate: net new subscribers of a period ÷ subscribers at its end.

A contact's state on a list is given by their latest event on it. Only events that change the
state count: a subscribe of a contact already on the list (a form filled in twice, a re-import)
or an unsubscribe of one not on it adds nobody. Events at the same instant apply subscribes
first, so a simultaneous opt-out wins on its list and a move between two lists never drops
the contact from "on at least one list".

The state a period starts with is the one after every event before `P.start`; the state it
ends with, after every event before `P.end`: an event exactly at `P.start` is in P, as "in P"
includes the start, and one exactly at `P.end` is in the next period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from kpis.columns import Instants, group_by, micros
from kpis.dataset import Dataset
from kpis.memo import per_dataset
from kpis.periods import Period
from kpis.results import ResultRow
from kpis.rows import ratio_row, segment_rows
from kpis.segments import ALL_SEGMENT, SegmentKey
from kpis.settings import KpiSettings
from kpis.slicing import between

Positions: TypeAlias = npt.NDArray[np.intp]
Flags: TypeAlias = npt.NDArray[np.bool_]
Numbers: TypeAlias = npt.NDArray[np.int64]


def _no_instants() -> Instants:
    return np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Membership:
    """The sorted instants (microseconds) at which contacts joined and left (changes only)."""

    joined: Instants = field(default_factory=_no_instants)
    left: Instants = field(default_factory=_no_instants)

    def members_before(self, instant: datetime) -> int:
        """Members after every change before `instant`."""
        at = micros(instant)
        return int(np.searchsorted(self.joined, at)) - int(np.searchsorted(self.left, at))

    def changes(self, start: datetime, end: datetime) -> tuple[int, int]:
        """How many joined and how many left in `[start, end)`."""
        joined, left = between(self.joined, start, end), between(self.left, start, end)
        return joined.stop - joined.start, left.stop - left.start


@dataclass(frozen=True)
class ListIndex:
    """Membership of each list by name, and of "subscribed to at least one list"."""

    lists: Mapping[str, Membership]
    any_list: Membership


def _build(data: Dataset, settings: KpiSettings) -> ListIndex:
    # the settings are irrelevant to subscriptions; `per_dataset` keys on them anyway
    events = data.columns.subscriptions
    subscribe: Flags = events.action.codes == events.action.code("subscribe")
    order = in_order(events.at, subscribe)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    contact = (
        events.source.codes.astype(np.int64) * len(events.contact_id.values)
        + events.contact_id.codes
    )
    changes = state_changes(contact * len(events.list.values) + events.list.codes, rank, subscribe)
    # taken in time order, every array of instants below is sorted
    joins = order[(changes & subscribe)[order]]
    leaves = order[(changes & ~subscribe)[order]]
    split = len(events.list.values)
    joined = group_by(events.list.codes[joins], split)(events.at[joins])
    left = group_by(events.list.codes[leaves], split)(events.at[leaves])
    # a list is only ever left after it was joined, so joins name every list with a change
    lists = {
        name: Membership(joined[code], left[code])
        for code, name in enumerate(events.list.values)
        if len(joined[code])
    }
    steps = np.where(changes, np.where(subscribe, 1, -1), 0)
    firsts, lasts = first_and_last_lists(contact, rank, steps)
    any_list = Membership(np.sort(events.at[firsts]), np.sort(events.at[lasts]))
    return ListIndex(lists, any_list)


def in_order(at: Instants, subscribe: Flags) -> Positions:
    """The positions of events by time, subscribes before unsubscribes at the same instant.

    Ties beyond that keep the dataset's order: the sort is stable.
    """
    order: Positions = np.lexsort((~subscribe, at))
    return order


def state_changes(key: Numbers, rank: Numbers, subscribe: Flags) -> Flags:
    """Which events change the state of the contact on the list that `key` stands for.

    `rank` is each event's place in time order. The state after an event is its action (a
    subscribe leaves the contact subscribed, whether or not they already were), so an event
    changes the state exactly when its action differs from that of the key's previous event;
    before its first event a contact is not subscribed.
    """
    by_key = grouped(key, rank)
    keys = key[by_key]
    actions = subscribe[by_key]
    previous = np.zeros_like(actions)
    previous[1:] = actions[:-1] & (keys[1:] == keys[:-1])
    changes = np.zeros_like(actions)
    changes[by_key] = actions != previous
    return changes


def first_and_last_lists(contact: Numbers, rank: Numbers, steps: Numbers) -> tuple[Flags, Flags]:
    """Which events take their contact from no list to one, and from one list to none.

    `rank` is each event's place in time order; `steps` is +1 for an event that joins a list,
    -1 for one that leaves a list and 0 for one that changes nothing. A contact's count of
    lists is the running sum of its own steps.
    """
    by_contact = grouped(contact, rank)
    contacts = contact[by_contact]
    ordered = steps[by_contact]
    total = np.cumsum(ordered)
    starts = np.ones(len(contacts), dtype=np.bool_)
    starts[1:] = contacts[1:] != contacts[:-1]
    # the running total before each contact's first event, carried over all its events
    first = np.maximum.accumulate(np.where(starts, np.arange(len(contacts)), 0))
    count = total - (total - ordered)[first]
    firsts = np.zeros(len(contacts), dtype=np.bool_)
    firsts[by_contact] = (ordered == 1) & (count == 1)
    lasts = np.zeros(len(contacts), dtype=np.bool_)
    lasts[by_contact] = (ordered == -1) & (count == 0)
    return firsts, lasts


def grouped(group: Numbers, rank: Numbers) -> Positions:
    """The positions sorted by `group`, then by `rank` (distinct, from 0 to the count - 1).

    One sort on `group * count + rank`. It is stable, which changes nothing on distinct
    numbers, only because numpy's stable sort runs fast over the presorted stretches of
    the dataset's order (by source and contact).
    """
    count = len(rank)
    if count and int(group.max()) >= np.iinfo(np.int64).max // count - 1:
        # numbered densely, groups are fewer than the events, so the numbers fit
        group = np.unique(group, return_inverse=True)[1].astype(np.int64)
    by_group: Positions = np.argsort(group * count + rank, kind="stable")
    return by_group


list_index = per_dataset(_build)
"""The `ListIndex` of a dataset, built on first use and then shared by every period."""


def email_list_growth_rate(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """(Joined - left in P) ÷ subscribers at P's end, per list and over all lists.

    A list gets a row when it has subscribers at the end of P or a change in P.
    """
    index = list_index(data, settings)
    groups: dict[SegmentKey, Membership] = {ALL_SEGMENT: index.any_list}
    for name, membership in index.lists.items():
        if membership.members_before(period.end) or any(
            membership.changes(period.start, period.end)
        ):
            groups[("list", name)] = membership
    return segment_rows(
        groups,
        Membership(),
        lambda segment, membership: _growth_row(period, segment, membership),
    )


def _growth_row(period: Period, segment: SegmentKey, membership: Membership) -> ResultRow:
    joined, left = membership.changes(period.start, period.end)
    return ratio_row(
        "email_list_growth_rate",
        period,
        segment,
        joined - left,
        membership.members_before(period.end),
    )
