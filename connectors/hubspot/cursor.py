"""The cursor of one HubSpot object stream: which pass it is in, and how far it got.

- `list`: a full pass through the list endpoint; `after` is the token of the next page.
- `search`: an incremental pass for records modified since `since`; `after` is the highest
  object id committed.
- `sweep`: the pass is read; the archived records are still to be marked deleted, and the
  next pass starts at `since`.
- `done`: the next pass is incremental from `since`.

`fields` fingerprints the properties requested: when the mapping or the pipelines' stages
change, the stored records lack what is now asked for, so the next pass is a full one.
`newest` is the latest last-modified time HubSpot gave on a record committed so far, the
next pass's `since` less the overlap (`connectors/newest.py`: ISO 8601 text, the form
`status` reads); the other times are epoch milliseconds, the form search filters take.
`run` names the pull a `done` pass ended in (`resume.py`), so a resume of that pull skips it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal, TypeAlias, get_args

from connectors.newest import newest_change

Mode: TypeAlias = Literal["list", "search", "sweep", "done"]
MODES = frozenset(get_args(Mode))


@dataclass(frozen=True, slots=True)
class Position:
    mode: Mode
    fields: str
    since: int | None = None
    after: str | None = None
    newest: str | None = None
    run: str | None = None

    def encode(self) -> str:
        return json.dumps({key: value for key, value in asdict(self).items() if value is not None})

    @classmethod
    def decode(cls, cursor: str | None) -> Position | None:
        """The position a cursor holds; None for no cursor or one this connector did not write."""
        if cursor is None:
            return None
        try:
            data = json.loads(cursor)
            # cursors written before `newest` held when the pass began on this machine's
            # clock; their `since` is still a good place to start from
            data.pop("started", None)
            position = cls(**data)
        except (ValueError, TypeError, AttributeError):
            return None
        if position.mode not in MODES or not isinstance(position.fields, str):
            return None
        if position.mode != "list" and type(position.since) is not int:
            return None
        if position.newest is not None and newest_change(cursor) is None:
            return None
        if position.run is not None and not isinstance(position.run, str):
            return None
        return position


def fingerprint(properties: Sequence[str]) -> str:
    """A short digest of the requested properties, in order."""
    return hashlib.sha256("\n".join(properties).encode()).hexdigest()[:16]
