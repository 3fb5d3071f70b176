"""An ActiveCampaign deal pointing at nothing is kept as given and named in the warnings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from connectors.activecampaign.context import store_lookup
from sync.notices import Notices, collected
from sync.pull import pull
from sync.store import Store
from tests.fixtures.activecampaign.fake import NOW, FakeAccount, connector, deal_rows

SOURCE = "activecampaign"


@pytest.fixture
def account() -> Iterator[FakeAccount]:
    fake = FakeAccount.from_fixtures()
    with responses.RequestsMock() as mock:
        fake.register(mock)
        yield fake


def _pull(store: Store) -> Notices:
    source = connector(now=NOW, lookup=store_lookup(store, SOURCE))
    with collected() as notices:
        pull(store, [source], full=False, now=lambda: NOW)
    return notices


def _references(notices: Notices) -> list[str]:
    return [message for message in notices.messages if "names no" in message]


@pytest.mark.parametrize(
    ("changes", "warning"),
    [
        ({"stage": "999"}, "stage_id '999' names no stage of pipeline '1'"),
        ({"group": "9", "stage": "999"}, "pipeline_id '9' names no pipeline"),
        ({"owner": "55"}, "owner_id '55' names no owner"),
        ({"contact": "77"}, "contact_id '77' names no contact"),
    ],
    ids=["unknown-stage", "unknown-pipeline", "unknown-owner", "unknown-contact"],
)
def test_a_dangling_reference_is_kept_and_named(
    account: FakeAccount, tmp_path: Path, changes: dict[str, Any], warning: str
) -> None:
    """The deal is stored as the account gave it; one warning names it and the field."""
    (row,) = deal_rows(1, start=900)
    account.deals.append(row | changes)
    with Store.open(tmp_path / "store.db") as store:
        notices = _pull(store)
        stored = store.record(SOURCE, "deal", "900")
    assert _references(notices) == [
        f"activecampaign: deal '900': {warning} in {SOURCE}; kept as given"
    ]
    assert stored is not None


def test_a_clean_account_names_no_reference(account: FakeAccount, tmp_path: Path) -> None:
    """The stock account's deals all point at users, stages and contacts it lists."""
    with Store.open(tmp_path / "store.db") as store:
        assert _references(_pull(store)) == []
