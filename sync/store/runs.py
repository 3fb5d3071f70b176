"""The log of runs in the store: each command's start, end and outcome, for `crmkpi status`.

Runs left `running` by a dead process are marked `interrupted` by the next `start`. A run
records the host, the process id and a token drawn when this module is imported. On the same
host, a run is dead when no process has its pid, or when its pid is ours but the token is
not (an earlier process with a recycled pid, as when a container restarts with pid 1). Runs
of other hosts are left as they are: their processes cannot be checked from here.

The functions run inside the store's transactions (`sync.store.Store`).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias, cast

from sync.store.tables import parse_utc, utc_text

RunOutcome: TypeAlias = Literal["running", "ok", "failed", "interrupted"]

_HOST = socket.gethostname()
_PROCESS_TOKEN = uuid.uuid4().hex

CREATE = (
    "CREATE TABLE runs ("
    "id INTEGER PRIMARY KEY AUTOINCREMENT, command TEXT NOT NULL, started_at TEXT NOT NULL, "
    "finished_at TEXT, outcome TEXT NOT NULL "
    "CHECK (outcome IN ('running', 'ok', 'failed', 'interrupted')), message TEXT, "
    "host TEXT NOT NULL, pid INTEGER NOT NULL, process TEXT NOT NULL)"
)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One command recorded in the runs table."""

    id: int
    command: str
    started_at: datetime
    finished_at: datetime | None
    outcome: RunOutcome
    message: str | None


def _process_exists(pid: int) -> bool:
    if os.name != "posix":
        # os.kill(pid, 0) would end the process on Windows: treat it as alive
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _abandoned(host: str, pid: int, process: str) -> bool:
    if host != _HOST:
        return False
    if pid == os.getpid():
        return process != _PROCESS_TOKEN
    return not _process_exists(pid)


def start(db: sqlite3.Connection, command: str, started_at: datetime) -> int:
    """Record a command as running, after marking runs of dead processes interrupted."""
    _interrupt_abandoned(db)
    cursor = db.execute(
        "INSERT INTO runs (command, started_at, outcome, host, pid, process)"
        " VALUES (?, ?, 'running', ?, ?, ?)",
        (command, utc_text(started_at), _HOST, os.getpid(), _PROCESS_TOKEN),
    )
    return cast(int, cursor.lastrowid)


def _interrupt_abandoned(db: sqlite3.Connection) -> None:
    running = db.execute(
        "SELECT id, host, pid, process FROM runs WHERE outcome = 'running'"
    ).fetchall()
    for run_id, host, pid, process in running:
        if _abandoned(host, pid, process):
            db.execute(
                "UPDATE runs SET outcome = 'interrupted', message = ? WHERE id = ?",
                (f"process {pid} on {host} ended before the run finished", run_id),
            )


def finish(
    db: sqlite3.Connection,
    run_id: int,
    finished_at: datetime,
    outcome: Literal["ok", "failed", "interrupted"],
    message: str | None,
) -> bool:
    """Record how a run ended; False when there is no such run."""
    updated = db.execute(
        "UPDATE runs SET finished_at = ?, outcome = ?, message = ? WHERE id = ?",
        (utc_text(finished_at), outcome, message, run_id),
    ).rowcount
    return bool(updated == 1)


def recent(db: sqlite3.Connection, limit: int) -> list[RunRecord]:
    """The last `limit` runs, newest first."""
    rows = db.execute(
        "SELECT id, command, started_at, finished_at, outcome, message"
        " FROM runs ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    return [
        RunRecord(
            id=run_id,
            command=command,
            started_at=parse_utc(started),
            finished_at=None if finished is None else parse_utc(finished),
            outcome=outcome,
            message=message,
        )
        for run_id, command, started, finished, outcome, message in rows
    ]
