"""The newest change a cursor records: the one part of a cursor `sync` reads.

A cursor is its connector's own text, with one shared key: a cursor that is a JSON object
may hold `newest`, the latest modification time the CRM gave on the records committed up to
it, as ISO 8601 text with its offset. Connectors start their next incremental read from it
(less an overlap), never from this machine's clock, which may run ahead of the CRM's; and
`crmkpi status` says how far behind now it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

NEWEST = "newest"


def later(first: datetime | None, second: datetime | None) -> datetime | None:
    """The later of two times, either of which may be unknown."""
    if first is None or second is None:
        return first or second
    return max(first, second)


def latest(times: Iterable[datetime | None]) -> datetime | None:
    """The latest of the known times; None when none is known."""
    found: datetime | None = None
    for time in times:
        found = later(found, time)
    return found


def newest_text(moment: datetime) -> str:
    """`moment` as a cursor keeps it under `newest`."""
    return moment.isoformat()


def parse_newest(text: str) -> datetime:
    """The time a cursor's `newest` holds; ValueError unless ISO 8601 with an offset."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no offset")
    return parsed


def newest_change(cursor: str) -> datetime | None:
    """The newest change `cursor` records; None when it records none."""
    try:
        data = json.loads(cursor)
    except ValueError:
        return None
    value = data.get(NEWEST) if isinstance(data, dict) else None
    if not isinstance(value, str):
        return None
    try:
        return parse_newest(value)
    except ValueError:
        return None
