"""Deal and ticket pipelines, as HubSpot describes them and as `Stage` records.

A stage's `metadata` is a map of strings (https://developers.hubspot.com/docs/api/crm/pipelines):
deal stages carry `isClosed` and `probability`, ticket stages `ticketState` (OPEN or CLOSED).
Won and lost come from that metadata, never from labels, which accounts rename: a closed
stage with probability 1.0 is won, any other closed stage lost (HubSpot's own closed-won and
closed-lost stages are 1.0 and 0.0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.base import Pulled
from connectors.schema import Stage


@dataclass(frozen=True, slots=True)
class StageInfo:
    """A stage as the connector uses it; `raw` is the pipeline and stage as HubSpot sent them."""

    pipeline_id: str
    pipeline_label: str
    stage_id: str
    label: str
    order: int
    probability: float | None
    is_closed: bool
    is_won: bool
    raw: dict[str, Any]


def _probability(metadata: Mapping[str, Any]) -> float | None:
    try:
        value = float(metadata["probability"])
    except (KeyError, TypeError, ValueError):
        return None
    return value if 0 <= value <= 1 else None


def _stage(pipeline: Mapping[str, Any], stage: Mapping[str, Any], position: int) -> StageInfo:
    metadata = stage.get("metadata") or {}
    probability = _probability(metadata)
    is_closed = (
        str(metadata.get("isClosed", "")).lower() == "true"
        or str(metadata.get("ticketState", "")).upper() == "CLOSED"
    )
    order = stage.get("displayOrder")
    return StageInfo(
        pipeline_id=str(pipeline["id"]),
        pipeline_label=str(pipeline.get("label") or pipeline["id"]),
        stage_id=str(stage["id"]),
        label=str(stage.get("label") or stage["id"]),
        order=order if isinstance(order, int) else position,
        probability=probability,
        is_closed=is_closed,
        is_won=is_closed and probability == 1.0,
        raw={"pipeline": {"id": pipeline["id"], "label": pipeline.get("label")}, "stage": stage},
    )


class Pipelines:
    """The pipelines of one object type, from `GET /crm/v3/pipelines/{objectType}`."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.labels: dict[str, str] = {}
        self.stages: dict[tuple[str, str], StageInfo] = {}
        for pipeline in body.get("results") or ():
            self.labels[str(pipeline["id"])] = str(pipeline.get("label") or pipeline["id"])
            for position, stage in enumerate(pipeline.get("stages") or ()):
                info = _stage(pipeline, stage, position)
                self.stages[(info.pipeline_id, info.stage_id)] = info

    def stage(self, pipeline_id: str, stage_id: str) -> StageInfo | None:
        return self.stages.get((pipeline_id, stage_id))

    def stage_ids(self) -> list[str]:
        """Every stage id, each once (stage ids are unique within an account)."""
        return list(dict.fromkeys(stage_id for _, stage_id in self.stages))

    def records(self, source: str) -> list[Pulled]:
        return [
            Pulled(
                Stage(
                    source=source,
                    pipeline_id=info.pipeline_id,
                    pipeline_label=info.pipeline_label,
                    stage_id=info.stage_id,
                    stage_label=info.label,
                    stage_order=info.order,
                    probability=info.probability,
                    is_closed=info.is_closed,
                    is_won=info.is_won,
                ),
                info.raw,
            )
            for info in self.stages.values()
        ]
