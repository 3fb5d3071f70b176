"""What a HubSpot pull keeps so that, killed, the next pull resumes it instead of starting over.

A pull begins with reference reads: one probe per scope, the owners, the deal and ticket
pipelines. Each is committed with the pages it belongs to, marked with the run, the pull's
start (`now`):

- the `owners` cursor, on the owners' closing page, holds the run, the scopes it checked and
  whether the run finished; the run's last page marks it finished;
- the `stages` cursor, on the stages page, holds both pipelines as HubSpot sent them;
- a stream whose pass ended in the run says so in its own cursor (`Position.run`).

The next pull is a resume when the owners cursor names a run that did not finish, checked
the same scopes and began less than `FRESH` before it: it then skips the probes and the
owners, builds the pipelines from the stages cursor, and skips each stream whose pass ended
in that run, so it costs the page it lost plus a constant. Any other pull (the run finished,
or is older, or `--full`) reads everything again, so owners renamed and pipelines added
overnight arrive with the next day's sync. Freshness is judged on this machine's clock,
which measures an hour's gap well enough; a pull without `now` keeps nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from connectors.hubspot.access import Probe

FRESH = timedelta(hours=1)
OWNERS = "owners"
STAGES = "stages"


@dataclass(frozen=True, slots=True)
class Run:
    """One pull: when it began, a digest of the scopes it checked, whether it finished."""

    started: datetime
    scopes: str
    finished: bool = False

    @property
    def mark(self) -> str:
        """How a stream's cursor names the run its pass ended in."""
        return self.started.isoformat()

    def encode(self) -> str:
        return json.dumps({"run": self.mark, "scopes": self.scopes, "finished": self.finished})

    def done(self) -> Run:
        return replace(self, finished=True)

    @classmethod
    def decode(cls, cursor: str | None) -> Run | None:
        """The run an owners cursor names; None for none, or one this module did not write."""
        try:
            data = json.loads(cursor or "")
            run = cls(datetime.fromisoformat(data["run"]), data["scopes"], data["finished"])
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        if run.started.tzinfo is None or not isinstance(run.finished, bool):
            return None
        return run if isinstance(run.scopes, str) else None


def scopes(probes: Sequence[Probe]) -> str:
    """A short digest of the probes a run sends: another configuration asks for others."""
    text = "\n".join(f"{probe.scope} {probe.method} {probe.path}" for probe in probes)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def resumed(cursors: Mapping[str, str], now: datetime, checked: str) -> Run | None:
    """The interrupted run this pull resumes, or None when it must start afresh."""
    run = Run.decode(cursors.get(OWNERS))
    if run is None or run.finished or run.scopes != checked:
        return None
    return run if timedelta(0) <= now - run.started < FRESH else None


def pipelines_cursor(run: Run, deals: Mapping[str, Any], tickets: Mapping[str, Any]) -> str:
    """The stages cursor: both pipelines' bodies, as the run read them."""
    return json.dumps({"run": run.mark, "deals": deals, "tickets": tickets})


def kept_pipelines(
    cursors: Mapping[str, str], run: Run
) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """The deal and ticket pipelines `run` read, when its stages page was committed."""
    try:
        data = json.loads(cursors.get(STAGES) or "")
        if data["run"] != run.mark:
            return None
        deals, tickets = data["deals"], data["tickets"]
    except (ValueError, TypeError, KeyError):
        return None
    if isinstance(deals, dict) and isinstance(tickets, dict):
        return deals, tickets
    return None
