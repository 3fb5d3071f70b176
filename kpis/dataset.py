"""Everything the KPIs read, loaded once from the store, with the lookups they share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cached_property

from connectors.schema import (
    Contact,
    Deal,
    Owner,
    Stage,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
)
from kpis.column_records import (
    contact_records,
    deal_records,
    subscription_records,
    survey_records,
    ticket_records,
)
from kpis.columns import (
    Columns,
    ContactColumns,
    DealColumns,
    SubscriptionColumns,
    SurveyColumns,
    TicketColumns,
    VersionColumns,
    VisitColumns,
)


class Dataset:
    """The live (not deleted) records of every source. References resolve within a source.

    Built from records (`Dataset(deals=[...])`), or from columns (`Dataset.of_columns`) as
    the store loads it. The KPIs read `columns`; the record sequences are there for reports
    and tests, built from the columns on first use when the dataset was loaded as columns.
    A dataset is immutable: the KPIs cache what they derive from it by its identity.

    `recorded_since` is, per source, when the store began recording its deals' versions
    (its first sync since versions exist); the outputs that read the versions say so. Empty
    when unknown (a dataset built from records).
    """

    def __init__(
        self,
        owners: Iterable[Owner] = (),
        stages: Iterable[Stage] = (),
        contacts: Sequence[Contact] = (),
        deals: Sequence[Deal] = (),
        tickets: Sequence[Ticket] = (),
        subscriptions: Sequence[SubscriptionEvent] = (),
        surveys: Sequence[SurveyResponse] = (),
        *,
        recorded_since: Mapping[str, datetime] | None = None,
    ) -> None:
        self.owners: tuple[Owner, ...] = tuple(owners)
        self.stages: tuple[Stage, ...] = tuple(stages)
        self.recorded_since: Mapping[str, datetime] = dict(recorded_since or {})
        self.__dict__.update(
            contacts=list(contacts),
            deals=list(deals),
            tickets=list(tickets),
            subscriptions=list(subscriptions),
            surveys=list(surveys),
        )
        self._owner_names = {(o.source, o.id): o.name or o.email or o.id for o in self.owners}
        self._stages = {(s.source, s.pipeline_id, s.stage_id): s for s in self.stages}
        self._stages_by_id = {(s.source, s.stage_id): s for s in self.stages}
        self._pipeline_labels = {(s.source, s.pipeline_id): s.pipeline_label for s in self.stages}

    @classmethod
    def of_columns(
        cls,
        owners: Iterable[Owner],
        stages: Iterable[Stage],
        columns: Columns,
        *,
        recorded_since: Mapping[str, datetime] | None = None,
    ) -> Dataset:
        """A dataset of `columns`; its record sequences are built when first read."""
        data = cls(owners, stages, recorded_since=recorded_since)
        for name in ("contacts", "deals", "tickets", "subscriptions", "surveys"):
            del data.__dict__[name]
        data.__dict__["columns"] = columns
        return data

    @cached_property
    def columns(self) -> Columns:
        """The records as columns (`kpis.columns`), which is what the KPIs compute on."""
        return Columns(
            contacts=ContactColumns.of(self.contacts),
            deals=DealColumns.of(self.deals),
            visits=VisitColumns.of_deals(self.deals),
            versions=VersionColumns.of_deals(self.deals),
            tickets=TicketColumns.of(self.tickets),
            subscriptions=SubscriptionColumns.of(self.subscriptions),
            surveys=SurveyColumns.of(self.surveys),
        )

    @cached_property
    def contacts(self) -> Sequence[Contact]:
        return contact_records(self.columns.contacts)

    @cached_property
    def deals(self) -> Sequence[Deal]:
        return deal_records(self.columns)

    @cached_property
    def tickets(self) -> Sequence[Ticket]:
        return ticket_records(self.columns.tickets)

    @cached_property
    def subscriptions(self) -> Sequence[SubscriptionEvent]:
        return subscription_records(self.columns.subscriptions)

    @cached_property
    def surveys(self) -> Sequence[SurveyResponse]:
        return survey_records(self.columns.surveys)

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
