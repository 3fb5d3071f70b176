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

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter

from connectors.schema import SubscriptionEvent
from kpis.dataset import Dataset
from kpis.memo import per_dataset
from kpis.periods import Period
from kpis.results import ResultRow
from kpis.rows import ratio_row, segment_rows
from kpis.segments import ALL_SEGMENT, SegmentKey
from kpis.settings import KpiSettings
from kpis.slicing import between


@dataclass(frozen=True)
class Membership:
    """The sorted instants at which contacts joined and left (state changes only)."""

    joined: Sequence[datetime] = ()
    left: Sequence[datetime] = ()

    def members_before(self, instant: datetime) -> int:
        """Members after every change before `instant`."""
        return bisect_left(self.joined, instant) - bisect_left(self.left, instant)

    def changes(self, start: datetime, end: datetime) -> tuple[int, int]:
        """How many joined and how many left in `[start, end)`."""
        joined = between(self.joined, start, end)
        left = between(self.left, start, end)
        return joined.stop - joined.start, left.stop - left.start


@dataclass(frozen=True)
class ListIndex:
    """Membership of each list by name, and of "subscribed to at least one list"."""

    lists: Mapping[str, Membership]
    any_list: Membership


def _build(data: Dataset, settings: KpiSettings) -> ListIndex:
    # the settings are irrelevant to subscriptions; `per_dataset` keys on them anyway
    # keys are strings rather than tuples: millions of new containers would set off full
    # garbage collections over the whole dataset, which cost more than the work itself
    subscribed: set[str] = set()
    list_count: dict[str, int] = {}
    joined: defaultdict[str, list[datetime]] = defaultdict(list)
    left: defaultdict[str, list[datetime]] = defaultdict(list)
    any_joined: list[datetime] = []
    any_left: list[datetime] = []
    # appending in time order leaves every list of instants sorted
    for event in _in_order(data.subscriptions):
        contact = f"{event.source}\x00{event.contact_id}"
        key = f"{contact}\x00{event.list}"
        if event.action == "subscribe" and key not in subscribed:
            subscribed.add(key)
            joined[event.list].append(event.at)
            count = list_count[contact] = list_count.get(contact, 0) + 1
            if count == 1:
                any_joined.append(event.at)
        elif event.action == "unsubscribe" and key in subscribed:
            subscribed.remove(key)
            left[event.list].append(event.at)
            count = list_count[contact] = list_count[contact] - 1
            if count == 0:
                any_left.append(event.at)
    # a list is only ever left after it was joined, so `joined` names every list with a change
    lists = {name: Membership(instants, left.get(name, [])) for name, instants in joined.items()}
    return ListIndex(lists, Membership(any_joined, any_left))


def _in_order(events: Sequence[SubscriptionEvent]) -> list[SubscriptionEvent]:
    """By time, subscribes before unsubscribes at the same instant.

    Two stable sorts rather than one on `(at, action)`: comparing tuples of datetimes is
    several times slower, and there can be millions of events.
    """
    ordered = sorted(events, key=_subscribe_first)
    ordered.sort(key=attrgetter("at"))
    return ordered


def _subscribe_first(event: SubscriptionEvent) -> bool:
    return event.action != "subscribe"


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
