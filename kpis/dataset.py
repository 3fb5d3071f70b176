"""Everything the KPIs read, loaded once from the store, with the lookups they share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from connectors.schema import (
    Contact,
    Deal,
    Owner,
    Stage,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
)


@dataclass(frozen=True)
class Dataset:
    """The live (not deleted) records of every source. References resolve within a source."""

    owners: Sequence[Owner] = ()
    stages: Sequence[Stage] = ()
    contacts: Sequence[Contact] = ()
    deals: Sequence[Deal] = ()
    tickets: Sequence[Ticket] = ()
    subscriptions: Sequence[SubscriptionEvent] = ()
    surveys: Sequence[SurveyResponse] = ()
    _owner_names: dict[tuple[str, str], str] = field(init=False, repr=False, compare=False)
    _stages: dict[tuple[str, str, str], Stage] = field(init=False, repr=False, compare=False)
    _stages_by_id: dict[tuple[str, str], Stage] = field(init=False, repr=False, compare=False)
    _pipeline_labels: dict[tuple[str, str], str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_owner_names", {(o.source, o.id): o.name or o.email or o.id for o in self.owners}
        )
        object.__setattr__(
            self, "_stages", {(s.source, s.pipeline_id, s.stage_id): s for s in self.stages}
        )
        object.__setattr__(self, "_stages_by_id", {(s.source, s.stage_id): s for s in self.stages})
        object.__setattr__(
            self,
            "_pipeline_labels",
            {(s.source, s.pipeline_id): s.pipeline_label for s in self.stages},
        )

    def owner_name(self, source: str, owner_id: str | None) -> str | None:
        """The owner's display name; the raw id when the owner is unknown, None when unset."""
        if owner_id is None:
            return None
        return self._owner_names.get((source, owner_id), owner_id)

    def pipeline_label(self, source: str, pipeline_id: str) -> str:
        """The pipeline's label; its id when the pipeline is unknown."""
        return self._pipeline_labels.get((source, pipeline_id), pipeline_id)

    def stage(self, source: str, pipeline_id: str, stage_id: str) -> Stage | None:
        """The stage metadata, looked up in the deal's pipeline first, then by stage id alone."""
        return self._stages.get((source, pipeline_id, stage_id)) or self._stages_by_id.get(
            (source, stage_id)
        )
