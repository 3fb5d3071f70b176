"""The cursor of a contacts or deals stream: which pass is running, and how far it got.

A pass reads every record updated since `since` (every record when None), in a fixed order,
from position `after` on (an offset for deals, an id for contacts). When it completes, the
next pass reads what was updated since this one `started`, less a day of overlap:
`filters[updated_after]` takes a date whose time zone ActiveCampaign does not document
(https://developers.activecampaign.com/reference/list-all-deals, "format: date"), and a
date one day before the start covers that instant in any zone from UTC-12 to UTC+14.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

OVERLAP = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Position:
    """`swept` is when every deal id was last read, to find deals deleted at the source."""

    since: datetime | None
    started: datetime
    after: int = 0
    complete: bool = False
    swept: datetime | None = None

    @property
    def updated_after(self) -> str | None:
        """The `filters[updated_after]` date of this pass; None for a full pass."""
        if self.since is None:
            return None
        return (self.since - OVERLAP).date().isoformat()

    def at(self, after: int) -> Position:
        return replace(self, after=after)

    def completed(self, swept: datetime | None = None) -> Position:
        return replace(self, complete=True, swept=swept or self.swept)

    def encode(self) -> str:
        return json.dumps(
            {
                "since": _text(self.since),
                "started": self.started.isoformat(),
                "after": self.after,
                "complete": self.complete,
                "swept": _text(self.swept),
            }
        )

    @classmethod
    def decode(cls, cursor: str | None) -> Position | None:
        """The position a cursor holds; None for no cursor or one this connector did not write."""
        if cursor is None:
            return None
        try:
            data = json.loads(cursor)
            position = cls(
                since=_instant(data["since"]),
                started=datetime.fromisoformat(data["started"]),
                after=data["after"],
                complete=data["complete"],
                swept=_instant(data["swept"]),
            )
        except (ValueError, TypeError, KeyError):
            return None
        if type(position.after) is not int or not isinstance(position.complete, bool):
            return None
        if position.started.tzinfo is None:
            return None
        return position


def plan(cursor: str | None, *, full: bool, now: datetime) -> Position:
    """The pass to run: a full one without a usable cursor (or with `full`), the rest of an
    interrupted one, or else the next incremental one."""
    previous = None if full else Position.decode(cursor)
    if previous is None:
        return Position(since=None, started=now)
    if not previous.complete:
        return previous
    return Position(since=previous.started, started=now, swept=previous.swept)


def _text(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _instant(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(value)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(value)
    return parsed
