"""A deal's status from its pipeline and stage, as a deal and each of its versions read it."""

from __future__ import annotations

from connectors.hubspot.pipelines import Pipelines
from connectors.hubspot.values import Props
from connectors.schema import DealStatus


def deal_status(pipelines: Pipelines, props: Props, pipeline_id: str, stage_id: str) -> DealStatus:
    """Won or lost by the stage's closed and won flags, else open.

    The pipelines response lists no archived stage (it has no `archived` parameter,
    https://developers.hubspot.com/docs/api/crm/pipelines); a deal in one is read by its own
    `hs_is_closed` and `hs_is_closed_won`.
    """
    stage = pipelines.stage(pipeline_id, stage_id)
    if stage is None:
        if props.text("hs_is_closed") != "true":
            return "open"
        return "won" if props.text("hs_is_closed_won") == "true" else "lost"
    if not stage.is_closed:
        return "open"
    return "won" if stage.is_won else "lost"
