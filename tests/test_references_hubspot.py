"""A HubSpot record pointing at nothing is kept as given and named in the run's warnings."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses

from sync.notices import collected
from sync.store import Store
from tests.fixtures.hubspot.fake_hubspot import FakeHubSpot
from tests.fixtures.hubspot.harness import connector, ids, pull_into


@pytest.mark.parametrize(
    ("object_type", "properties", "contacts", "warning"),
    [
        (
            "deals",
            {"pipeline": "default", "dealstage": "999"},
            [],
            "hubspot: deal '7': stage_id '999' names no stage of pipeline 'default' in hubspot",
        ),
        (
            "deals",
            {"pipeline": "gone", "dealstage": "999"},
            [],
            "hubspot: deal '7': pipeline_id 'gone' names no pipeline in hubspot",
        ),
        (
            "deals",
            {"pipeline": "default", "dealstage": "contractsent", "hubspot_owner_id": "555"},
            [],
            "hubspot: deal '7': owner_id '555' names no owner in hubspot",
        ),
        (
            "deals",
            {"pipeline": "default", "dealstage": "contractsent"},
            ["777"],
            "hubspot: deal '7': contact_id '777' names no contact in hubspot",
        ),
        (
            "tickets",
            {"hs_pipeline": "0", "hs_pipeline_stage": "1", "hubspot_owner_id": "555"},
            [],
            "hubspot: ticket '7': owner_id '555' names no owner in hubspot",
        ),
    ],
    ids=["unknown-stage", "unknown-pipeline", "unknown-owner", "unknown-contact", "ticket-owner"],
)
@responses.activate
def test_a_dangling_reference_is_kept_and_named(
    tmp_path: Path,
    object_type: str,
    properties: dict[str, str],
    contacts: list[str],
    warning: str,
) -> None:
    """The record is stored as HubSpot gave it; exactly one warning names it and the field."""
    fake = FakeHubSpot.account()
    fake.add(object_type, 7, properties)
    if contacts:
        fake.deal_contacts["7"] = contacts
    fake.register()
    with collected() as notices, Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
    assert notices.messages == [f"{warning}; kept as given"]
    assert "7" in ids(tmp_path / "store.db", object_type)


@responses.activate
def test_an_incremental_pull_checks_against_what_earlier_pulls_stored(tmp_path: Path) -> None:
    """A deal changed later names a contact only the first pull read: only its stage is named."""
    fake = FakeHubSpot.account()
    fake.register()
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
        fake.add("deals", 1, {"pipeline": "default", "dealstage": "999", "hubspot_owner_id": "101"})
        with collected() as notices:
            pull_into(store, connector())
    assert notices.messages == [
        "hubspot: deal '1': stage_id '999' names no stage of pipeline 'default' in hubspot; "
        "kept as given"
    ]
