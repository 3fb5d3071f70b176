"""The cursor of a contacts or deals stream: which pass is running, and how far it got.

A pass reads every record updated since `since` (every record when None), in a fixed order,
from position `after` on (an offset for deals, an id for contacts). `newest` is the latest
modification time ActiveCampaign gave on a record committed so far (contacts' `udate`,
deals' `mdate`; `connectors/newest.py`). When a pass completes, the next one reads what was
updated since `newest`, never since this machine's clock, which may run ahead of the
account's; a pass that read nothing keeps its `since`, and a stream that never returned a
record starts at the epoch. A day of overlap is taken off: `filters[updated_after]` takes
a date whose time zone ActiveCampaign does not document
(https://developers.activecampaign.com/reference/list-all-deals, "format: date"), and a
date one day before covers that instant in any zone from UTC-12 to UTC+14.

`started` is when the pass began on this machine's clock, and `swept` when the stream's
sweep last ran (every deal id; every contact's list memberships and field values): sweeps
are due by elapsed time, which this clock measures well enough. Cursors written before
`newest` held only `started`: it is read as the next pass's start, then replaced.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from connectors.newest import later, latest, newest_text, parse_newest

OVERLAP = timedelta(days=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Position:
    since: datetime | None
    started: datetime
    after: int = 0
    complete: bool = False
    swept: datetime | None = None
    newest: datetime | None = None

    @property
    def updated_after(self) -> str | None:
        """The `filters[updated_after]` date of this pass; None for a full pass."""
        if self.since is None:
            return None
        return (self.since - OVERLAP).date().isoformat()

    def at(self, after: int) -> Position:
        return replace(self, after=after)

    def seen(self, modified: Iterable[datetime | None]) -> Position:
        """This position with `newest` moved to the latest of the `modified` times."""
        return replace(self, newest=later(self.newest, latest(modified)))

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
                "newest": _text(self.newest),
            }
        )

    @classmethod
    def decode(cls, cursor: str | None) -> Position | None:
        """The position a cursor holds; None for no cursor or one this connector did not write."""
        if cursor is None:
            return None
        try:
            data = json.loads(cursor)
            since = _instant(data["since"])
            if "newest" not in data and data["complete"] is True:
                # written before `newest`: the next pass starts where the old code would
                since = datetime.fromisoformat(data["started"])
            position = cls(
                since=since,
                started=datetime.fromisoformat(data["started"]),
                after=data["after"],
                complete=data["complete"],
                swept=_instant(data["swept"]),
                newest=_instant(data.get("newest")),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        if type(position.after) is not int or not isinstance(position.complete, bool):
            return None
        if position.started.tzinfo is None:
            return None
        return position


def plan(cursor: str | None, *, full: bool, now: datetime) -> Position:
    """The pass to run: a full one without a usable cursor (or with `full`), the rest of an
    interrupted one, or else the next incremental one, from the newest change read."""
    previous = None if full else Position.decode(cursor)
    if previous is None:
        return Position(since=None, started=now)
    if not previous.complete:
        return previous
    since = previous.newest or previous.since or EPOCH
    return Position(since=since, started=now, swept=previous.swept, newest=previous.newest)


def _text(value: datetime | None) -> str | None:
    return None if value is None else newest_text(value)


def _instant(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(value)
    return parse_newest(value)
