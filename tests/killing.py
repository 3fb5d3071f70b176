"""Kill a pull with SIGKILL midway, as a crash or an OOM killer would, for the resume tests."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests import clock_ahead

REPO = Path(__file__).resolve().parent.parent
PATIENCE_SECONDS = 60.0


def stored(db_path: Path, table: str, source: str | None = None) -> int:
    """Records committed so far, read beside the writer; 0 while the store is being created."""
    query = f"SELECT count(*) FROM {table}"  # noqa: S608 - table names are the tests' constants
    params: tuple[str, ...] = ()
    if source is not None:
        query += " WHERE source = ?"
        params = (source,)
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
            return int(db.execute(query, params).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def kill_midway(script: str, args: list[str], db_path: Path, table: str, at_least: int) -> None:
    """Run `script` in a fresh interpreter and SIGKILL it once `table` holds `at_least` rows."""
    kill_when(script, args, lambda: stored(db_path, table) >= at_least)


def kill_when(script: str, args: list[str], ready: Callable[[], bool]) -> None:
    """Run `script` in a fresh interpreter and SIGKILL it once `ready()` holds.

    Polls with a deadline rather than sleeping a fixed time, so a slow machine only waits
    longer; fails if the pull ends, or stalls, before it can be killed.
    """
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", clock_ahead.in_child(script), *args]
    process = subprocess.Popen(command, env=env, cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + PATIENCE_SECONDS
    try:
        while not ready():
            if process.poll() is not None:
                raise AssertionError(f"the pull ended before the kill: {process.communicate()}")
            assert time.monotonic() < deadline, "the pull made too little progress in time"
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
