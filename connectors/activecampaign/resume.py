"""What an ActiveCampaign pull keeps so that, killed, the next pull resumes it.

The run (`connectors/resume.py`) rides on the users' closing page, in the `owners` cursor;
the pipelines and stages as read ride on the stages page, in the `stages` cursor, so a
resume rebuilds the pipeline catalog without reading them. A contacts or deals pass that
began and ended in the run (its `started` is the run's start) is not run again on a resume,
unless its sweep is due: a sweep cut short by the kill runs whole. A full pass's activity
log is kept by `activity_log`.
"""

from __future__ import annotations

from datetime import datetime

from connectors.activecampaign.cursor import Position
from connectors.clock import due
from connectors.resume import Run

OWNERS = "owners"
STAGES = "stages"
PARTS = ("dealGroups", "dealStages")
"""The parts of the stages cursor: the pipelines and the stages, as ActiveCampaign sent them."""


def ended_in(cursor: str | None, run: Run, now: datetime, sweep_days: int) -> bool:
    """Whether the pass `cursor` holds began and ended in `run`, with no sweep due."""
    position = Position.decode(cursor)
    if position is None or not position.complete or position.started != run.started:
        return False
    return not due(position.swept, now, sweep_days)
