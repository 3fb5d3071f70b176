"""The deals' versions in the store (`docs/kpis.md`, The pipeline's memory): what a commit of
deals records in `deal_versions` (`sync.store.tables.VERSIONS`), within the commit's own
transaction, so a killed sync leaves no half-written version.

For each deal a page stores:

- the versions its connector gives (`Deal.versions`, the CRM's own history) are merged into
  the stored ones: those the history does not reach back to stay, the rest is the history's,
  and two versions in a row with the same state are one;
- a deal with no version yet gets one, valid from when the CRM says it last changed
  (`Pulled.changed_at`), else from when the sync saw it;
- a deal whose state (`state`) differs from its latest version gets one new version, which
  closes the latest. It is dated by what the CRM tells of the change (`dated`), within
  (the latest's `valid_from`, the sync]: a version never starts before the one it follows,
  nor after the sync that saw it.

So a page stored twice adds nothing the second time. A deal marked deleted keeps its
versions, as it keeps its stage visits (the loads read those of live deals only), so a deal
that comes back goes on from them; `forget` removes a source's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import cast

from connectors.base import Pulled
from connectors.schema import Deal, DealVersion
from sync.store import changes
from sync.store.tables import VERSION_KEY, VERSIONS, SqlValue, parse_utc

TABLE = VERSIONS.name
COLUMNS = list(VERSIONS.column_names)
_FIELDS = ", ".join(VERSIONS.version_fields)
_KEY = len(VERSION_KEY)
_STEP = timedelta(microseconds=1)
"""The least a version can start after the one before it: the store's instants are exact to it."""

_OF_LISTED = (
    f"SELECT deal_id, {_FIELDS}, recorded_at FROM {TABLE} "  # noqa: S608
    "WHERE source = ? AND deal_id IN (SELECT id FROM temp.live_ids) ORDER BY deal_id, valid_from"
)
_OF_DEAL = f"SELECT {_FIELDS} FROM {TABLE} WHERE source = ? AND deal_id = ? ORDER BY valid_from"  # noqa: S608
_INSERT = f"INSERT INTO {TABLE} VALUES ({', '.join('?' for _ in COLUMNS)})"  # noqa: S608
_DELETE = f"DELETE FROM {TABLE} WHERE source = ? AND deal_id = ? AND valid_from = ?"  # noqa: S608


@dataclass(frozen=True, slots=True)
class _Held:
    """A stored version, and the sync that recorded it (None: the CRM's history gave it)."""

    version: DealVersion
    recorded_at: datetime | None


def state(version: Deal | DealVersion) -> tuple[object, ...]:
    """What a new version must differ in: stage (with its pipeline), status, amount,
    currency, expected close date, probability or owner (`docs/kpis.md`), of a version or
    of a deal's present fields.

    Not `closed_at`, which moves with the status: a close date edited on a closed deal is
    no new state of the pipeline.
    """
    return (
        version.pipeline_id,
        version.stage_id,
        version.status,
        version.amount,
        version.currency,
        version.expected_close_at,
        version.probability,
        version.owner_id,
    )


def dated(
    latest: DealVersion, deal: Deal, changed_at: datetime | None, synced_at: datetime
) -> datetime:
    """When the deal's new state, seen by the sync at `synced_at`, began.

    By what the CRM tells, most precise first: the deal's `closed_at` when the change closes
    it; its visit's `entered_at` when it moved to another stage and the history has that
    visit; when the CRM says the deal last changed; else when the sync saw it. Then within
    (`latest.valid_from`, `synced_at`]; a latest version starting at or after `synced_at`
    (a clock set back) is followed by one a microsecond after it.
    """
    when = changed_at or synced_at
    if latest.status == "open" and deal.status != "open" and deal.closed_at is not None:
        when = deal.closed_at
    elif (latest.pipeline_id, latest.stage_id) != (deal.pipeline_id, deal.stage_id):
        entered = _entered(deal)
        if entered is not None:
            when = entered
    return max(latest.valid_from + _STEP, min(when, synced_at))


def _entered(deal: Deal) -> datetime | None:
    """When the deal last entered the stage it is in, if its stage history says."""
    for visit in reversed(deal.stage_history):
        if visit.stage_id == deal.stage_id:
            return visit.entered_at
    return None


