"""Reading the store's records as columns (`kpis.columns`), a whole column at a time.

Fetching rows one by one makes a Python object of every value, which at a large account
(millions of values) costs more than computing every KPI. Instead each column comes back as
one string that SQLite concatenates (`group_concat`), which numpy or one `str.split` turns
into an array:

- instants are fixed-width `utc_text`, concatenated with no separator and parsed at once
  (`parse_instants`); an unset one is a run of spaces;
- other text is joined with the unit separator (U+001F), an unset value read as U+001E;
- a column whose parts do not come out one per row (a value holding U+001F), or with more
  U+001E parts than unset values (a value that is U+001E), is read again row by row, so no
  value is ever split or taken as unset wrongly.

Sorting in SQLite would cost as much as the read, so rows come in the table's order and are
put in `(source, id)` order here, the order `Dataset` promises (usually they already are).
REAL columns are read row by row, because SQLite's text form of a float is not always exact.
"""

from __future__ import annotations

import operator
import sqlite3
from decimal import Decimal
from typing import Any, Literal, TypeAlias, TypeVar, cast

import numpy as np
import numpy.typing as npt

from kpis.columns import (
    NO_LABEL,
    Columns,
    ContactColumns,
    DealColumns,
    Instants,
    Labels,
    RecordColumns,
    SubscriptionColumns,
    SurveyColumns,
    TicketColumns,
    VersionColumns,
    VisitColumns,
    distinct_rows,
    record_keys,
    take,
)
from sync.store import derived
from sync.store.changes import TABLE as CHANGES
from sync.store.instants import UNSET, parse_instants
from sync.store.tables import TABLES, VERSION_KEY
from sync.store.versions import TABLE as VERSIONS
from sync.store.visits import TABLE as VISITS

Part: TypeAlias = str | None
T = TypeVar("T", bound=np.generic)
C = TypeVar("C", bound=RecordColumns)
Kind: TypeAlias = Literal["key", "text", "instant", "integer"]
"""`key`: text never NULL; `text`: text that may be NULL."""

SEPARATOR = "\x1f"
_AGGREGATES: dict[Kind, str] = {
    "key": "group_concat({0}, char(31))",
    "text": "group_concat(ifnull({0}, char(30)), char(31)), count({0})",
    "instant": f"group_concat(ifnull({{0}}, '{UNSET}'), '')",
    "integer": "group_concat({0}, ',')",
}
_NULL = "\x1e"
"""What an unset text reads as; a value that is this character itself is told apart by count."""


