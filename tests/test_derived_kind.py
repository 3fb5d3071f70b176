"""A deal of an upsell pipeline is an upsell by the pipeline's title as the KPIs read the store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import responses

from connectors.activecampaign.context import store_lookup
from connectors.base import Page, Pulled
from connectors.schema import Contact, Deal, Record, Stage
from kpis.sales import upsell_rate
from sync.pull import pull
from sync.store import SCHEMA_VERSION, Store, changes
from tests.fixtures.activecampaign.fake import NOW, FakeAccount, connector
from tests.kpi_builders import period, settings, values

SYNCED = datetime(2026, 11, 1, tzinfo=UTC)
YEAR = period("2026")


def _page(kind: str, *records: Record, live: bool = False) -> Page:
    items = tuple(Pulled(record, {"id": record.id}) for record in records)
    ids = frozenset(record.id for record in records) if live else None
    return Page(kind, kind, items, live_ids=ids)


def _won(deal_id: str, pipeline_id: str, closed: datetime) -> Deal:
    return Deal(
        "crm",
        deal_id,
        pipeline_id,
        "won",
        "won",
        closed - timedelta(days=30),
        amount=Decimal(100),
        currency="EUR",
        contact_id="c1",
        closed_at=closed,
    )


def _stages(label: str) -> Page:
    """The stages page of a full pull: pipeline p2 under `label`."""
    return _page(
        "stage",
        Stage("crm", "p1", "Sales", "won", "Won", is_closed=True, is_won=True),
        Stage("crm", "p2", label, "won", "Won", is_closed=True, is_won=True),
        live=True,
    )


def _upsell_rate(store: Store) -> object:
    return values(upsell_rate(store.load_dataset(), YEAR, settings()))[("all", "all")]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A customer since 2025, won again in 2026 in pipeline p2, first titled "Renewals"."""
    with Store.open(tmp_path / "store.db") as opened:
        opened.derive("crm", {"kind"}, {" expansion "})
        opened.commit_page("crm", _stages("Renewals"), synced_at=SYNCED)
        opened.commit_page(
            "crm",
            _page("contact", Contact("crm", "c1", datetime(2025, 1, 1, tzinfo=UTC))),
            synced_at=SYNCED,
        )
        first = _won("d1", "p1", datetime(2025, 6, 1, tzinfo=UTC))
        again = _won("d2", "p2", datetime(2026, 6, 1, tzinfo=UTC))
        opened.commit_page("crm", _page("deal", first, again), synced_at=SYNCED)
        yield opened


def test_a_renamed_pipeline_moves_upsell_rate_through_the_snapshot(store: Store) -> None:
    """Renamed to an upsell title and back, its won deal counts, then not, at each load."""
    before = _upsell_rate(store)
    store.commit_page("crm", _stages("Expansion"), synced_at=SYNCED)
    renamed = _upsell_rate(store)
    store.commit_page("crm", _stages("Renewals"), synced_at=SYNCED)
    back = _upsell_rate(store)
    assert changes.snapshot(store._db) is not None, "the loads merged into a snapshot"
    assert (before, renamed, back) == (0.0, 1.0, 0.0)


def test_stages_that_did_not_change_log_no_deal(store: Store) -> None:
    """Stages are read whole on every pull: an unchanged page leaves the snapshot whole."""
    store.load_dataset()
    store.commit_page("crm", _stages("Renewals"), synced_at=SYNCED)
    assert store._db.execute("SELECT count(*) FROM changes WHERE kind = 'deal'").fetchone() == (0,)


def test_other_upsell_titles_drop_the_snapshot(store: Store) -> None:
    """The titles decide every deal's kind: naming others reads every deal again."""
    store.load_dataset()
    store.derive("crm", {"kind"}, {"Renewals"})
    assert changes.snapshot(store._db) is None
    assert _upsell_rate(store) == 1.0


def test_a_source_that_does_not_derive_kind_keeps_its_own(store: Store) -> None:
    """Upsell titles count only for a source deriving `kind`; stopping forgets them."""
    store.derive("crm", set(), {"Renewals"})
    assert _upsell_rate(store) == 0.0
    assert store._db.execute("SELECT count(*) FROM upsell_pipelines").fetchone() == (0,)


def test_a_version_4_store_gets_the_upsell_pipelines(tmp_path: Path) -> None:
    """Opening a version 4 store adds the titles table and the deals' pipeline index."""
    path = tmp_path / "v4.db"
    with Store.open(path) as store:
        store.commit_page("crm", _stages("Expansion"), synced_at=SYNCED)
        store.commit_page("crm", _page("deal", _won("d2", "p2", SYNCED)), synced_at=SYNCED)
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE upsell_pipelines")
        db.execute("DROP INDEX deals_by_pipeline")
        db.execute("DROP TABLE deal_versions")
        db.execute("PRAGMA user_version = 4")
    with Store.open(path) as store:
        store.derive("crm", {"kind"}, {"Expansion"})
        assert [deal.kind for deal in store.load_dataset().deals] == ["upsell"]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        indexes = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert "deals_by_pipeline" in indexes


@pytest.fixture
def account() -> Iterator[FakeAccount]:
    fake = FakeAccount.from_fixtures()
    with responses.RequestsMock() as mock:
        fake.register(mock)
        yield fake


def _pull(store: Store, now: datetime) -> None:
    source = connector(now=now, lookup=store_lookup(store, "activecampaign"))
    pull(store, [source], full=False, now=lambda: now)


def test_an_activecampaign_pipeline_renamed_to_an_upsell_title_makes_its_deals_upsells(
    account: FakeAccount, tmp_path: Path
) -> None:
    """The deals of "Sales" are untouched; the pipeline's new title reaches them."""
    with Store.open(tmp_path / "store.db") as store:
        for day, title in ((0, "Sales"), (1, "Expansion")):
            now = NOW + timedelta(days=day)
            for group in account.collections["dealGroups"]:
                if group["id"] == "1":
                    group["title"] = title
            _pull(store, now)
            kinds = {deal.id: deal.kind for deal in store.load_dataset().deals}
            assert [kinds[i] for i in ("101", "102", "104")] == [
                "upsell" if day else "new",
                "upsell" if day else "new",
                "upsell",
            ], title
