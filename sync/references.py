"""References between the records of one source, checked as a pull stores them.

A deal names its pipeline, stage, owner and contact; a ticket its owner; a subscription
event and a survey answer their contact. A record pointing at none of the records its
source holds (a stage its pipelines do not list, an owner removed from the account, a
contact outside the export) is **kept as given**, and a warning names the record (source,
kind, id) and the reference (field, value). Kept, because dropping it would lose what it
still says (a won deal's amount, a ticket's times) and the KPIs show an unknown stage or
owner under its id. The warning reaches the run's list of warnings (`sync.notices`).

What a record points at is looked up in the store: the records this pull committed so far
and those earlier pulls stored (an incremental pull may not read the owners again). A
reference not found when its page is committed is looked up again once its source's pull
ends, so a record committed before the one it names (a contacts page's subscription events
come first) is not named by mistake.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from connectors.schema import (
    Contact,
    Deal,
    Owner,
    Record,
    Stage,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
    stage_key,
)

logger = logging.getLogger(__name__)

PIPELINE = "pipeline"
"""Pipelines are no record of their own: a pipeline is known by its live stages."""


class Held(Protocol):
    """What the store says it holds, as `sync.store.Store` offers it."""

    def held(self, source: str, kind: str, ids: Iterable[str]) -> set[str]: ...

    def pipelines(self, source: str) -> set[str]: ...


@dataclass(frozen=True, slots=True)
class Reference:
    """One field of one record naming another: `target` is the key of the `kind` it names."""

    record: Record
    field: str
    value: str
    kind: str
    target: str

    def describe(self) -> str:
        record = self.record
        what = self.kind
        if self.kind == Stage.KIND and isinstance(record, Deal):
            what = f"stage of pipeline {record.pipeline_id!r}"
        return (
            f"{record.source}: {record.KIND} {record.id!r}: {self.field} {self.value!r} "
            f"names no {what} in {record.source}; kept as given"
        )


def references(record: Record) -> Iterator[Reference]:
    """The references `record` makes; a deal's stage is one too, which `finish` leaves
    unnamed when the deal's pipeline is unknown."""
    if isinstance(record, Deal):
        yield Reference(record, "pipeline_id", record.pipeline_id, PIPELINE, record.pipeline_id)
        key = stage_key(record.pipeline_id, record.stage_id)
        yield Reference(record, "stage_id", record.stage_id, Stage.KIND, key)
    if isinstance(record, Deal | Ticket) and record.owner_id is not None:
        yield Reference(record, "owner_id", record.owner_id, Owner.KIND, record.owner_id)
    if isinstance(record, Deal | SurveyResponse) and record.contact_id is not None:
        yield Reference(record, "contact_id", record.contact_id, Contact.KIND, record.contact_id)
    if isinstance(record, SubscriptionEvent):
        yield Reference(record, "contact_id", record.contact_id, Contact.KIND, record.contact_id)


@dataclass
class ReferenceCheck:
    """The references of one source's pull: checked per page, the unresolved ones at the end."""

    store: Held
    source: str
    pending: list[Reference] = field(default_factory=list)

    def page(self, records: Iterable[Record]) -> None:
        """Check the references of a committed page's records."""
        self.pending.extend(self._unresolved(ref for r in records for ref in references(r)))

    def finish(self) -> list[Reference]:
        """Warn of every reference still pointing at nothing; they are returned, in order."""
        dangling = self._unresolved(self.pending)
        self.pending = []
        # a deal in an unknown pipeline is named for that, not again for its stage
        lost = {r.record.id for r in dangling if r.kind == PIPELINE}
        named = [r for r in dangling if r.kind != Stage.KIND or r.record.id not in lost]
        for reference in named:
            logger.warning("%s", reference.describe())
        return named

    def _unresolved(self, found: Iterable[Reference]) -> list[Reference]:
        listed = list(found)
        targets: defaultdict[str, set[str]] = defaultdict(set)
        for reference in listed:
            targets[reference.kind].add(reference.target)
        held = {
            kind: self.store.pipelines(self.source)
            if kind == PIPELINE
            else self.store.held(self.source, kind, ids)
            for kind, ids in targets.items()
        }
        return [r for r in listed if r.target not in held[r.kind]]
