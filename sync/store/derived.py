"""Fields the store derives when the KPIs read it, so that they follow the record they come from.

A connector whose deals have no lead source of their own (ActiveCampaign) says so
(`Connector.derived`, recorded per source by `declare`) and leaves the field unset; the
store then reads such a deal's lead source as its contact's (`columns`). Taken when the
columns are read, a contact that arrives after its deal, or whose lead source is filled in
later, reaches the deal's KPIs at the next load; copied when the deal was read, it never
would. Other sources' deals keep their own lead source, unset or not.

The columnar snapshot holds the derived value, so a commit of contacts logs the deals that
take their lead source from them as changed (`log_deals_of`), and the next load reads those
deals again; an index of deals by contact finds them without a pass over every deal. A
source that starts or stops deriving drops the snapshot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from sync.store import changes

LEAD_SOURCE = "lead_source"
FIELDS = frozenset({LEAD_SOURCE})
"""The deal fields a source may leave to the store to derive."""

_DERIVED_LEAD_SOURCE = (
    "coalesce(lead_source, (SELECT c.lead_source FROM contacts AS c "
    "JOIN derived AS f ON f.source = c.source AND f.field = 'lead_source' "
    "WHERE c.source = deals.source AND c.id = deals.contact_id AND c.deleted = 0)) "
    "AS lead_source"
)
_DERIVED: dict[str, dict[str, str]] = {"deals": {LEAD_SOURCE: _DERIVED_LEAD_SOURCE}}
_LOG_DEALS = (
    f"INSERT INTO {changes.TABLE} (kind, source, id, generation) "  # noqa: S608
    "SELECT 'deal', source, id, ? FROM deals WHERE source = ? AND lead_source IS NULL "
    "AND contact_id IN (SELECT id FROM temp.live_ids) "
    "AND source IN (SELECT source FROM derived WHERE field = 'lead_source') "
    "ON CONFLICT (kind, source, id) DO UPDATE SET generation = excluded.generation"
)


def create(db: sqlite3.Connection) -> None:
    """The sources' declarations and the index of deals by contact (store version 4)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS derived (source TEXT NOT NULL, field TEXT NOT NULL, "
        "PRIMARY KEY (source, field)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX IF NOT EXISTS deals_by_contact ON deals (source, contact_id)")


def columns(table: str, names: Iterable[str]) -> str:
    """The select list of `names` of `table`, with the derived ones derived."""
    derived = _DERIVED.get(table, {})
    return ", ".join(derived.get(name, name) for name in names)


def declare(db: sqlite3.Connection, source: str, fields: Iterable[str]) -> None:
    """Within a write transaction: the fields `source` leaves to the store from now on."""
    wanted = set(fields)
    unknown = wanted - FIELDS
    if unknown:
        raise ValueError(f"{source}: the store derives no field {', '.join(sorted(unknown))}")
    rows = db.execute("SELECT field FROM derived WHERE source = ?", (source,))
    if {str(name) for (name,) in rows} == wanted:
        return
    db.execute("DELETE FROM derived WHERE source = ?", (source,))
    db.executemany("INSERT INTO derived VALUES (?, ?)", ((source, name) for name in wanted))
    # every deal of the source may read otherwise now
    changes.drop_snapshot(db)


def log_deals_of(db: sqlite3.Connection, source: str, contact_ids: Iterable[str]) -> None:
    """Within a commit of contacts: log the deals deriving from them as changed too."""
    if not changes.has_snapshot(db):
        return
    db.execute("DELETE FROM temp.live_ids")
    ids = ((contact_id,) for contact_id in set(contact_ids))
    db.executemany("INSERT INTO temp.live_ids (id) VALUES (?)", ids)
    db.execute(_LOG_DEALS, (changes.current(db), source))
    db.execute("DELETE FROM temp.live_ids")
