"""The cursor of one HubSpot object stream: which pass it is in, and how far it got.

- `list`: a full pass through the list endpoint, begun at `started`; `after` is the token of
  the next page.
- `search`: an incremental pass for records modified since `since`, begun at `started`;
  `after` is the highest object id committed.
- `sweep`: the pass is read; the archived records are still to be marked deleted, and the
  next pass starts at `since`.
- `done`: the next pass is incremental from `since`.

`fields` fingerprints the properties requested: when the mapping or the pipelines' stages
change, the stored records lack what is now asked for, so the next pass is a full one.
Times are epoch milliseconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal, TypeAlias, get_args

Mode: TypeAlias = Literal["list", "search", "sweep", "done"]
MODES = frozenset(get_args(Mode))


@dataclass(frozen=True, slots=True)
class Position:
    mode: Mode
    fields: str
    since: int | None = None
    started: int | None = None
    after: str | None = None

    def encode(self) -> str:
        return json.dumps({key: value for key, value in asdict(self).items() if value is not None})

    @classmethod
    def decode(cls, cursor: str | None) -> Position | None:
        """The position a cursor holds; None for no cursor or one this connector did not write."""
        if cursor is None:
            return None
        try:
            data = json.loads(cursor)
            position = cls(**data)
        except (ValueError, TypeError):
            return None
        if position.mode not in MODES or not isinstance(position.fields, str):
            return None
        needs = {"list": ("started",), "search": ("since", "started"), "sweep": ("since",)}
        numbers = (getattr(position, name) for name in needs.get(position.mode, ("since",)))
        if not all(type(number) is int for number in numbers):
            return None
        return position


def fingerprint(properties: Sequence[str]) -> str:
    """A short digest of the requested properties, in order."""
    return hashlib.sha256("\n".join(properties).encode()).hexdigest()[:16]
