"""An ActiveCampaign full pass killed at any point and resumed costs the calls it lost plus a
constant, however long its deal activity log.

As `test_hubspot_resume_cost.py`: the pull runs in a subprocess whose session logs each call
and each commit, is killed after a share of a clean run's calls, and is resumed here. The
calls wasted may be those the kill lost plus `CONSTANT`: the deal custom field definitions
and the campaign names, which a resumed deals pass reads again.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.activecampaign.context import store_lookup
from sync.pull import pull
from sync.store import Store
from tests.call_log import CallLog, LoggedSession
from tests.fixtures.activecampaign.fake import NOW, FakeAccount, FakeSession, connector, deal_rows
from tests.killing import kill_when

GENERATED = 200
PAGE_SIZE = 20
VALID_FIXTURE_DEALS = 4
CONSTANT = 2
RESUMED = NOW + timedelta(minutes=5)

PULL_SCRIPT = """
import sys
from datetime import datetime
from pathlib import Path

from tests.call_log import CallLog
from tests.test_activecampaign_resume_cost import logged_pull

db_path, log, started = Path(sys.argv[1]), CallLog(Path(sys.argv[2])), sys.argv[3]
logged_pull(db_path, log, datetime.fromisoformat(started), delay=0.02)
"""


def _activities(deals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A stage move and a note for each deal: a log of many pages, half of it changes."""
    template = FakeAccount.from_fixtures().activities[0]
    found = []
    for deal in deals:
        for kind in ("d_stageid", "note"):
            row = copy.deepcopy(template)
            at = datetime.fromisoformat(deal["cdate"]) + timedelta(hours=1)
            row.update(
                id=str(len(found) + 1000),
                d_id=deal["id"],
                deal=deal["id"],
                dataType=kind,
                dataAction="1" if kind == "d_stageid" else "add",
                cdate=at.isoformat(),
                sortdate=at.isoformat(),
            )
            found.append(row)
    return found


def account() -> FakeAccount:
    fake = FakeAccount.from_fixtures()
    generated = list(deal_rows(GENERATED))
    fake.deals.extend(generated)
    fake.activities.extend(_activities(generated))
    return fake


def logged_pull(db_path: Path, log: CallLog, now: datetime, delay: float = 0.0) -> None:
    """One pull of `account()` into the store at `db_path`, begun at `now`, logged to `log`."""
    session: requests.Session = LoggedSession(FakeSession(account(), delay=delay), log)
    with Store.open(db_path) as store:
        lookup = store_lookup(store, "activecampaign")
        source = connector(session, now=now, lookup=lookup, page_size=PAGE_SIZE)
        pull(store, [source], full=False, now=lambda: now, progress=log.commit)


def _clean_calls(tmp_path: Path) -> int:
    log = CallLog(tmp_path / "clean.log")
    logged_pull(tmp_path / "clean.db", log, NOW)
    return log.calls()


@pytest.mark.parametrize("share", [0.1, 0.3, 0.5, 0.7, 0.85], ids=str)
def test_a_resumed_full_pass_costs_the_calls_the_kill_lost_plus_a_constant(
    tmp_path: Path, share: float
) -> None:
    """Killed after `share` of a clean run's calls, killed and resumed pulls waste at most
    what the kill lost plus the constant, and every deal keeps the moves the log holds."""
    clean = _clean_calls(tmp_path)
    db_path, killed = tmp_path / "store.db", CallLog(tmp_path / "killed.log")
    args = [str(db_path), str(killed.path), NOW.isoformat()]
    kill_when(PULL_SCRIPT, args, lambda: killed.calls() >= round(share * clean))
    resumed = CallLog(tmp_path / "resumed.log")
    logged_pull(db_path, resumed, RESUMED)

    wasted = killed.calls() + resumed.calls() - clean
    counts = f"clean {clean}, killed {killed.calls()} ({killed.lost()} lost), {resumed.calls()}"
    assert wasted <= killed.lost() + CONSTANT, counts
    with Store.open(db_path) as store, Store.open(tmp_path / "clean.db") as clean_store:
        for deal_id in ("1000", str(1000 + GENERATED - 1)):
            assert store.record("activecampaign", "deal", deal_id) == clean_store.record(
                "activecampaign", "deal", deal_id
            )
