"""The deals' stage history in the store: one row per visit, in a table of its own.

A visit row is keyed by its deal's key and its position in the deal's history (which the
schema keeps in entered order). Storing a deal replaces its visits; a deal marked deleted
keeps them, and the loads join them to live deals only. Timestamps are `utc_text`, as in
every other table, so the KPI load reads them as fixed-width columns.

Store version 1 kept the history as JSON text in a `stage_history` column of `deals`; at a
million visits, parsing it took longer than computing every KPI. `upgrade_from_json` moves it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

from connectors.schema import Deal, StageVisit
from sync.store.tables import SqlValue, parse_utc, utc_text

TABLE = "stage_visits"
CREATE = (
    f"CREATE TABLE {TABLE} (source TEXT NOT NULL, deal_id TEXT NOT NULL, "
    "position INTEGER NOT NULL, stage_id TEXT NOT NULL, entered_at TEXT NOT NULL, "
    "exited_at TEXT, PRIMARY KEY (source, deal_id, position)) WITHOUT ROWID"
)
COLUMNS = ["source", "deal_id", "position", "stage_id", "entered_at", "exited_at"]
_DELETE = f"DELETE FROM {TABLE} WHERE source = ? AND deal_id = ?"  # noqa: S608
_INSERT = f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?)"  # noqa: S608
_OF_LISTED = (
    f"SELECT deal_id, stage_id, entered_at, exited_at FROM {TABLE} "  # noqa: S608
    "WHERE source = ? AND deal_id IN (SELECT id FROM temp.live_ids) ORDER BY deal_id, position"
)
_OF_DEAL = (
    f"SELECT stage_id, entered_at, exited_at FROM {TABLE} "  # noqa: S608
    "WHERE source = ? AND deal_id = ? ORDER BY position"
)


def rows_of(deal: Deal) -> Iterator[tuple[SqlValue, ...]]:
    """The stored form of a deal's visits, in position order: stage, entered, exited."""
    for visit in deal.stage_history:
        exited = None if visit.exited_at is None else utc_text(visit.exited_at)
        yield (visit.stage_id, utc_text(visit.entered_at), exited)


def _rows(deals: Iterable[Deal]) -> Iterator[tuple[SqlValue, ...]]:
    for deal in deals:
        for position, visit in enumerate(rows_of(deal)):
            yield (deal.source, deal.id, position, *visit)


def of_listed_deals(
    db: sqlite3.Connection, source: str
) -> dict[str, tuple[tuple[SqlValue, ...], ...]]:
    """The stored visits of the deals of `source` listed in `temp.live_ids`, as `rows_of`."""
    found: dict[str, list[tuple[SqlValue, ...]]] = {}
    for deal_id, *visit in db.execute(_OF_LISTED, (source,)):
        found.setdefault(str(deal_id), []).append(tuple(visit))
    return {deal_id: tuple(history) for deal_id, history in found.items()}


def replace(db: sqlite3.Connection, deals: Iterable[Deal]) -> None:
    """Store the stage history of `deals` in place of what was stored for them."""
    stored = list(deals)
    db.executemany(_DELETE, ((deal.source, deal.id) for deal in stored))
    db.executemany(_INSERT, _rows(stored))


def forget(db: sqlite3.Connection, source: str) -> None:
    """Remove the visits of every deal of `source`."""
    db.execute(f"DELETE FROM {TABLE} WHERE source = ?", (source,))  # noqa: S608


def of_deal(db: sqlite3.Connection, source: str, deal_id: str) -> tuple[StageVisit, ...]:
    """The stored stage history of one deal, in entered order."""
    return tuple(
        StageVisit(stage_id, parse_utc(entered), None if exited is None else parse_utc(exited))
        for stage_id, entered, exited in db.execute(_OF_DEAL, (source, deal_id))
    )


def upgrade_from_json(db: sqlite3.Connection) -> None:
    """Store version 1 to 2: the JSON `deals.stage_history` column becomes visit rows.

    The JSON holds `utc_text` instants and the stage id as JSON strings, so copying them
    with SQLite's JSON functions (built in since SQLite 3.38) keeps every value exactly.
    """
    db.execute(CREATE)
    db.execute(
        f"INSERT INTO {TABLE} "  # noqa: S608
        "SELECT d.source, d.id, CAST(v.key AS INTEGER), json_extract(v.value, '$.stage_id'), "
        "json_extract(v.value, '$.entered_at'), json_extract(v.value, '$.exited_at') "
        "FROM deals AS d, json_each(d.stage_history) AS v"
    )
    db.execute("ALTER TABLE deals DROP COLUMN stage_history")
