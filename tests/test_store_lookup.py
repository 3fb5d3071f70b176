"""`Store.record`: one stored record by its key, for connectors that diff against the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.base import Page, Pulled
from connectors.schema import Contact, Deal, StageVisit
from sync.store import Store

T0 = datetime(2026, 10, 1, 9, tzinfo=UTC)


def _deal(deal_id: str) -> Deal:
    return Deal(
        source="crm",
        id=deal_id,
        pipeline_id="p1",
        stage_id="s2",
        status="won",
        created_at=T0,
        amount=Decimal("120.50"),
        currency="usd",
        closed_at=T0 + timedelta(days=9),
        stage_history=(
            StageVisit("s1", T0, T0 + timedelta(days=2)),
            StageVisit("s2", T0 + timedelta(days=2), T0 + timedelta(days=9)),
        ),
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(tmp_path / "store.db")
    deals = tuple(Pulled(_deal(i), {"id": i}) for i in ("d1", "d2"))
    opened.commit_page("crm", Page("deals", "deal", deals), synced_at=T0)
    contact = Contact("crm", "c1", T0, "c@example.com", "ads")
    opened.commit_page("crm", Page("contacts", "contact", (Pulled(contact, {}),)), synced_at=T0)
    return opened


def test_a_stored_record_comes_back_equal(store: Store) -> None:
    """The stored deal is returned whole: amount, currency, close date and stage history."""
    assert store.record("crm", "deal", "d1") == _deal("d1")
    assert store.record("crm", "contact", "c1") == Contact("crm", "c1", T0, "c@example.com", "ads")


@pytest.mark.parametrize(
    ("source", "kind", "record_id"),
    [("crm", "deal", "d9"), ("other", "deal", "d1"), ("crm", "contact", "d1")],
    ids=["unknown-id", "other-source", "other-kind"],
)
def test_a_record_not_stored_is_none(store: Store, source: str, kind: str, record_id: str) -> None:
    """A key the store does not hold under that source and kind gives None."""
    assert store.record(source, kind, record_id) is None


def test_a_deleted_record_is_none(store: Store) -> None:
    """A record marked deleted is no longer returned; its neighbours still are."""
    store.commit_page("crm", Page("deals", "deal", deleted=("d1",)), synced_at=T0)
    assert store.record("crm", "deal", "d1") is None
    assert store.record("crm", "deal", "d2") == _deal("d2")


def test_an_unknown_kind_is_refused(store: Store) -> None:
    """A kind with no table is a programming error, named in the message."""
    with pytest.raises(ValueError, match="unknown record kind 'invoice'"):
        store.record("crm", "invoice", "x")
