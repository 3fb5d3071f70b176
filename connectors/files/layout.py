"""The CSV export format: each file's required headers and how one of its rows becomes a record.

Empty cells are null; where the schema has a default (a deal's kind `new`, a ticket's zero
followups, a stage's order 0 and open/not-won flags) an empty cell takes it. An owner with no
name gets the empty name (reports then show the email or id), and a stage with no label is
labelled with its id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from connectors.files.values import (
    BadValue,
    Row,
    amount,
    flag,
    instant,
    lowercase,
    number,
    text,
    whole,
)
from connectors.schema import (
    Contact,
    Deal,
    DealKind,
    DealStatus,
    Owner,
    Record,
    Stage,
    StageVisit,
    SubscriptionAction,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
    stage_key,
)

Builder = Callable[[str, Row], Record]
"""Builds the record of one row, given the connector's name as the record's source."""

Key = Callable[[Row], str | None]
"""The store id of a row's record read from its id cells alone; None when they are unusable.

It names the record a bad row stands for, so that the record is kept rather than deleted.
"""


@dataclass(frozen=True, slots=True)
class FileLayout:
    """One CSV file of the export: its stream (the cursor's name) and its record kind."""

    stream: str
    filename: str
    kind: str
    headers: tuple[str, ...]
    build: Builder
    key: Key


def _id(row: Row) -> str | None:
    return row.get("id", text)


def _stage_id(row: Row) -> str | None:
    pipeline_id, stage_id = row.get("pipeline_id", text), row.get("stage_id", text)
    return None if pipeline_id is None or stage_id is None else stage_key(pipeline_id, stage_id)


def _no_key(row: Row) -> None:
    """A subscription event is keyed by every one of its cells, so a bad row's key is unknown."""
    return None


def _owner(source: str, row: Row) -> Owner:
    return Owner(
        source=source,
        id=row.need("id", text),
        name=row.get("name", text) or "",
        email=row.get("email", text),
    )


def _stage(source: str, row: Row) -> Stage:
    pipeline_id = row.need("pipeline_id", text)
    stage_id = row.need("stage_id", text)
    return Stage(
        source=source,
        pipeline_id=pipeline_id,
        pipeline_label=row.get("pipeline_label", text) or pipeline_id,
        stage_id=stage_id,
        stage_label=row.get("stage_label", text) or stage_id,
        stage_order=row.get("stage_order", whole) or 0,
        probability=row.get("probability", number),
        is_closed=row.get("is_closed", flag) or False,
        is_won=row.get("is_won", flag) or False,
    )


def _contact(source: str, row: Row) -> Contact:
    return Contact(
        source=source,
        id=row.need("id", text),
        email=row.get("email", text),
        created_at=row.need("created_at", instant),
        lead_source=row.get("source", text),
        churned_at=row.get("churned_at", instant),
    )


def deal_builder(history: Mapping[str, Sequence[StageVisit]]) -> Builder:
    """The deals builder, attaching to each deal its visits from `stage_history.csv`."""

    def build(source: str, row: Row) -> Deal:
        deal_id = row.need("id", text)
        return Deal(
            source=source,
            id=deal_id,
            name=row.get("name", text),
            pipeline_id=row.need("pipeline_id", text),
            stage_id=row.need("stage_id", text),
            # the schema rejects any other value, naming the allowed ones
            status=cast(DealStatus, row.need("status", lowercase)),
            amount=row.get("amount", amount),
            currency=row.get("currency", text),
            owner_id=row.get("owner_id", text),
            contact_id=row.get("contact_id", text),
            lead_source=row.get("source", text),
            kind=cast(DealKind, row.get("kind", lowercase) or "new"),
            lost_reason=row.get("lost_reason", text),
            campaign=row.get("campaign", text),
            created_at=row.need("created_at", instant),
            closed_at=row.get("closed_at", instant),
            expected_close_at=row.get("expected_close_at", instant),
            probability=row.get("probability", number),
            stage_history=tuple(history.get(deal_id, ())),
        )

    return build


def _ticket(source: str, row: Row) -> Ticket:
    return Ticket(
        source=source,
        id=row.need("id", text),
        created_at=row.need("created_at", instant),
        closed_at=row.get("closed_at", instant),
        owner_id=row.get("owner_id", text),
        followups=row.get("followups", whole) or 0,
        pipeline=row.get("pipeline", text),
    )


def _subscription(source: str, row: Row) -> SubscriptionEvent:
    return SubscriptionEvent(
        source=source,
        contact_id=row.need("contact_id", text),
        list=row.need("list", text),
        action=cast(SubscriptionAction, row.need("action", lowercase)),
        at=row.need("at", instant),
    )


def _survey(source: str, row: Row) -> SurveyResponse:
    return SurveyResponse(
        source=source,
        id=row.need("id", text),
        contact_id=row.get("contact_id", text),
        score=row.need("score", whole),
        submitted_at=row.need("submitted_at", instant),
    )


def visit_deal_id(row: Row) -> str | None:
    """The deal a `stage_history.csv` row belongs to, when its deal_id cell is filled."""
    return row.get("deal_id", text)


def visit(row: Row) -> tuple[str, StageVisit]:
    """A `stage_history.csv` row: the deal it belongs to and the visit."""
    entered = row.need("entered_at", instant)
    exited = row.get("exited_at", instant)
    if exited is not None and exited < entered:
        raise BadValue(
            "exited_at", f"{exited.isoformat()} is before entered_at {entered.isoformat()}"
        )
    return row.need("deal_id", text), StageVisit(row.need("stage_id", text), entered, exited)


HISTORY_FILE = "stage_history.csv"
HISTORY_HEADERS = ("deal_id", "stage_id", "entered_at", "exited_at")

DEALS = FileLayout(
    "deals",
    "deals.csv",
    Deal.KIND,
    (
        "id",
        "name",
        "pipeline_id",
        "stage_id",
        "status",
        "amount",
        "currency",
        "owner_id",
        "contact_id",
        "source",
        "kind",
        "lost_reason",
        "campaign",
        "created_at",
        "closed_at",
        "expected_close_at",
        "probability",
    ),
    deal_builder({}),
    _id,
)

LAYOUTS: tuple[FileLayout, ...] = (
    FileLayout("owners", "owners.csv", Owner.KIND, ("id", "name", "email"), _owner, _id),
    FileLayout(
        "pipelines",
        "pipelines.csv",
        Stage.KIND,
        (
            "pipeline_id",
            "pipeline_label",
            "stage_id",
            "stage_label",
            "stage_order",
            "probability",
            "is_closed",
            "is_won",
        ),
        _stage,
        _stage_id,
    ),
    FileLayout(
        "contacts",
        "contacts.csv",
        Contact.KIND,
        ("id", "email", "created_at", "source", "churned_at"),
        _contact,
        _id,
    ),
    DEALS,
    FileLayout(
        "tickets",
        "tickets.csv",
        Ticket.KIND,
        ("id", "created_at", "closed_at", "owner_id", "followups", "pipeline"),
        _ticket,
        _id,
    ),
    FileLayout(
        "subscriptions",
        "subscriptions.csv",
        SubscriptionEvent.KIND,
        ("contact_id", "list", "action", "at"),
        _subscription,
        _no_key,
    ),
    FileLayout(
        "surveys",
        "surveys.csv",
        SurveyResponse.KIND,
        ("id", "contact_id", "score", "submitted_at"),
        _survey,
        _id,
    ),
)
"""Every file of the export, in the order they are read (owners and stages first)."""