def record(
    db: sqlite3.Connection, source: str, items: Sequence[Pulled], synced_at: datetime
) -> int:
    """Within a commit: record the versions of the deals of `items`; the versions added.

    Uses `temp.live_ids`, and leaves it empty.
    """
    held = _held(db, source, {item.record.id for item in items})
    before = {deal_id: list(history) for deal_id, history in held.items()}
    touched: set[str] = set()
    for item in items:
        deal = cast(Deal, item.record)
        history = held.setdefault(deal.id, [])
        if deal.versions:
            merged = _merged(history, deal.versions)
            if merged != history:
                history[:] = merged
                touched.add(deal.id)
        if not history:
            start = min(item.changed_at or synced_at, synced_at)
            history.append(_Held(deal.version(start), synced_at))
            touched.add(deal.id)
        elif state(deal) != state(history[-1].version):
            latest = history[-1]
            start = dated(latest.version, deal, item.changed_at, synced_at)
            history[-1] = replace(latest, version=replace(latest.version, valid_to=start))
            history.append(_Held(deal.version(start), synced_at))
            touched.add(deal.id)
    gone: list[tuple[SqlValue, ...]] = []
    new: list[tuple[SqlValue, ...]] = []
    added = 0
    for deal_id in touched:
        was, history = before.get(deal_id, []), held[deal_id]
        old_rows = {_row(source, deal_id, version) for version in was}
        new_rows = {_row(source, deal_id, version) for version in history}
        # only the rows that differ: a closed version is rewritten, the others stay
        gone.extend((source, deal_id, row[_KEY]) for row in old_rows - new_rows)
        new.extend(new_rows - old_rows)
        added += len(history) - len(was)
    db.executemany(_DELETE, gone)
    db.executemany(_INSERT, new)
    return added


def _held(db: sqlite3.Connection, source: str, deal_ids: Iterable[str]) -> dict[str, list[_Held]]:
    """The stored versions of the deals `deal_ids` of `source`, each deal's in order."""
    db.execute("DELETE FROM temp.live_ids")
    db.executemany("INSERT INTO temp.live_ids (id) VALUES (?)", ((i,) for i in deal_ids))
    found: dict[str, list[_Held]] = {}
    for deal_id, *fields, recorded_at in db.execute(_OF_LISTED, (source,)):
        at = None if recorded_at is None else parse_utc(recorded_at)
        found.setdefault(str(deal_id), []).append(_Held(VERSIONS.version(fields), at))
    db.execute("DELETE FROM temp.live_ids")
    return found


def _merged(history: list[_Held], given: Sequence[DealVersion]) -> list[_Held]:
    """The stored `history` of a deal with the versions its CRM gives merged in.

    The CRM's history holds from its first version on; the stored versions from before it
    stay. A version with the state of the one before it adds nothing, and is dropped; so is
    one that ends where it starts.
    """
    # a version that ends where it starts never held (and would share its start's key)
    held_for_a_while = [version for version in given if version.valid_to != version.valid_from]
    first = held_for_a_while[0].valid_from
    merged = [held for held in history if held.version.valid_from < first]
    merged.extend(_Held(version, None) for version in held_for_a_while)
    kept: list[_Held] = []
    for held in merged:
        if kept and state(kept[-1].version) == state(held.version):
            continue
        kept.append(held)
    ends = [held.version.valid_from for held in kept[1:]]
    return [
        replace(held, version=replace(held.version, valid_to=end))
        for held, end in zip(kept, [*ends, None], strict=True)
    ]


def _row(source: str, deal_id: str, held: _Held) -> tuple[SqlValue, ...]:
    return VERSIONS.row(source, deal_id, held.version, held.recorded_at)


def of_deal(db: sqlite3.Connection, source: str, deal_id: str) -> tuple[DealVersion, ...]:
    """The stored versions of one deal, in order."""
    rows = db.execute(_OF_DEAL, (source, deal_id))
    return tuple(VERSIONS.version(row) for row in rows)


def recorded_since(db: sqlite3.Connection) -> dict[str, datetime]:
    """Per source, the first sync that recorded a version itself (`Dataset.recorded_since`).

    A source whose versions all come from its CRM's history has none.
    """
    rows = db.execute(
        f"SELECT source, min(recorded_at) FROM {TABLE} "  # noqa: S608
        "WHERE recorded_at IS NOT NULL GROUP BY source"
    )
    return {str(source): parse_utc(first) for source, first in rows}


def forget(db: sqlite3.Connection, source: str) -> None:
    """Remove the versions of every deal of `source`."""
    db.execute(f"DELETE FROM {TABLE} WHERE source = ?", (source,))  # noqa: S608


def create(db: sqlite3.Connection) -> None:
    """The versions table of a new store."""
    db.execute(VERSIONS.create)


def upgrade_seeding(db: sqlite3.Connection) -> None:
    """Store version 6 to 7: the versions table, with one version per live deal, its state
    as stored, valid from when the store last saw it (`synced_at`) and recorded then.

    The columnar snapshot, which holds no versions, goes: the next load takes a new one.
    """
    create(db)
    changes.drop_snapshot(db)
    seeded = {"deal_id": "id", "valid_from": "synced_at", "valid_to": "NULL"}
    seeded["recorded_at"] = "synced_at"
    columns = ", ".join(seeded.get(name, name) for name in COLUMNS)
    db.execute(f"INSERT INTO {TABLE} SELECT {columns} FROM deals WHERE deleted = 0")  # noqa: S608
