"""The column kind of each schema field (`kpis.fields`), and records through their columns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.schema import (
    Contact,
    Deal,
    Record,
    StageVisit,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
)
from kpis.dataset import Dataset
from kpis.fields import FieldColumn, record_fields

T0 = datetime(2026, 10, 1, 9, 30, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("record_type", "name", "expected"),
    [
        (Deal, "id", FieldColumn("id", "text", optional=False)),
        (Deal, "name", FieldColumn("name", "text", optional=True)),
        (Deal, "status", FieldColumn("status", "labels", optional=False)),
        (Deal, "owner_id", FieldColumn("owner_id", "labels", optional=True)),
        (Deal, "amount", FieldColumn("amount", "decimals", optional=True)),
        (Deal, "closed_at", FieldColumn("closed_at", "instants", optional=True)),
        (Deal, "probability", FieldColumn("probability", "floats", optional=True)),
        (Ticket, "followups", FieldColumn("followups", "integers", optional=False)),
    ],
    ids=["id", "name", "literal", "reference", "money", "instant", "float", "count"],
)
def test_a_fields_column_kind_follows_its_annotation(
    record_type: type[Record], name: str, expected: FieldColumn
) -> None:
    assert {column.name: column for column in record_fields(record_type)}[name] == expected


def test_the_stage_history_is_no_column_of_the_deals() -> None:
    assert "stage_history" not in {column.name for column in record_fields(Deal)}


def _records() -> Dataset:
    visits = (StageVisit("s1", T0, T0 + timedelta(days=1)), StageVisit("s2", T0 + timedelta(1)))
    return Dataset(
        contacts=[Contact("crm", "c1", T0, email="a@b.c", churned_at=T0 + timedelta(9))],
        deals=[
            Deal(
                "crm", "d1", "p1", "s2", "won", T0, name="Big", amount=Decimal("10.50"),
                currency="EUR", owner_id="o1", contact_id="c1", lead_source="web",
                kind="upsell", campaign="spring", closed_at=T0 + timedelta(3),
                expected_close_at=T0 + timedelta(2), probability=0.25, stage_history=visits,
            ),
            Deal("crm", "d2", "p1", "s1", "open", T0),
        ],
        tickets=[
            Ticket("crm", "t1", T0, T0 + timedelta(1), "o1", 3, "support"),
            Ticket("crm", "t2", T0),
        ],
        subscriptions=[SubscriptionEvent("crm", "c1", "news", "subscribe", T0)],
        surveys=[SurveyResponse("crm", "n1", 9, T0, "c1"), SurveyResponse("crm", "n2", 0, T0)],
    )  # fmt: skip


@pytest.mark.parametrize(
    "collection",
    ["contacts", "deals", "tickets", "subscriptions", "surveys"],
    ids=["contacts", "deals", "tickets", "subscriptions", "surveys"],
)
def test_records_come_back_whole_from_their_columns(collection: str) -> None:
    """Every field, set or unset, survives the columns the KPIs compute on."""
    built = _records()
    loaded = Dataset.of_columns((), (), built.columns)
    assert list(getattr(loaded, collection)) == list(getattr(built, collection))