class _Read:
    """The columns `spec` of the rows of a query, read in one pass as concatenated texts.

    `order` (from `in_key_order`) puts the columns read afterwards in another row order.
    """

    def __init__(self, db: sqlite3.Connection, rows: str, spec: dict[str, Kind]) -> None:
        self._db = db
        self._rows = rows
        aggregates = ", ".join(_AGGREGATES[kind].format(column) for column, kind in spec.items())
        found = list(db.execute(f"SELECT count(*), {aggregates} FROM ({rows})").fetchone())  # noqa: S608
        self.count = int(found.pop(0))
        self._text: dict[str, str] = {}
        self._set: dict[str, int] = {}
        self._split: dict[str, list[Part]] = {}
        for column, kind in spec.items():
            self._text[column] = str(found.pop(0) or "")
            if kind == "text":
                self._set[column] = int(found.pop(0))
        self.order: npt.NDArray[np.intp] | None = None

    def in_key_order(self) -> None:
        """Read the columns in `(source, id)` order from now on (reads `source` and `id`)."""
        sources, ids = self._parts("source"), self._parts("id")
        # one source (the usual case): the ids alone order the rows, with no tuple per row
        keys: list[Any] = ids if len(set(sources)) < 2 else list(zip(sources, ids, strict=True))
        if not all(map(operator.le, keys, keys[1:])):
            self.order = np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.intp)

    def _parts(self, column: str) -> list[Part]:
        """The values of a column of text, None where unset, in the table's row order.

        Split once per column: `in_key_order` and the column's own reader both need them.
        """
        if column not in self._split:
            self._split[column] = self._split_text(column)
        return self._split[column]

    def _split_text(self, column: str) -> list[Part]:
        parts: list[Part] = []
        if self.count:
            parts.extend(self._text[column].split(SEPARATOR))
        unset = self.count - self._set[column] if column in self._set else 0
        if len(parts) != self.count or parts.count(_NULL) != unset:
            return self._each(column)
        if unset:
            parts = [None if part == _NULL else part for part in parts]
        return parts

    def _each(self, column: str) -> list[Part]:
        return [value for (value,) in self._db.execute(f"SELECT {column} FROM ({self._rows})")]  # noqa: S608

    def texts(self, column: str) -> list[Part]:
        parts = self._parts(column)
        return parts if self.order is None else [parts[at] for at in self.order.tolist()]

    def labels(self, column: str) -> Labels:
        labels = Labels.of(self._parts(column))
        return Labels(self._ordered(labels.codes), labels.values)

    def instant_texts(self, column: str) -> list[str]:
        """The `utc_text` of each instant of a column, in the table's row order."""
        text, width = self._text[column], len(UNSET)
        return [text[at : at + width] for at in range(0, self.count * width, width)]

    def instants(self, column: str) -> Instants:
        return self._ordered(parse_instants(self._text[column], self.count))

    def integers(self, column: str) -> npt.NDArray[np.int64]:
        text = self._text[column]
        return self._ordered(np.array(text.split(",") if self.count else [], dtype=np.int64))

    def _ordered(self, values: npt.NDArray[T]) -> npt.NDArray[T]:
        return values if self.order is None else values[self.order]


def _rows(table: str, kind: str, spec: dict[str, Kind], since: int | None) -> str:
    """The live rows of `table` (record `kind`), with only the columns of `spec`.

    Only those columns, so that no raw payload is carried; derived ones are derived
    (`sync.store.derived`). With `since`, only the records
    changed after that generation of the store (`sync.store.changes`).
    """
    rows = f"SELECT {derived.columns(table, spec)} FROM {table} WHERE deleted = 0"  # noqa: S608
    if since is None:
        return rows
    return f"{rows} AND (source, id) IN ({changed_since(kind, since)})"


def changed_since(kind: str, since: int) -> str:
    """The keys of the records of `kind` changed after generation `since`, as a subquery."""
    if kind not in _KINDS:
        raise ValueError(f"unknown record kind {kind!r}")
    return (
        f"SELECT source, id FROM {CHANGES} "  # noqa: S608
        f"WHERE kind = '{kind}' AND generation > {int(since)}"
    )


_KINDS = frozenset({"deal", "ticket", "subscription", "survey"})


def _spec(table: type[RecordColumns]) -> dict[str, Kind]:
    """How each column of `table` is read in one pass; float columns are read by row."""
    spec: dict[str, Kind] = {}
    for column in table.fields():
        if column.kind in _READ_AS:
            spec[column.name] = _READ_AS[column.kind]
        elif column.kind != "floats":
            spec[column.name] = "text" if column.optional else "key"
    return spec


_READ_AS: dict[str, Kind] = {"instants": "instant", "integers": "integer"}


def _column(read: _Read, name: str, kind: str) -> Any:
    """One column of `read`, of `kind` (`kpis.fields`), but floats."""
    if kind == "labels":
        return read.labels(name)
    if kind == "instants":
        return read.instants(name)
    if kind == "integers":
        return read.integers(name)
    if kind == "decimals":
        return [None if text is None else Decimal(text) for text in read.texts(name)]
    return read.texts(name)


def _columns(db: sqlite3.Connection, read: _Read, table: type[C], rows: str) -> C:
    """The columns of `table` from `read` (in key order), its floats read from `rows`."""
    values: dict[str, Any] = {
        column.name: _column(read, column.name, column.kind)
        for column in table.fields()
        if column.kind != "floats"
    }
    floats = [column.name for column in table.fields() if column.kind == "floats"]
    if floats:
        values |= _floats(db, rows, floats, record_keys(values["source"], values["id"]))
    built: C = cast(Any, table)(**values)
    return built


