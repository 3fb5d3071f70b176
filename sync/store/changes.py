"""The store's columnar snapshot, and what changed since it was taken.

Reading a million rows' columns out of SQLite takes most of a large account's KPI run, yet
between two runs of the daemon only a few records change. So the store keeps the columns
the KPIs read (`kpis.columns`, all but contacts) as one snapshot blob (`sync.store.snapshot`), and
the keys of every record stored or marked deleted since: a load reads the snapshot, reads
the changed records as rows, and merges them in.

A generation counter orders commits: each commit of records bumps it, and the snapshot
records the generation it reflects. Keys are only logged once a snapshot exists: before the
first one, a load reads every row anyway.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable

TABLE = "changes"
KINDS = frozenset({"deal", "ticket", "subscription", "survey"})
"""The record kinds the snapshot holds; contacts, owners and stages are read as rows."""

CREATE = (
    f"CREATE TABLE {TABLE} (kind TEXT NOT NULL, source TEXT NOT NULL, id TEXT NOT NULL, "
    "generation INTEGER NOT NULL, PRIMARY KEY (kind, source, id)) WITHOUT ROWID",
    "CREATE TABLE generation (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)",
    "INSERT INTO generation VALUES (1, 0)",
    "CREATE TABLE snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "generation INTEGER NOT NULL, data BLOB NOT NULL)",
)
_LOG = (
    f"INSERT INTO {TABLE} (kind, source, id, generation) VALUES (?, ?, ?, ?) "  # noqa: S608
    "ON CONFLICT (kind, source, id) DO UPDATE SET generation = excluded.generation"
)


def create(db: sqlite3.Connection) -> None:
    """The tables of the change log and the snapshot (store version 3)."""
    for sql in CREATE:
        db.execute(sql)


def current(db: sqlite3.Connection) -> int:
    """The generation of the store's records: how many commits changed them."""
    return int(db.execute("SELECT value FROM generation").fetchone()[0])


def log(db: sqlite3.Connection, kind: str, source: str, ids: Iterable[str]) -> None:
    """Within a commit: bump the generation, and log these keys if a snapshot exists."""
    generation = int(
        db.execute("UPDATE generation SET value = value + 1 RETURNING value").fetchone()[0]
    )
    if kind not in KINDS or not has_snapshot(db):
        return
    db.executemany(_LOG, ((kind, source, record_id, generation) for record_id in ids))


def has_snapshot(db: sqlite3.Connection) -> bool:
    """Whether a snapshot exists, and so changed keys are logged."""
    return db.execute("SELECT 1 FROM snapshot").fetchone() is not None


def changed_since(db: sqlite3.Connection, generation: int) -> dict[str, set[tuple[str, str]]]:
    """The keys of each kind logged after `generation`."""
    keys: defaultdict[str, set[tuple[str, str]]] = defaultdict(set)
    rows = db.execute(
        f"SELECT kind, source, id FROM {TABLE} WHERE generation > ?",  # noqa: S608
        (generation,),
    )
    for kind, source, record_id in rows:
        keys[kind].add((source, record_id))
    return dict(keys)


def snapshot(db: sqlite3.Connection) -> tuple[int, bytes] | None:
    """The snapshot's generation and data; None before the first one."""
    found = db.execute("SELECT generation, data FROM snapshot").fetchone()
    return None if found is None else (int(found[0]), bytes(found[1]))


def replace_snapshot(db: sqlite3.Connection, generation: int, data: bytes) -> bool:
    """Within a write transaction: keep `data` as the snapshot of `generation`.

    Does nothing and returns False when records were committed since that generation: the
    data would miss them, and the next load takes a new snapshot anyway. The keys it
    reflects leave the log.
    """
    if current(db) != generation:
        return False
    db.execute(
        "INSERT INTO snapshot (id, generation, data) VALUES (1, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET generation = excluded.generation, data = excluded.data",
        (generation, data),
    )
    db.execute(f"DELETE FROM {TABLE} WHERE generation <= ?", (generation,))  # noqa: S608
    return True


def drop_snapshot(db: sqlite3.Connection) -> None:
    """Within a write transaction: no snapshot, and so no log of changes since one."""
    db.execute("DELETE FROM snapshot")
    db.execute(f"DELETE FROM {TABLE}")  # noqa: S608
