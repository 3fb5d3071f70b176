"""The cursor of one files stream: which content was read, and how far."""

from __future__ import annotations

import json
from dataclasses import dataclass

ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class Position:
    """`content` is the files' fingerprint (or `absent`); `line` is the last line committed.

    `complete` says the whole content was read, its last page carrying the live ids.
    """

    content: str
    line: int
    complete: bool

    def encode(self) -> str:
        return json.dumps({"content": self.content, "line": self.line, "complete": self.complete})

    @classmethod
    def decode(cls, cursor: str) -> Position | None:
        """The position a cursor holds; None when it is not one this connector wrote."""
        try:
            data = json.loads(cursor)
            content, line, complete = data["content"], data["line"], data["complete"]
        except (ValueError, TypeError, KeyError):
            return None
        if not (isinstance(content, str) and type(line) is int and isinstance(complete, bool)):
            return None
        return cls(content, line, complete)
