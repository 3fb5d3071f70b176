"""The local SQLite store: records, cursors, the change log and its snapshot, the log of runs.

`Store` is the one way in; the modules beside it are its parts: the tables derived from the
schema (`tables`), the column reads (`loading`, `instants`), the columnar snapshot and the
log of what changed since it (`snapshot`, `changes`), the deals' stage visits (`visits`)
and versions (`versions`), the log of runs (`runs`) and the loads by source (`scope`).
"""

from sync.store.runs import RunOutcome, RunRecord
from sync.store.store import SCHEMA_VERSION, Committed, ContactScope, Store, StoreError
from sync.store.tables import utc_text

__all__ = [
    "SCHEMA_VERSION",
    "Committed",
    "ContactScope",
    "RunOutcome",
    "RunRecord",
    "Store",
    "StoreError",
    "utc_text",
]
