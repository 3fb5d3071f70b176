"""A pull killed mid-way loses nothing: the next pull resumes after the last committed page."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from connectors.files import FilesConnector
from sync.pull import pull
from sync.store import Store
from tests.killing import kill_midway, stored

REPO = Path(__file__).resolve().parents[1]
ROWS = 100_000
PAGE_SIZE = 200
# the kill waits for this many committed pages, so it lands well inside the file
KILL_AFTER = 5 * PAGE_SIZE

PULL_SCRIPT = """
import sys
from datetime import UTC, datetime
from pathlib import Path

from connectors.files import FilesConnector
from sync.pull import pull
from sync.store import Store

with Store.open(Path(sys.argv[1])) as store:
    connector = FilesConnector(Path(sys.argv[2]), page_size=int(sys.argv[3]))
    pull(store, [connector], full=False, now=lambda: datetime.now(UTC))
"""


def _write_contacts(folder: Path) -> None:
    folder.mkdir()
    with (folder / "contacts.csv").open("w", encoding="utf-8") as handle:
        handle.write("id,email,created_at,source,churned_at\n")
        handle.writelines(f"c{i},c{i}@example.com,2026-01-01T00:00:00Z,ads,\n" for i in range(ROWS))


def test_killed_pull_resumes_and_stores_every_record_exactly_once(tmp_path: Path) -> None:
    """After SIGKILL mid-file, the next pull stores only the rest, and every row once."""
    folder = tmp_path / "export"
    db_path = tmp_path / "store.db"
    _write_contacts(folder)

    kill_midway(
        PULL_SCRIPT, [str(db_path), str(folder), str(PAGE_SIZE)], db_path, "contacts", KILL_AFTER
    )
    committed = stored(db_path, "contacts")
    assert KILL_AFTER <= committed < ROWS
    assert committed % PAGE_SIZE == 0, "a page was stored in part"

    with Store.open(db_path) as store:
        connector = FilesConnector(folder, page_size=PAGE_SIZE)
        report = pull(store, [connector], full=False, now=lambda: datetime.now(UTC))
        with sqlite3.connect(db_path) as db:
            ids = [row[0] for row in db.execute("SELECT id FROM contacts WHERE deleted = 0")]

    contacts = report.source("files").kinds["contact"]
    assert contacts.stored == ROWS - committed
    # a full pull commits ROWS / PAGE_SIZE pages and the closing page that carries the live ids
    assert contacts.pages == (ROWS - committed) // PAGE_SIZE + 1
    assert len(ids) == ROWS
    assert set(ids) == {f"c{i}" for i in range(ROWS)}
