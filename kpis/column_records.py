"""Records built back from columns (`kpis.columns`), for reports that list some and for tests.

The columns hold values the schema checked on their way into the store, so a record is
made with its fields set as they are, without the constructor's checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from connectors.schema import Contact, Deal, StageVisit, SubscriptionEvent, SurveyResponse, Ticket
from kpis.columns import (
    Columns,
    ContactColumns,
    DealColumns,
    SubscriptionColumns,
    SurveyColumns,
    TicketColumns,
    instant_of,
    optional_instant,
)


def _new(record_type: type[Any], **values: Any) -> Any:
    """A record with its fields set as they are: columns hold values the schema checked."""
    record = object.__new__(record_type)
    for name, value in values.items():
        object.__setattr__(record, name, value)
    return record


def deal_at(deals: DealColumns, visits: Sequence[StageVisit], at: int) -> Deal:
    """The deal at position `at`, with its stage history `visits`."""
    deal: Deal = _new(
        Deal,
        source=deals.source.at(at),
        id=deals.id[at],
        pipeline_id=deals.pipeline_id.at(at),
        stage_id=deals.stage_id.at(at),
        status=deals.status.at(at),
        created_at=instant_of(deals.created_at[at]),
        name=deals.name[at],
        amount=deals.amount[at],
        currency=deals.currency.at(at),
        owner_id=deals.owner_id.at(at),
        contact_id=deals.contact_id.at(at),
        lead_source=deals.lead_source.at(at),
        kind=deals.kind.at(at),
        lost_reason=deals.lost_reason.at(at),
        campaign=deals.campaign.at(at),
        closed_at=optional_instant(deals.closed_at[at]),
        expected_close_at=optional_instant(deals.expected_close_at[at]),
        probability=None if np.isnan(deals.probability[at]) else float(deals.probability[at]),
        stage_history=tuple(visits),
    )
    return deal


def deal_records(columns: Columns) -> list[Deal]:
    """Every deal as a record, with its stage history."""
    visits = columns.visits
    history: list[list[StageVisit]] = [[] for _ in range(len(columns.deals))]
    stage_ids = visits.stage_id.texts()
    for at, deal in enumerate(visits.deal.tolist()):
        history[deal].append(
            _new(
                StageVisit,
                stage_id=stage_ids[at],
                entered_at=instant_of(visits.entered_at[at]),
                exited_at=optional_instant(visits.exited_at[at]),
            )
        )
    return [deal_at(columns.deals, history[at], at) for at in range(len(columns.deals))]


def contact_records(contacts: ContactColumns) -> list[Contact]:
    return [
        _new(
            Contact,
            source=contacts.source.at(at),
            id=contacts.id[at],
            created_at=instant_of(contacts.created_at[at]),
            email=contacts.email[at],
            lead_source=contacts.lead_source.at(at),
            churned_at=optional_instant(contacts.churned_at[at]),
        )
        for at in range(len(contacts))
    ]


def ticket_records(tickets: TicketColumns) -> list[Ticket]:
    return [
        _new(
            Ticket,
            source=tickets.source.at(at),
            id=tickets.id[at],
            created_at=instant_of(tickets.created_at[at]),
            closed_at=optional_instant(tickets.closed_at[at]),
            owner_id=tickets.owner_id.at(at),
            followups=int(tickets.followups[at]),
            pipeline=tickets.pipeline.at(at),
        )
        for at in range(len(tickets))
    ]


def subscription_records(events: SubscriptionColumns) -> list[SubscriptionEvent]:
    return [
        SubscriptionEvent(
            source=str(events.source.at(at)),
            contact_id=str(events.contact_id.at(at)),
            list=str(events.list.at(at)),
            action=events.action.at(at),  # type: ignore[arg-type]
            at=instant_of(events.at[at]),
        )
        for at in range(len(events))
    ]


def survey_records(surveys: SurveyColumns) -> list[SurveyResponse]:
    return [
        _new(
            SurveyResponse,
            source=surveys.source.at(at),
            id=surveys.id[at],
            score=int(surveys.score[at]),
            submitted_at=instant_of(surveys.submitted_at[at]),
            contact_id=surveys.contact_id.at(at),
        )
        for at in range(len(surveys))
    ]
