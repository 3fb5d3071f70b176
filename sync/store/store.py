"""The store: records, sync cursors and the log of runs (`sync.store.runs`), in one SQLite file.

Durability: WAL journal with `synchronous=NORMAL`. A page of records and its cursor are
committed in one transaction, so a killed process loses at most the page in flight and the
next pull resumes after the last commit. NORMAL does not fsync on every commit; a power
failure (not a process crash) may roll back the last few commits, but never splits a page
from its cursor, so those pages are simply pulled again. FULL would buy nothing more than
that and cost an fsync per page.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import replace as dataclass_replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Literal, TypeAlias, cast

from connectors.base import Page, Pulled
from connectors.errors import RunFailure
from connectors.newest import later, newest_change
from connectors.schema import Contact, Deal, DealVersion, Record, Stage
from kpis.columns import Columns
from kpis.dataset import Dataset
from sync.private import private_file
from sync.store import changes, derived, runs, scope, snapshot, versions, visits
from sync.store.loading import load_columns, load_contacts
from sync.store.runs import RunRecord
from sync.store.tables import (
    META_COLUMNS,
    OWNERS,
    STAGES,
    STATEMENTS,
    TABLES,
    R,
    SqlValue,
    Statements,
    Table,
    utc_text,
)

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 7
ContactScope: TypeAlias = Literal["all", "customers"]

_BUSY_TIMEOUT_MS = 30_000
# a new snapshot once the records changed since the last exceed 1 in this many
_RESNAPSHOT = 20
# strict: a raw payload that is not JSON fails its page instead of being stored half-readable
_RAW_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class StoreError(RunFailure, sqlite3.DatabaseError):
    """A store this version cannot use (written by a newer version, or with other columns)."""


@dataclass(frozen=True, slots=True)
class Committed:
    """What one committed page did to the stored records.

    `stored` counts the records upserted. Among them, `appeared` are the ids that were not
    live before (never stored, or marked deleted) and `restored` those of `appeared` that come
    back exactly as they were stored; `changed` counts the live ones whose content changed.
    `gone` are the ids newly marked deleted. A pull adds these up over its pages to report
    what its end state changed (`sync.pull`). `versions` counts the deal versions the page
    added (`sync.store.versions`).
    """

    stored: int
    gone: tuple[str, ...] = ()
    appeared: frozenset[str] = frozenset()
    restored: frozenset[str] = frozenset()
    changed: int = 0
    versions: int = 0

    @property
    def deleted(self) -> int:
        """How many records the page newly marked deleted."""
        return len(self.gone)


@dataclass(frozen=True, slots=True)
class _StoredState:
    """A stored record as a page finds it: deleted or not, its row and its stage visits."""

    deleted: bool
    row: tuple[SqlValue, ...]
    visits: tuple[tuple[SqlValue, ...], ...]


def _committed(
    page: Page,
    rows: list[list[SqlValue]],
    before: dict[str, _StoredState],
    gone: list[str],
) -> Committed:
    """Compare each stored item with what was stored under its id before the page."""
    appeared: set[str] = set()
    restored: set[str] = set()
    changed = 0
    for item, row in zip(page.items, rows, strict=True):
        record_id = item.record.id
        previous = before.get(record_id)
        content = tuple(row[: len(row) - _UNCOMPARED])
        same = previous is not None and previous.row == content
        if same and previous is not None and item.record.KIND == Deal.KIND:
            same = previous.visits == tuple(visits.rows_of(cast(Deal, item.record)))
        if previous is None or previous.deleted:
            appeared.add(record_id)
            if same:
                restored.add(record_id)
        elif not same:
            changed += 1
    return Committed(
        stored=len(page.items),
        gone=tuple(gone),
        appeared=frozenset(appeared),
        restored=frozenset(restored),
        changed=changed,
    )


# a row's trailing `deleted` flag and `synced_at` stamp say nothing of the record's content
_UNCOMPARED = 2

_CURSORS_DDL = (
    "CREATE TABLE cursors (source TEXT NOT NULL, stream TEXT NOT NULL, cursor TEXT NOT NULL, "
    "updated_at TEXT NOT NULL, PRIMARY KEY (source, stream))"
)


def _create(db: sqlite3.Connection) -> None:
    """A new store, at `SCHEMA_VERSION`."""
    for sql in STATEMENTS.values():
        db.execute(sql.create)
    db.execute(visits.CREATE)
    derived.create(db)
    derived.create_upsell_pipelines(db)
    derived.create_campaign_names(db)
    changes.create(db)
    versions.create(db)
    db.execute(_CURSORS_DDL)
    db.execute(runs.CREATE)


# _UPGRADES[n] brings a store written at user_version n to n + 1
_UPGRADES: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: visits.upgrade_from_json,
    2: changes.create,
    3: derived.create,
    4: derived.create_upsell_pipelines,
    5: derived.create_campaign_names,
    6: versions.upgrade_seeding,
}
assert set(_UPGRADES) == set(range(1, SCHEMA_VERSION))


class Store:
    """The SQLite store. Open it with `Store.open`; use it as a context manager."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating it and its folder when missing) and migrate the store at `path`.

        A new store is created owner-only (`sync.private`); SQLite gives its WAL and shared
        memory files the database file's mode.
        """
        private_file(path)
        db = sqlite3.connect(path, isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                logger.warning("%s: WAL journal unavailable here, using %s", path, mode)
            db.execute("PRAGMA synchronous = NORMAL")
            derived.functions(db)
            store = cls(db, path)
            store._migrate()
            db.execute("CREATE TEMP TABLE IF NOT EXISTS live_ids (id TEXT PRIMARY KEY)")
        except BaseException:
            db.close()
            raise
        return store

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
        # instead of one failing when it upgrades a read lock
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has store version {version}; this program reads up to "
                    f"{SCHEMA_VERSION}: upgrade crm-kpi-sync"
                )
            if version == 0:
                _create(db)
            for step in range(version or SCHEMA_VERSION, SCHEMA_VERSION):
                _UPGRADES[step](db)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._check_columns()

    def _check_columns(self) -> None:
        for kind, table in TABLES.items():
            found = [row[1] for row in self._db.execute(STATEMENTS[kind].columns)]
            expected = [*table.column_names, *META_COLUMNS]
            if found != expected:
                raise StoreError(
                    f"{self.path}: table {table.name} has columns {found}, "
                    f"this version expects {expected}; the store needs a migration"
                )
        for name, expected in ((visits.TABLE, visits.COLUMNS), (versions.TABLE, versions.COLUMNS)):
            found = [row[1] for row in self._db.execute(f"PRAGMA table_info({name})")]
            if found != expected:
                raise StoreError(
                    f"{self.path}: table {name} has columns {found}, "
                    f"this version expects {expected}; the store needs a migration"
                )

    def cursors(self, source: str) -> dict[str, str]:
        """The stored cursor of each stream of `source`."""
        rows = self._db.execute("SELECT stream, cursor FROM cursors WHERE source = ?", (source,))
        return dict(rows.fetchall())

    def newest_changes(self) -> dict[str, datetime]:
        """Per source, the newest modification time the CRM gave that its cursors record."""
        found: dict[str, datetime] = {}
        for source, cursor in self._db.execute("SELECT source, cursor FROM cursors"):
            newest = later(found.get(source), newest_change(cursor))
            if newest is not None:
                found[source] = newest
        return found

    def record(self, source: str, kind: str, record_id: str) -> Record | None:
        """The live record of `kind` (`Record.KIND`) with this key; None if absent or deleted.

        Read-only: for a connector that compares what it pulls with what it stored before.
        A deal comes with its stage history, not its versions (`versions`): stored again,
        it would give them as the CRM's own history.
        """
        if kind not in TABLES:
            raise ValueError(f"unknown record kind {kind!r}")
        table = TABLES[kind]
        columns = ", ".join(f'"{name}"' for name in table.column_names[1:])
        row = self._db.execute(
            f'SELECT {columns} FROM "{table.name}" '  # noqa: S608 - names from the schema
            "WHERE source = ? AND id = ? AND deleted = 0",
            (source, record_id),
        ).fetchone()
        if row is None:
            return None
        record = cast(Record, table.records(source, [row])[0])
        if isinstance(record, Deal):
            history = visits.of_deal(self._db, source, record_id)
            object.__setattr__(record, "stage_history", history)
        return record

    def versions(self, source: str, deal_id: str) -> tuple[DealVersion, ...]:
        """The stored versions of a deal, in order; none for a deal never stored."""
        return versions.of_deal(self._db, source, deal_id)

    def held(self, source: str, kind: str, ids: Iterable[str]) -> set[str]:
        """Those of `ids` that name a live record of `kind` (`Record.KIND`) of `source`."""
        if kind not in TABLES:
            raise ValueError(f"unknown record kind {kind!r}")
        wanted = set(ids)
        if not wanted:
            return set()
        self._db.execute("DELETE FROM temp.live_ids")
        self._db.executemany("INSERT INTO temp.live_ids (id) VALUES (?)", ((i,) for i in wanted))
        found = {
            str(record_id)
            for (record_id,) in self._db.execute(
                f'SELECT id FROM "{TABLES[kind].name}" '  # noqa: S608 - a name from the schema
                "WHERE source = ? AND deleted = 0 AND id IN (SELECT id FROM temp.live_ids)",
                (source,),
            )
        }
        self._db.execute("DELETE FROM temp.live_ids")
        return found

    def pipelines(self, source: str) -> set[str]:
        """The ids of the pipelines of `source` that have a live stage."""
        rows = self._db.execute(
            f'SELECT DISTINCT pipeline_id FROM "{STAGES.name}" WHERE source = ? AND deleted = 0',  # noqa: S608
            (source,),
        )
        return {str(pipeline_id) for (pipeline_id,) in rows}

    def derive(
        self, source: str, fields: Collection[str], upsell_pipelines: Collection[str] = ()
    ) -> None:
        """Record the deal fields `source` leaves to the store to derive, and the titles of
        its upsell pipelines (`sync.store.derived`)."""
        with self._transaction() as db:
            derived.declare(db, source, fields, upsell_pipelines)

    def clear_cursors(self, source: str) -> None:
        """Forget where `source` got to, so that its next pull starts from the beginning."""
        with self._transaction() as db:
            db.execute("DELETE FROM cursors WHERE source = ?", (source,))

    def commit_page(self, source: str, page: Page, *, synced_at: datetime) -> Committed:
        """Store one page and the cursor that follows it, all or nothing.

        Every item is upserted (which clears its `deleted` flag), `page.deleted` ids are
        marked deleted, and with `page.live_ids` every other stored record of the page's
        kind and source is marked deleted; the page's own items count as live. A page of
        deals records their versions (`sync.store.versions`) in the same transaction.
        """
        if page.kind not in TABLES:
            raise ValueError(f"page of stream {page.stream!r} has unknown kind {page.kind!r}")
        sql = STATEMENTS[page.kind]
        stamp = utc_text(synced_at)
        with self._transaction() as db:
            rows = [self._row(source, page, item, stamp) for item in page.items]
            before = self._stored_state(db, page, source)
            facts = derived.stage_facts(db, source) if page.kind == Stage.KIND else None
            db.executemany(sql.upsert, rows)
            added = 0
            if page.kind == Deal.KIND:
                visits.replace(db, (cast(Deal, item.record) for item in page.items))
                added = versions.record(db, source, page.items, synced_at)
            gone = [
                record_id
                for record_id in dict.fromkeys(page.deleted)
                if record_id in before and not before[record_id].deleted
            ]
            db.executemany(sql.delete, ((stamp, source, record_id) for record_id in gone))
            if page.live_ids is not None:
                live = page.live_ids.union(item.record.id for item in page.items)
                gone.extend(self._sweep(db, sql, source, live, stamp))
            touched = [item.record.id for item in page.items]
            changes.log(db, page.kind, source, [*touched, *page.deleted, *gone])
            if page.kind == Contact.KIND:
                derived.log_deals_of(db, source, [*touched, *page.deleted, *gone])
            if facts is not None:
                derived.log_deals_of_pipelines(db, source, facts)
            if page.campaigns is not None:
                derived.name_campaigns(db, source, page.campaigns)
            if page.cursor is not None:
                db.execute(
                    "INSERT INTO cursors (source, stream, cursor, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (source, stream) DO UPDATE SET"
                    " cursor = excluded.cursor, updated_at = excluded.updated_at",
                    (source, page.stream, page.cursor, stamp),
                )
        return dataclass_replace(_committed(page, rows, before, gone), versions=added)

    def _stored_state(
        self, db: sqlite3.Connection, page: Page, source: str
    ) -> dict[str, _StoredState]:
        """What is stored now under the ids the page stores or deletes."""
        ids = {item.record.id for item in page.items}.union(page.deleted)
        if not ids:
            return {}
        db.execute("DELETE FROM temp.live_ids")
        db.executemany("INSERT INTO temp.live_ids (id) VALUES (?)", ((i,) for i in ids))
        found = {
            str(row[0]): _StoredState(bool(row[1]), tuple(row[2:]), ())
            for row in db.execute(STATEMENTS[page.kind].state, (source,))
        }
        if page.kind == Deal.KIND:
            for deal_id, history in visits.of_listed_deals(db, source).items():
                if deal_id in found:
                    found[deal_id] = dataclass_replace(found[deal_id], visits=history)
        db.execute("DELETE FROM temp.live_ids")
        return found

    @staticmethod
    def _row(source: str, page: Page, item: Pulled, stamp: str) -> list[SqlValue]:
        record = item.record
        if page.kind != record.KIND:
            raise ValueError(
                f"page of stream {page.stream!r} holds {page.kind} records, "
                f"not {record.KIND} {record.id!r}"
            )
        if record.source != source:
            raise ValueError(
                f"{record.KIND} {record.id!r} is from {record.source!r}, not {source!r}"
            )
        raw = _RAW_JSON.encode(item.raw)
        return [*TABLES[page.kind].row(record), raw, 0, stamp]

    @staticmethod
    def _sweep(
        db: sqlite3.Connection, sql: Statements, source: str, live: frozenset[str], stamp: str
    ) -> list[str]:
        """Mark deleted the records of `source` not in `live`; their ids."""
        db.execute("DELETE FROM temp.live_ids")
        db.executemany("INSERT INTO temp.live_ids (id) VALUES (?)", ((i,) for i in live))
        swept = [record_id for (record_id,) in db.execute(sql.sweep, (stamp, source))]
        db.execute("DELETE FROM temp.live_ids")
        return swept

    def load_dataset(
        self, *, contacts: ContactScope = "all", sources: Collection[str] | None = None
    ) -> Dataset:
        """Every live (not deleted) record, as columns (`kpis.columns`), by source, then id.

        `contacts="customers"` loads only the contacts of won deals, the only ones the KPIs
        read: at a million contacts that is most of the rows. `sources`, when given, keeps
        the records of those sources only (`sync.store.scope`). All tables are read in one
        transaction, so a pull committing meanwhile is either wholly in the dataset or not.
        The columns come from the snapshot and the records changed since (`sync.store.changes`);
        when those are many, or there is no snapshot yet, a new one is taken. The deals come
        with their versions, and `recorded_since` says since when each source's are recorded
        (`sync.store.versions`).
        """
        self._db.execute("BEGIN")
        try:
            owners, stages = self._live(OWNERS), self._live(STAGES)
            generation = changes.current(self._db)
            columns, stale = self._snapshot_columns()
            people = load_contacts(self._db, columns.deals, customers_only=contacts == "customers")
            since = versions.recorded_since(self._db)
        finally:
            self._db.execute("COMMIT")
        if stale:
            self._take_snapshot(columns, generation)
        columns = dataclass_replace(columns, contacts=people)
        if sources is not None:
            owners = [owner for owner in owners if owner.source in sources]
            stages = [stage for stage in stages if stage.source in sources]
            columns = scope.of_sources(columns, sources)
            since = {source: at for source, at in since.items() if source in sources}
        return Dataset.of_columns(owners, stages, columns, recorded_since=since)

    def _snapshot_columns(self) -> tuple[Columns, bool]:
        """The columns of the live records but contacts, and whether a new snapshot is due."""
        found = changes.snapshot(self._db)
        if found is None:
            return load_columns(self._db), True
        generation, data = found
        try:
            base = snapshot.decode(data)
        except snapshot.SnapshotError as exc:
            logger.warning("%s: %s; reading every row instead", self.path, exc)
            return load_columns(self._db), True
        changed = changes.changed_since(self._db, generation)
        columns = snapshot.merge(base, load_columns(self._db, since=generation), changed)
        records = len(columns.deals) + len(columns.tickets) + len(columns.surveys)
        records += len(columns.subscriptions)
        return columns, sum(map(len, changed.values())) * _RESNAPSHOT > records

    def drop_snapshot(self) -> None:
        """Forget the snapshot: the next load reads every row (and takes a new one)."""
        with self._transaction() as db:
            changes.drop_snapshot(db)

    def take_snapshot(self) -> bool:
        """Snapshot the columns now, whatever changed since the last; False if a commit raced."""
        self._db.execute("BEGIN")
        try:
            generation = changes.current(self._db)
            columns, _ = self._snapshot_columns()
        finally:
            self._db.execute("COMMIT")
        return self._take_snapshot(columns, generation)

    def _take_snapshot(self, columns: Columns, generation: int) -> bool:
        """Keep `columns` as the snapshot of `generation`, unless the store moved on since.

        A store that cannot be written now (read-only, or locked by a long pull) keeps its
        older snapshot: the load that asked has its columns anyway.
        """
        data = snapshot.encode(columns)
        try:
            with self._transaction() as db:
                return changes.replace_snapshot(db, generation, data)
        except sqlite3.OperationalError as exc:
            logger.warning("%s: columnar snapshot not saved (%s)", self.path, exc)
            return False

    def stages(self) -> list[Stage]:
        """Every live pipeline stage, by source: what a stage named in the config must be."""
        return self._live(STAGES)

    def _live(self, table: Table[R]) -> list[R]:
        sql = STATEMENTS[table.kind]
        records: list[R] = []
        for (source,) in self._db.execute(sql.sources).fetchall():
            records.extend(table.records(source, self._db.execute(sql.live, (source,))))
        return records

    def sources(self) -> dict[str, int]:
        """The sources that have live records in the store, with how many, by name."""
        held: dict[str, int] = {}
        for kind in TABLES:
            for source, count in self._db.execute(STATEMENTS[kind].by_source):
                held[str(source)] = held.get(str(source), 0) + int(count)
        return dict(sorted(held.items()))

    def forget(self, source: str) -> dict[str, int]:
        """Remove every record, stage visit, deal version and cursor of `source`; the records
        removed, by table. One transaction: a killed `forget` removes all or nothing."""
        removed: dict[str, int] = {}
        with self._transaction() as db:
            for kind, table in TABLES.items():
                sql = STATEMENTS[kind]
                ids = [str(i) for (i,) in db.execute(sql.ids_of_source, (source,))]
                # logged before they go, so that a snapshot merge drops them
                changes.log(db, kind, source, ids)
                db.execute(sql.forget, (source,))
                live = db.execute("SELECT changes()").fetchone()[0]
                if live:
                    removed[table.name] = int(live)
            visits.forget(db, source)
            versions.forget(db, source)
            db.execute("DELETE FROM campaign_names WHERE source = ?", (source,))
            db.execute("DELETE FROM cursors WHERE source = ?", (source,))
        return removed

    def counts(self) -> dict[str, int]:
        """Live records per table (`owners`, `stages`, `contacts`, `deals`, ...)."""
        return {
            table.name: int(self._db.execute(STATEMENTS[kind].count).fetchone()[0])
            for kind, table in TABLES.items()
        }

    def start_run(self, command: str, started_at: datetime) -> int:
        """Record a command as running, after marking runs of dead processes interrupted."""
        with self._transaction() as db:
            return runs.start(db, command, started_at)

    def finish_run(
        self,
        run_id: int,
        *,
        finished_at: datetime,
        outcome: Literal["ok", "failed", "interrupted"],
        message: str | None = None,
    ) -> None:
        """Record how a run ended."""
        with self._transaction() as db:
            found = runs.finish(db, run_id, finished_at, outcome, message)
        if not found:
            raise ValueError(f"no run {run_id} in {self.path}")

    def recent_runs(self, limit: int = 10) -> list[RunRecord]:
        """The last `limit` runs, newest first."""
        return runs.recent(self._db, limit)
