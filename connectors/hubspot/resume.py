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
from collections.abc import Sequence

from connectors.hubspot.access import Probe

OWNERS = "owners"
STAGES = "stages"
PIPELINES = ("deals", "tickets")
"""The parts of the stages cursor: the deal and the ticket pipelines, as HubSpot sent them."""


def scopes(probes: Sequence[Probe]) -> str:
    """A short digest of the probes a run sends: another configuration asks for others."""
    text = "\n".join(f"{probe.scope} {probe.method} {probe.path}" for probe in probes)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