def _floats(
    db: sqlite3.Connection, rows: str, names: list[str], keys: list[tuple[str, str]]
) -> dict[str, npt.NDArray[np.float64]]:
    """The float columns `names` of `rows` in the order of `keys`, NaN where unset.

    Read row by row (SQLite's text of a float is not always exact), then put in the order of
    the other columns by key.
    """
    found = {(source, key): values for source, key, *values in db.execute(rows).fetchall()}
    columns: dict[str, npt.NDArray[np.float64]] = {}
    for at, name in enumerate(names):
        values = (found[key][at] for key in keys)
        columns[name] = np.fromiter(
            (np.nan if v is None else v for v in values), np.float64, len(keys)
        )
    return columns


def _load(db: sqlite3.Connection, table: type[C], since: int | None) -> C:
    """The live records of `table`'s record kind, as columns in key order."""
    kind = table.RECORD.KIND
    name = TABLES[kind].name
    spec = _spec(table)
    read = _Read(db, _rows(name, kind, spec, since), spec)
    read.in_key_order()
    floats = [c.name for c in table.fields() if c.kind == "floats"]
    float_rows = _rows(name, kind, dict.fromkeys(("source", "id", *floats), "key"), since)
    return _columns(db, read, table, float_rows)


def _visits(db: sqlite3.Connection, deals: DealColumns, since: int | None) -> VisitColumns:
    """The visits of the live deals of `deals`, each pointing at its deal's position.

    The visits of every deal (or every changed deal) are read, and those of deleted deals
    dropped here: cheaper than looking each visit's deal up in SQLite.
    """
    spec: dict[str, Kind] = {"source": "key", "deal_id": "key", "position": "integer"}
    spec |= {"stage_id": "key", "entered_at": "instant", "exited_at": "instant"}
    rows = f"SELECT {', '.join(spec)} FROM {VISITS}"  # noqa: S608
    if since is not None:
        rows += f" WHERE (source, deal_id) IN ({changed_since('deal', since)})"
    read = _Read(db, rows, spec)
    deal = _deal_positions(deals, read.labels("source"), read.labels("deal_id"))
    live = deal >= 0
    # by deal, then position: the order `VisitColumns` promises
    order = np.flatnonzero(live)[np.lexsort((read.integers("position")[live], deal[live]))]
    stages = read.labels("stage_id")
    return VisitColumns(
        deal=deal[order],
        stage_id=Labels(stages.codes[order], stages.values),
        entered_at=read.instants("entered_at")[order],
        exited_at=read.instants("exited_at")[order],
    )


def _deal_positions(deals: DealColumns, sources: Labels, deal_ids: Labels) -> npt.NDArray[np.int32]:
    """The position in `deals` of the deal of each row keyed by `sources` and `deal_ids`;
    -1 for a deal that is not there (deleted, or not among those read)."""
    inverse, pairs = distinct_rows(sources.codes, deal_ids.codes)
    position_of = {key: at for at, key in enumerate(record_keys(deals.source, deals.id))}
    positions = [
        position_of.get((sources.values[source], deal_ids.values[deal_id]), -1)
        for source, deal_id in pairs
    ]
    found: npt.NDArray[np.int32] = np.array(positions, dtype=np.int32)[inverse]
    return found


