"""Whether a pull resumes an interrupted one, for the connectors that keep what it read.

A connector names its pull, a `Run`, in a cursor committed with its first pages (the owners'
closing page), and commits it again, finished, with its last. The next pull is a resume when
that cursor names a run that did not finish, checked what this one would check, and began
less than `FRESH` before it: what that run read and committed is still fresh, so the resume
reads on from its cursors instead of reading the account's reference data again. Any other
pull (the run finished, or is older, or `--full`) reads everything, so owners renamed and
pipelines added overnight arrive with the next day's sync. Freshness is judged on this
machine's clock, which measures an hour's gap well enough.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

FRESH = timedelta(hours=1)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Run:
    """One pull: when it began, a digest of what it checked first, whether it finished."""

    started: datetime
    checked: str = ""
    finished: bool = False

    @property
    def mark(self) -> str:
        """How other cursors name the run they were committed in."""
        return self.started.isoformat()

    def encode(self) -> str:
        return json.dumps({"run": self.mark, "checked": self.checked, "finished": self.finished})

    def done(self) -> Run:
        return replace(self, finished=True)

    @classmethod
    def decode(cls, cursor: str | None) -> Run | None:
        """The run a cursor names; None for none, or one this module did not write."""
        try:
            data = json.loads(cursor or "")
            run = cls(datetime.fromisoformat(data["run"]), data["checked"], data["finished"])
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        if run.started.tzinfo is None or not isinstance(run.finished, bool):
            return None
        return run if isinstance(run.checked, str) else None


def resumed(cursor: str | None, now: datetime, checked: str = "") -> Run | None:
    """The interrupted run `cursor` names, when this pull, begun at `now`, resumes it."""
    run = Run.decode(cursor)
    if run is None or run.finished or run.checked != checked:
        return None
    return run if timedelta(0) <= now - run.started < FRESH else None


def keep(run: Run, names: Sequence[str], parts: Sequence[Any]) -> str:
    """A cursor holding reference data as `run` read it: each of `parts` (JSON) by its name."""
    return json.dumps({"run": run.mark, **dict(zip(names, parts, strict=True))})


def parts_kept(cursor: str | None, run: Run, kind: type[T], *names: str) -> tuple[T, ...] | None:
    """The parts `names` of a `keep` cursor, each a `kind`, when `run` wrote it; else None."""
    try:
        data = json.loads(cursor or "")
        if data["run"] != run.mark:
            return None
        parts = tuple(data[name] for name in names)
    except (ValueError, TypeError, KeyError):
        return None
    return parts if all(isinstance(part, kind) for part in parts) else None
