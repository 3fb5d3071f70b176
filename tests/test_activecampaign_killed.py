"""An ActiveCampaign pull killed mid-way loses nothing and, resumed, stores every record once."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from connectors.activecampaign.context import store_lookup
from sync.pull import pull
from sync.store import Store
from tests.fixtures.activecampaign.fake import FakeAccount, FakeSession, connector, deal_rows
from tests.killing import kill_midway, stored

REPO = Path(__file__).resolve().parents[1]
GENERATED = 1000
PAGE_SIZE = 20
VALID_FIXTURE_DEALS = 4
KILL_AFTER = 10 * PAGE_SIZE

PULL_SCRIPT = """
import sys
from datetime import UTC, datetime
from pathlib import Path

from connectors.activecampaign.context import store_lookup
from sync.pull import pull
from sync.store import Store
from tests.fixtures.activecampaign.fake import FakeAccount, FakeSession, connector, deal_rows

account = FakeAccount.from_fixtures()
account.deals.extend(deal_rows(int(sys.argv[2])))
with Store.open(Path(sys.argv[1])) as store:
    source = connector(
        FakeSession(account, delay=0.005),
        lookup=store_lookup(store, "activecampaign"),
        page_size=int(sys.argv[3]),
    )
    pull(store, [source], full=False, now=lambda: datetime.now(UTC))
"""


def _deals_cursor(db_path: Path) -> dict[str, object]:
    with sqlite3.connect(db_path) as db:
        (cursor,) = db.execute(
            "SELECT cursor FROM cursors WHERE source = 'activecampaign' AND stream = 'deals'"
        ).fetchone()
    loaded: dict[str, object] = json.loads(cursor)
    return loaded


def test_a_killed_pull_resumes_after_its_last_page_and_stores_each_deal_once(
    tmp_path: Path,
) -> None:
    """After SIGKILL mid-deals, the next pull reads on from the stored offset; each deal once."""
    db_path = tmp_path / "store.db"
    kill_midway(
        PULL_SCRIPT, [str(db_path), str(GENERATED), str(PAGE_SIZE)], db_path, "deals", KILL_AFTER
    )
    committed = stored(db_path, "deals")
    cursor = _deals_cursor(db_path)
    total = VALID_FIXTURE_DEALS + GENERATED
    assert KILL_AFTER <= committed < total
    assert cursor["complete"] is False

    account = FakeAccount.from_fixtures()
    account.deals.extend(deal_rows(GENERATED))
    with Store.open(db_path) as store:
        source = connector(
            FakeSession(account), lookup=store_lookup(store, "activecampaign"), page_size=PAGE_SIZE
        )
        report = pull(store, [source], full=False, now=lambda: datetime.now(UTC))
        with sqlite3.connect(db_path) as db:
            ids = [row[0] for row in db.execute("SELECT id FROM deals WHERE deleted = 0")]

    offsets = [q["offset"] for path, q in account.requests if path == "/deals"]
    assert offsets[0] == str(cursor["after"]), "the pull resumed where the last commit left it"
    assert report.source("activecampaign").kinds["deal"].stored == total - committed
    assert len(ids) == len(set(ids)) == total
    assert _deals_cursor(db_path)["complete"] is True
