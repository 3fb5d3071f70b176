"""Records built back from columns (`kpis.columns`), for reports that list some and for tests.

The columns hold values the schema checked on their way into the store, so a record is
made with its fields set as they are, without the constructor's checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.schema import (
    Contact,
    Deal,
    DealVersion,
    StageVisit,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
)
from kpis.columns import (
    Columns,
    ContactColumns,
    DealColumns,
    RecordColumns,
    SubscriptionColumns,
    SurveyColumns,
    TicketColumns,
    column_values,
    value_at,
)


def _new(record_type: type[Any], values: dict[str, Any]) -> Any:
    """A record with its fields set as they are: columns hold values the schema checked."""
    record = object.__new__(record_type)
    for name, value in values.items():
        object.__setattr__(record, name, value)
    return record


def records(table: RecordColumns) -> list[Any]:
    """Every record of `table`, of its `RECORD` type (a deal without its stage history)."""
    names = [column.name for column in table.fields()]
    columns = [column_values(column.kind, getattr(table, column.name)) for column in table.fields()]
    return [
        _new(table.RECORD, dict(zip(names, row, strict=True))) for row in zip(*columns, strict=True)
    ]


def deal_at(
    deals: DealColumns,
    visits: Sequence[StageVisit],
    at: int,
    versions: Sequence[DealVersion] = (),
) -> Deal:
    """The deal at position `at`, with its stage history `visits` and its `versions`."""
    values = {c.name: value_at(c.kind, getattr(deals, c.name), at) for c in deals.fields()}
    deal: Deal = _new(Deal, values | {"stage_history": tuple(visits), "versions": tuple(versions)})
    return deal


def deal_records(columns: Columns) -> list[Deal]:
    """Every deal as a record, with its stage history and its versions."""
    history: list[list[StageVisit]] = [[] for _ in range(len(columns.deals))]
    for deal, visit in zip(columns.visits.deal.tolist(), records(columns.visits), strict=True):
        history[deal].append(visit)
    recorded: list[list[DealVersion]] = [[] for _ in range(len(columns.deals))]
    for deal, version in zip(
        columns.versions.deal.tolist(), records(columns.versions), strict=True
    ):
        recorded[deal].append(version)
    deals: list[Deal] = records(columns.deals)
    for deal, visits, versions in zip(deals, history, recorded, strict=True):
        object.__setattr__(deal, "stage_history", tuple(visits))
        object.__setattr__(deal, "versions", tuple(versions))
    return deals


def contact_records(contacts: ContactColumns) -> list[Contact]:
    return records(contacts)


def ticket_records(tickets: TicketColumns) -> list[Ticket]:
    return records(tickets)


def subscription_records(events: SubscriptionColumns) -> list[SubscriptionEvent]:
    return records(events)


def survey_records(surveys: SurveyColumns) -> list[SurveyResponse]:
    return records(surveys)