def _versions(db: sqlite3.Connection, deals: DealColumns, since: int | None) -> VersionColumns:
    """The versions of the live deals of `deals`, each pointing at its deal's position.

    As for the visits, those of every deal (or every changed deal) are read and those of
    deleted deals dropped here.
    """
    key: Kind = "key"
    spec = dict.fromkeys(VERSION_KEY, key) | _spec(VersionColumns)
    rows = f"SELECT {', '.join(spec)} FROM {VERSIONS}"  # noqa: S608
    where = "" if since is None else f" WHERE (source, deal_id) IN ({changed_since('deal', since)})"
    read = _Read(db, rows + where, spec)
    values: dict[str, Any] = {}
    for column in VersionColumns.fields():
        if column.kind == "floats":
            values[column.name] = _version_floats(db, read, column.name, where)
        else:
            values[column.name] = _column(read, column.name, column.kind)
    deal = _deal_positions(deals, read.labels("source"), read.labels("deal_id"))
    live = deal >= 0
    # by deal, then valid_from: the order `VersionColumns` promises
    order = np.flatnonzero(live)[np.lexsort((values["valid_from"][live], deal[live]))]
    return take(VersionColumns(deal=deal, **values), order)


def _version_floats(
    db: sqlite3.Connection, read: _Read, name: str, where: str
) -> npt.NDArray[np.float64]:
    """A float column of the versions of `read`, in its order; NaN where unset.

    Read row by row, as for the deals (`_floats`), with each version's key; only the set
    ones, as most CRMs leave a deal's own probability unset.
    """
    column = np.full(read.count, np.nan, dtype=np.float64)
    found_where = f"{where} AND" if where else " WHERE"
    found = {
        (source, deal_id, valid_from): value
        for source, deal_id, valid_from, value in db.execute(
            f"SELECT source, deal_id, valid_from, {name} FROM {VERSIONS}"  # noqa: S608
            f"{found_where} {name} IS NOT NULL"
        )
    }
    if not found:
        return column
    keys = zip(
        read.texts("source"), read.texts("deal_id"), read.instant_texts("valid_from"), strict=True
    )
    for at, key in enumerate(keys):
        value = found.get(key)
        if value is not None:
            column[at] = value
    return column


def _contacts(db: sqlite3.Connection, customers: list[tuple[str, str]] | None) -> ContactColumns:
    """Every live contact, or only those with a key in `customers` (sorted keys)."""
    if customers is None:
        return _load(db, ContactColumns, None)
    # an index lookup per customer rather than a pass over every contact; the keys go in
    # sorted, so the contacts come out in key order
    spec = _spec(ContactColumns)
    db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (source TEXT, id TEXT)")
    db.execute("DELETE FROM temp.wanted")
    db.executemany("INSERT INTO temp.wanted VALUES (?, ?)", customers)
    columns = ", ".join(f"c.{column}" for column in spec)
    rows = (
        f"SELECT {columns} FROM temp.wanted AS w CROSS JOIN contacts AS c "  # noqa: S608
        "ON c.source = w.source AND c.id = w.id WHERE c.deleted = 0"
    )
    read = _Read(db, rows, spec)
    read.in_key_order()
    return _columns(db, read, ContactColumns, rows)


def customer_keys(deals: DealColumns) -> list[tuple[str, str]]:
    """The sorted keys of the contacts of won deals."""
    won = deals.is_status("won") & (deals.contact_id.codes != NO_LABEL)
    pairs = {
        (str(deals.source.values[source]), deals.contact_id.values[contact])
        for source, contact in zip(
            deals.source.codes[won].tolist(), deals.contact_id.codes[won].tolist(), strict=True
        )
    }
    return sorted(pairs)


def load_columns(db: sqlite3.Connection, *, since: int | None = None) -> Columns:
    """The live records but owners, stages and contacts, as columns, with the live deals'
    stage visits and versions; see `Store.load_dataset`.

    With `since`, only the records changed after that generation (`sync.store.changes`).
    """
    deals = _load(db, DealColumns, since)
    return Columns(
        deals=deals,
        visits=_visits(db, deals, since),
        versions=_versions(db, deals, since),
        tickets=_load(db, TicketColumns, since),
        subscriptions=_load(db, SubscriptionColumns, since),
        surveys=_load(db, SurveyColumns, since),
    )


def load_contacts(
    db: sqlite3.Connection, deals: DealColumns, *, customers_only: bool
) -> ContactColumns:
    """Every live contact, or only the contacts of the won deals of `deals`."""
    return _contacts(db, customer_keys(deals) if customers_only else None)
