"""A HubSpot pull killed at any point and resumed costs the calls it lost plus a constant.

The pull runs in a subprocess against a fake session that answers like HubSpot and logs
each call and each commit (`tests/call_log.py`); it is killed once it has sent a given share
of a clean run's calls, then resumed here. The calls wasted are those of the killed and the
resumed pull together beyond a clean run's; they may be those the kill lost (sent after the
last commit) plus `CONSTANT`: the archived-records sweep a resumed list pass needs, since it
cannot name every live id itself (`streams.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from connectors.hubspot import HubSpotConnector, HubSpotOptions
from sync.pull import pull
from sync.store import Store
from tests.call_log import CallLog, LoggedSession
from tests.fixtures.hubspot.fake_hubspot import FakeHubSpot
from tests.fixtures.hubspot.harness import TOKEN, FakeClock, ids
from tests.fixtures.hubspot.session import FakeSession
from tests.killing import kill_when

CONTACTS = 450
DEALS = 120
TICKETS = 150
CONSTANT = 1
STARTED = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
RESUMED = STARTED + timedelta(minutes=5)
OPTIONS = HubSpotOptions(email_subscriptions=False, nps_surveys=False)

PULL_SCRIPT = """
import sys
from datetime import datetime
from pathlib import Path

from tests.call_log import CallLog
from tests.test_hubspot_resume_cost import logged_pull

db_path, log, started = Path(sys.argv[1]), CallLog(Path(sys.argv[2])), sys.argv[3]
logged_pull(db_path, log, datetime.fromisoformat(started), delay=0.02)
"""


def account() -> FakeHubSpot:
    """Several pages of each object, so a kill can land inside any stream."""
    fake = FakeHubSpot.stock()
    for i in range(1, CONTACTS + 1):
        fake.add("contacts", i, {"email": f"c{i}@example.com"})
    for i in range(1, DEALS + 1):
        fake.add(
            "deals", i, {"pipeline": "default", "dealstage": "closedwon", "closedate": "2026-11-30"}
        )
    for i in range(1, TICKETS + 1):
        fake.add("tickets", i, {"hs_pipeline": "0", "hs_pipeline_stage": "1"})
    return fake


def logged_pull(db_path: Path, log: CallLog, now: datetime, delay: float = 0.0) -> None:
    """One pull of `account()` into the store at `db_path`, begun at `now`, logged to `log`."""
    clock = FakeClock()
    session: requests.Session = LoggedSession(FakeSession(account(), delay=delay), log)
    source = HubSpotConnector(
        TOKEN, session, options=OPTIONS, sleep=clock.sleep, monotonic=clock, now=now
    )
    with Store.open(db_path) as store:
        pull(store, [source], full=False, now=lambda: now, progress=log.commit)


def _clean_calls(tmp_path: Path) -> int:
    log = CallLog(tmp_path / "clean.log")
    logged_pull(tmp_path / "clean.db", log, STARTED)
    return log.calls()


@pytest.mark.parametrize("share", [0.1, 0.3, 0.5, 0.7, 0.85], ids=str)
def test_a_resumed_pull_costs_the_calls_the_kill_lost_plus_a_constant(
    tmp_path: Path, share: float
) -> None:
    """Killed after `share` of a clean run's calls, killed and resumed pulls waste at most
    what the kill lost plus the constant, and store every record once."""
    clean = _clean_calls(tmp_path)
    db_path, killed = tmp_path / "store.db", CallLog(tmp_path / "killed.log")
    args = [str(db_path), str(killed.path), STARTED.isoformat()]
    kill_when(PULL_SCRIPT, args, lambda: killed.calls() >= round(share * clean))
    resumed = CallLog(tmp_path / "resumed.log")
    logged_pull(db_path, resumed, RESUMED)

    wasted = killed.calls() + resumed.calls() - clean
    counts = f"clean {clean}, killed {killed.calls()} ({killed.lost()} lost), {resumed.calls()}"
    assert wasted <= killed.lost() + CONSTANT, counts
    assert ids(db_path, "contacts") == [str(i) for i in range(1, CONTACTS + 1)]
    assert ids(db_path, "deals") == [str(i) for i in range(1, DEALS + 1)]
