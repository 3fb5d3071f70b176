"""A machine whose clock runs two weeks ahead of HubSpot's still finds every change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import responses

from connectors.newest import newest_change
from sync.store import Store
from tests.fixtures.hubspot.fake_hubspot import T0, FakeHubSpot
from tests.fixtures.hubspot.harness import connector, ids, pull_into

# the harness's commit times start at T0: this machine's clock; HubSpot's is two weeks behind
CRM_NOW = T0 - timedelta(days=14)


@responses.activate
def test_a_change_dated_before_this_clock_is_still_found(tmp_path: Path) -> None:
    """A ticket changed after the first pull, by HubSpot's clock, is read by the next one."""
    fake = FakeHubSpot.stock()
    stage = {"hs_pipeline": "0", "hs_pipeline_stage": "1"}
    fake.add("tickets", 1, stage, modified=CRM_NOW)
    fake.register()
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
        fake.add("tickets", 2, stage, modified=CRM_NOW + timedelta(days=1))
        pull_into(store, connector())
        newest = newest_change(store.cursors("hubspot")["tickets"])
    assert ids(tmp_path / "store.db", "tickets") == ["1", "2"]
    assert newest == CRM_NOW + timedelta(days=1)
