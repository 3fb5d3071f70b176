"""A pull killed mid-way loses nothing: the next pull resumes after the last committed page."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from connectors.files import FilesConnector
from sync.pull import pull
from sync.store import Store

REPO = Path(__file__).resolve().parents[1]
ROWS = 100_000
PAGE_SIZE = 200
# the kill waits for this many committed pages, so it lands well inside the file
KILL_AFTER = 5 * PAGE_SIZE
PATIENCE_SECONDS = 60.0

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


def _stored_contacts(db_path: Path) -> int:
    """Contacts committed so far, read beside the writer; 0 while the store is being created."""
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM contacts").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _kill_mid_pull(db_path: Path, folder: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", PULL_SCRIPT, str(db_path), str(folder), str(PAGE_SIZE)]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + PATIENCE_SECONDS
    try:
        while _stored_contacts(db_path) < KILL_AFTER:
            if process.poll() is not None:
                raise AssertionError(f"the pull ended before the kill: {process.communicate()}")
            assert time.monotonic() < deadline, "the pull made too little progress in time"
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL


def test_killed_pull_resumes_and_stores_every_record_exactly_once(tmp_path: Path) -> None:
    """After SIGKILL mid-file, the next pull stores only the rest, and every row once."""
    folder = tmp_path / "export"
    db_path = tmp_path / "store.db"
    _write_contacts(folder)

    _kill_mid_pull(db_path, folder)
    committed = _stored_contacts(db_path)
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
