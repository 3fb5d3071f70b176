"""Count the HTTP calls of a pull, and those it lost, across a SIGKILL.

The killed child appends a line per request it sends and one per page it commits to a file,
flushed each time, so the parent reads what the child did up to the instant it died: every
call, and the calls after its last commit, whose work the kill lost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

CALL = "call"
COMMIT = "commit"


class CallLog:
    """The log file of one pull; `commit` has the signature of `sync.pull`'s progress."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def call(self, what: str) -> None:
        self._write(f"{CALL} {what}")

    def commit(self, *_: object) -> None:
        self._write(COMMIT)

    def _write(self, line: str) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def _lines(self) -> list[str]:
        try:
            return self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []

    def called(self) -> list[str]:
        """What each call asked for, in order."""
        return [line.removeprefix(CALL).strip() for line in self._lines() if line != COMMIT]

    def calls(self) -> int:
        return len(self.called())

    def lost(self) -> int:
        """The calls sent after the last committed page."""
        lines = self._lines()
        last = max((i for i, line in enumerate(lines) if line == COMMIT), default=-1)
        return sum(line != COMMIT for line in lines[last + 1 :])


class LoggedSession(requests.Session):
    """`inner`, with each request written to `log` before it is sent."""

    def __init__(self, inner: requests.Session, log: CallLog) -> None:
        super().__init__()
        self.inner = inner
        self.log = log

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.log.call(f"{method} {url}")
        return self.inner.request(method, url, *args, **kwargs)
