"""An ActiveCampaign deal's lead source is its contact's as the KPIs read the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import responses

from connectors.activecampaign.context import store_lookup
from kpis.sales import close_rate
from sync.pull import pull
from sync.store import Store
from tests.fixtures.activecampaign.fake import NOW, FakeAccount, connector
from tests.kpi_builders import period, settings, values

SOURCE = "activecampaign"
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


def _by_source(store: Store) -> dict[str, Any]:
    rows = values(close_rate(store.load_dataset(), YEAR, settings(currency="USD")))
    return {segment: value for (by, segment), value in rows.items() if by == "source"}


def _fill_in_later(account: FakeAccount, contact_id: str, lead_source: str) -> None:
    """The contact's lead source is set a day after the first pull; its deals are untouched."""
    later = (NOW + timedelta(days=1)).isoformat()
    for value in account.field_values:
        if value["contact"] == contact_id and value["field"] == "1":
            value["value"] = lead_source
    for contact in account.contacts:
        if contact["id"] == contact_id:
            contact["udate"] = later


def test_a_lead_source_filled_in_later_reaches_close_rate_by_source(
    account: FakeAccount, tmp_path: Path
) -> None:
    """Through the columnar snapshot: the deals of the changed contact are read again."""
    with Store.open(tmp_path / "store.db") as store:
        _pull(store, NOW)
        before = _by_source(store)
        _fill_in_later(account, "1", "Referral")
        _pull(store, NOW + timedelta(days=2))
        after = _by_source(store)
    assert "Webinar" in before
    assert "Referral" not in before
    assert "Webinar" not in after
    assert after["Referral"] == before["Webinar"]
