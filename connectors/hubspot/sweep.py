"""The periodic re-read of every contact's email subscription statuses.

HubSpot documents no link between a subscription status and the contact's
`lastmodifieddate`: a status belongs to an email address, not to a contact record
(https://developers.hubspot.com/docs/methods/email/update_status, "Status updates and contact
records"), so a change may reach no incremental pass. Once every `subscription_sweep_days`
the contacts are listed (`email` only, 100 a page) and each page's statuses read in one
v4 status batch: ⌈N/100⌉ list calls and ⌈N/100⌉ batches for N contacts. A pull that lists
every contact anyway (the first one, `--full`) is a sweep already and restarts the count.

The schedule is kept in the `subscription_sweep` cursor as the pull's start time; a clock
that runs ahead only makes a sweep come early, it never skips a change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from connectors.base import Page
from connectors.clock import due
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.endpoints import CONTACTS, LIST_PAGE_SIZE
from connectors.hubspot.paging import list_pages
from connectors.schema import SubscriptionEvent

STREAM = "subscription_sweep"
Statuses = Callable[[dict[str, list[str]]], Iterator[Page]]


@dataclass(frozen=True, slots=True)
class SweepPosition:
    """When the last sweep began, and the list token of the one under way (if any)."""

    swept: datetime | None = None
    after: str | None = None

    def encode(self) -> str:
        swept = None if self.swept is None else self.swept.isoformat()
        return json.dumps({"swept": swept, "after": self.after})

    @classmethod
    def decode(cls, cursor: str | None) -> SweepPosition:
        try:
            data = json.loads(cursor or "{}")
            swept = data.get("swept")
            return cls(datetime.fromisoformat(swept) if swept else None, data.get("after"))
        except (ValueError, TypeError, AttributeError):
            return cls()


def sweep_pages(
    api: HubSpotApi,
    cursor: str | None,
    *,
    now: datetime,
    days: int,
    listed_all: bool,
    statuses: Statuses,
) -> Iterator[Page]:
    """The sweep's pages when one is due or under way; else only its cursor, or nothing."""
    position = SweepPosition.decode(cursor)
    if listed_all and position.after is None:
        yield _mark(SweepPosition(now))
        return
    if position.after is None and not due(position.swept, now, days):
        return
    started = position.swept if position.after is not None else now
    params = {"limit": LIST_PAGE_SIZE, "archived": "false", "properties": "email"}
    for page in list_pages(api, CONTACTS.path, params, position.after):
        by_email: dict[str, list[str]] = {}
        for raw in page.results:
            email = str((raw.get("properties") or {}).get("email") or "").strip().lower()
            if email:
                by_email.setdefault(email, []).append(str(raw["id"]))
        yield from statuses(by_email)
        if page.next_after is not None:
            yield _mark(SweepPosition(started, page.next_after))
    yield _mark(SweepPosition(now))


def _mark(position: SweepPosition) -> Page:
    return Page(STREAM, SubscriptionEvent.KIND, cursor=position.encode())
