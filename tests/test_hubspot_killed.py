"""A HubSpot pull killed mid-way resumes after its last committed page and stores each record once.

The pull runs the real connector in a subprocess against a fake session (the subprocess
cannot see `responses`) that answers like HubSpot and pauses a little per request, so the
kill lands inside the contacts' list pass.
"""

from __future__ import annotations

import json
from pathlib import Path

from connectors.hubspot import HubSpotOptions
from sync.store import Store
from tests.fixtures.hubspot.fake_hubspot import FakeHubSpot
from tests.fixtures.hubspot.harness import connector, ids, pull_into
from tests.fixtures.hubspot.session import FakeSession
from tests.killing import kill_midway, stored

REPO = Path(__file__).resolve().parents[1]
CONTACTS = 5_000
PAGE = 100
KILL_AFTER = 10 * PAGE
OPTIONS = HubSpotOptions(email_subscriptions=False, nps_surveys=False)

PULL_SCRIPT = """
import sys
from pathlib import Path

from connectors.hubspot import HubSpotOptions
from sync.store import Store
from tests.fixtures.hubspot.harness import connector, pull_into
from tests.test_hubspot_killed import account
from tests.fixtures.hubspot.session import FakeSession

options = HubSpotOptions(email_subscriptions=False, nps_surveys=False)
with Store.open(Path(sys.argv[1])) as store:
    pull_into(store, connector(options, session=FakeSession(account(), delay=0.01)))
"""


def account() -> FakeHubSpot:
    """The account both processes serve: many contacts, one deal and one ticket."""
    fake = FakeHubSpot.stock()
    for i in range(1, CONTACTS + 1):
        fake.add("contacts", i, {"email": f"c{i}@example.com"})
    fake.add(
        "deals", 1, {"pipeline": "default", "dealstage": "closedwon", "closedate": "2026-10-31"}
    )
    fake.add("tickets", 1, {"hs_pipeline": "0", "hs_pipeline_stage": "1"})
    return fake


def test_killed_pull_resumes_after_the_last_page_and_stores_every_record_once(
    tmp_path: Path,
) -> None:
    """After SIGKILL mid-list, the next pull asks only for the pages not yet committed."""
    db_path = tmp_path / "store.db"
    kill_midway(PULL_SCRIPT, [str(db_path)], db_path, "contacts", KILL_AFTER)
    committed = stored(db_path, "contacts")
    assert KILL_AFTER <= committed < CONTACTS
    assert committed % PAGE == 0, "a page was stored in part"
    with Store.open(db_path) as store:
        cursor = json.loads(store.cursors("hubspot")["contacts"])
    assert (cursor["mode"], "after" in cursor) == ("list", True)

    fake = account()
    with Store.open(db_path) as store:
        report = pull_into(store, connector(OPTIONS, session=FakeSession(fake)))
    listed = [path for method, path, _ in fake.requests_at if path == "/crm/v3/objects/contacts"]
    contacts = report.source("hubspot").kinds["contact"]
    assert contacts.stored == CONTACTS - committed
    # the probe, the remaining pages, then one page of archived contacts for the sweep
    assert len(listed) == 1 + (CONTACTS - committed) // PAGE + 1
    assert ids(db_path, "contacts") == [str(i) for i in range(1, CONTACTS + 1)]
    assert ids(db_path, "contacts", deleted=True) == []
