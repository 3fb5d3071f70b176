"""What a HubSpot pull keeps so that, killed, the next pull resumes it instead of starting over.

A pull begins with reference reads: one probe per scope, the owners, the deal and ticket
pipelines. Each is committed with the pages it belongs to, marked with the run
(`connectors/resume.py`):

- the `owners` cursor, on the owners' closing page, holds the run, a digest of the scopes it
  checked and whether it finished; the run's last page marks it finished;
- the `stages` cursor, on the stages page, holds both pipelines as HubSpot sent them;
- a stream whose pass ended in the run says so in its own cursor (`Position.run`).

A resume (an unfinished run of the same scopes, begun less than an hour before) skips the
probes and the owners, builds the pipelines from the stages cursor, and skips each stream
whose pass ended in that run, so it costs the page it lost plus a constant. A pull without
`now` keeps nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.hubspot.access import Probe
from connectors.resume import Run

OWNERS = "owners"
STAGES = "stages"


def scopes(probes: Sequence[Probe]) -> str:
    """A short digest of the probes a run sends: another configuration asks for others."""
    text = "\n".join(f"{probe.scope} {probe.method} {probe.path}" for probe in probes)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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
