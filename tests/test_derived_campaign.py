"""An ActiveCampaign deal's campaign is named by the account's campaign list as the KPIs read
the store, so a renamed email campaign's deals show under its new name."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import responses

from connectors.activecampaign.context import store_lookup
from connectors.base import Page, Pulled
from connectors.schema import Deal
from kpis.marketing import campaign_revenue
from sync.pull import pull
from sync.store import SCHEMA_VERSION, Store, changes
from tests.fixtures.activecampaign.fake import NOW, FakeAccount, connector
from tests.kpi_builders import period, settings, values

SOURCE = "activecampaign"
SYNCED = datetime(2026, 11, 1, tzinfo=UTC)
YEAR = period("2026")


@pytest.fixture
def account() -> Iterator[FakeAccount]:
    fake = FakeAccount.from_fixtures()
    with responses.RequestsMock() as mock:
        fake.register(mock)
        yield fake


def _pull(store: Store, now: datetime) -> None:
    source = connector(now=now, lookup=store_lookup(store, SOURCE))
    pull(store, [source], full=False, now=lambda: now)


def _revenue_by_campaign(store: Store) -> dict[str, object]:
    rows = values(campaign_revenue(store.load_dataset(), YEAR, settings(currency="USD")))
    return {segment: value for (by, segment), value in rows.items() if by == "campaign"}


def test_a_renamed_campaign_moves_campaign_revenue_through_the_snapshot(
    account: FakeAccount, tmp_path: Path
) -> None:
    """Deal 101's field holds campaign 7's id: renamed after the deal synced and was
    snapshotted, its revenue shows under the new name at the next pull's load."""
    with Store.open(tmp_path / "store.db") as store:
        _pull(store, NOW)
        before = _revenue_by_campaign(store)
        account.collections["campaigns"][0]["name"] = "Spring Relaunch"
        _pull(store, NOW + timedelta(days=1))
        assert changes.snapshot(store._db) is not None, "the load merges into the snapshot"
        after = _revenue_by_campaign(store)
    assert before["Spring Launch"] == after["Spring Relaunch"] == Decimal("12500.00")
    assert "Spring Launch" not in after


def _deal(deal_id: str, campaign: str | None) -> Deal:
    return Deal("crm", deal_id, "p1", "s1", "open", SYNCED, campaign=campaign)


def _campaigns(names: Mapping[str, str]) -> Page:
    return Page("campaigns", Deal.KIND, campaigns=names)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """Deals of campaign ids 7 and 8, of a name, and of none; the list names 7 and 8."""
    with Store.open(tmp_path / "store.db") as opened:
        opened.derive("crm", {"campaign"})
        opened.commit_page("crm", _campaigns({"7": "Spring", "8": "Fall"}), synced_at=SYNCED)
        deals = [_deal("d7", "7"), _deal("d8", "8"), _deal("dn", "Trade fair"), _deal("d0", None)]
        items = tuple(Pulled(deal, {"id": deal.id}) for deal in deals)
        opened.commit_page("crm", Page("deals", Deal.KIND, items), synced_at=SYNCED)
        yield opened


def _names(store: Store) -> dict[str, str | None]:
    return {deal.id: deal.campaign for deal in store.load_dataset().deals}


def test_a_campaign_the_list_lacks_keeps_what_its_field_holds(store: Store) -> None:
    """An id the list does not name, or a name, stays as the field gave it."""
    store.commit_page("crm", _campaigns({"7": "Spring"}), synced_at=SYNCED)
    assert _names(store) == {"d0": None, "d7": "Spring", "d8": "8", "dn": "Trade fair"}


def test_a_changed_list_logs_only_the_deals_of_the_campaigns_it_names_otherwise(
    store: Store,
) -> None:
    """Campaign 8 renamed, 7 as it was: only deal d8 is read again."""
    store.load_dataset()
    store.commit_page("crm", _campaigns({"7": "Spring", "8": "Autumn"}), synced_at=SYNCED)
    logged = store._db.execute("SELECT id FROM changes WHERE kind = 'deal'").fetchall()
    assert logged == [("d8",)]
    assert _names(store)["d8"] == "Autumn"


def test_an_unchanged_list_logs_no_deal(store: Store) -> None:
    """The list is read whole on every pull: the same list leaves the snapshot whole."""
    store.load_dataset()
    store.commit_page("crm", _campaigns({"8": "Fall", "7": "Spring"}), synced_at=SYNCED)
    assert store._db.execute("SELECT count(*) FROM changes").fetchone() == (0,)


def test_a_source_that_stops_deriving_the_campaign_keeps_its_own(store: Store) -> None:
    """Names count only for a source deriving `campaign`; stopping forgets them."""
    store.derive("crm", set())
    assert _names(store) == {"d0": None, "d7": "7", "d8": "8", "dn": "Trade fair"}
    assert store._db.execute("SELECT count(*) FROM campaign_names").fetchone() == (0,)


def test_forgetting_a_source_forgets_its_campaign_names(store: Store) -> None:
    store.forget("crm")
    assert store._db.execute("SELECT count(*) FROM campaign_names").fetchone() == (0,)


def test_a_version_5_store_gets_the_campaign_names(tmp_path: Path) -> None:
    """Opening a version 5 store adds the names table and the deals' campaign index."""
    path = tmp_path / "v5.db"
    with Store.open(path) as store:
        item = Pulled(_deal("d7", "7"), {"id": "d7"})
        store.commit_page("crm", Page("deals", Deal.KIND, (item,)), synced_at=SYNCED)
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE campaign_names")
        db.execute("DROP INDEX deals_by_campaign")
        db.execute("DROP TABLE deal_versions")
        db.execute("PRAGMA user_version = 5")
    with Store.open(path) as store:
        store.derive("crm", {"campaign"})
        store.commit_page("crm", _campaigns({"7": "Spring"}), synced_at=SYNCED)
        assert [deal.campaign for deal in store.load_dataset().deals] == ["Spring"]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        indexes = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert "deals_by_campaign" in indexes
