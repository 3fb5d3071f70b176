"""Records as rows of the store: one table per record kind, one typed column per schema field.

Each table's layout (`Table`) and its SQL (`Statements`) are built here from the schema.

The columns are derived from the schema's dataclass fields, so the store mirrors the schema:
timestamps are fixed-width ISO-8601 UTC text (so text order is time order), Decimal amounts
are text (an exact round trip). A deal's stage history is not a column: its visits are rows
of their own table (`sync.store.visits`), and so are its versions (`VERSIONS`, recorded
by `sync.store.versions`). Changing a record's fields changes its table: bump
`sync.store.SCHEMA_VERSION` and add a migration, or opening an existing store fails with
the differing columns named.

Reading a record back trusts the store: it holds only records the schema validated on their
way in, so a loaded record gets its fields set as they are (see `Table.records`). Only
owners, stages and single records are read as rows; the KPIs read the other tables as
columns (`sync.store.loading`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, Generic, Literal, TypeAlias, TypeVar, get_args, get_origin
from typing import get_type_hints as type_hints

from connectors.schema import (
    Contact,
    Deal,
    DealVersion,
    Owner,
    Record,
    Stage,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
    field_type,
)
from kpis.fields import CHILDREN

SqlValue: TypeAlias = str | int | float | None
SqlType: TypeAlias = Literal["TEXT", "INTEGER", "REAL"]
R = TypeVar("R", bound=Record)

KEY_COLUMNS = ("source", "id")
# beside the record's fields in every record table
META_COLUMNS = ("raw", "deleted", "synced_at")


def utc_text(instant: datetime) -> str:
    """An aware instant as fixed-width ISO-8601 UTC text: `2026-10-01T09:30:00.000000+00:00`."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"timestamp {instant.isoformat()} has no UTC offset")
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def parse_utc(text: str) -> datetime:
    """The instant `utc_text` wrote, in UTC."""
    return datetime.fromisoformat(text).astimezone(UTC)


def _load_instant(text: str) -> datetime:
    """An instant `utc_text` wrote: its `+00:00` parses to `UTC` itself, so no conversion."""
    return datetime.fromisoformat(text)


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Column:
    """One schema field as a column; `encode`/`decode` never see None (it is NULL).

    `decode` turns what SQLite returns into the field's value, trusting that the schema
    validated it on the way in; None when SQLite returns the field's value as it is.
    """

    name: str
    sql_type: SqlType
    nullable: bool
    encode: Callable[[Any], SqlValue]
    decode: Callable[[Any], Any] | None

    def ddl(self) -> str:
        return f'"{self.name}" {self.sql_type}' + ("" if self.nullable else " NOT NULL")


def _codec(
    hint: Any,
) -> tuple[SqlType, Callable[[Any], SqlValue], Callable[[Any], Any] | None]:
    if hint is str or (
        get_origin(hint) is Literal and all(isinstance(arg, str) for arg in get_args(hint))
    ):
        return "TEXT", _same, None
    # bool before int: bool is an int subclass, but must come back as a bool
    if hint is bool:
        return "INTEGER", int, bool
    # SQLite returns an INTEGER column as an int and a REAL column as a float
    if hint is int:
        return "INTEGER", int, None
    if hint is float:
        return "REAL", float, None
    if hint is Decimal:
        return "TEXT", str, Decimal
    if hint is datetime:
        return "TEXT", utc_text, _load_instant
    raise TypeError(f"no column type for a field annotated {hint!r}")


def _column(name: str, hint: Any) -> Column:
    hint, nullable = field_type(name, hint)
    sql_type, encode, decode = _codec(hint)
    return Column(name, sql_type, nullable, encode, decode)


@dataclass(frozen=True, slots=True)
class Table(Generic[R]):
    """The table of one record kind: `source`, `id`, then the record's other fields."""

    kind: str
    name: str
    record_type: type[R]
    columns: tuple[Column, ...]
    children: Mapping[str, Any] = field(default_factory=dict)
    """Fields stored in a table of their own, set to this default when a row is loaded."""
    _values: Callable[[R], tuple[Any, ...]] = field(init=False, repr=False, compare=False)
    _encoders: tuple[tuple[int, Callable[[Any], SqlValue]], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # the per-row work, hoisted: one getter for all fields, and only the encoders that
        # change a value (text stays as it is)
        object.__setattr__(self, "_values", attrgetter(*self.column_names))
        encoders = tuple(
            (index, column.encode)
            for index, column in enumerate(self.columns)
            if column.encode is not _same
        )
        object.__setattr__(self, "_encoders", encoders)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def row(self, record: R) -> list[SqlValue]:
        """The column values of `record`, in column order."""
        values: list[Any] = list(self._values(record))
        for index, encode in self._encoders:
            value = values[index]
            if value is not None:
                values[index] = encode(value)
        return values

    def records(self, source: str, rows: Iterable[Sequence[SqlValue]]) -> list[R]:
        """The records of `source` held by `rows` of `Statements.live` (every column but source).

        Each record is made with `object.__new__` and its fields are set as they are: the
        schema checked and normalized them before they were stored.
        """
        loaded: list[R] = []
        for row in rows:
            record = object.__new__(self.record_type)
            for column, value in zip(self.columns, (source, *row), strict=True):
                decoded = value if value is None or column.decode is None else column.decode(value)
                object.__setattr__(record, column.name, decoded)
            for name, default in self.children.items():
                object.__setattr__(record, name, default)
            loaded.append(record)
        return loaded


def table_of(record_type: type[R], name: str) -> Table[R]:
    """The table layout of a record type, from its dataclass fields and their annotations."""
    hints = type_hints(record_type)
    by_name = {item.name: item for item in fields(record_type)}
    clash = set(by_name) & set(META_COLUMNS)
    if clash:
        raise TypeError(f"{record_type.__name__} fields clash with store columns: {clash}")
    children = {n: by_name[n].default for n in by_name if n in CHILDREN}
    order = [*KEY_COLUMNS, *(n for n in by_name if n not in KEY_COLUMNS and n not in children)]
    columns = tuple(_column(n, hints[n]) for n in order)
    return Table(record_type.KIND, name, record_type, columns, children)


class Statements:
    """The SQL of one record table; its identifiers come from the schema, never from input."""

    def __init__(self, table: Table[Any]) -> None:
        name = f'"{table.name}"'
        names = ", ".join(f'"{n}"' for n in (*table.column_names, *META_COLUMNS))
        marks = ", ".join("?" for _ in (*table.column_names, *META_COLUMNS))
        content = ", ".join(f'"{n}"' for n in (*table.column_names, "raw"))
        updates = ", ".join(
            f'"{n}" = excluded."{n}"' for n in (*table.column_names[2:], "raw", "synced_at")
        )
        columns = ", ".join(column.ddl() for column in table.columns)
        loaded = ", ".join(f'"{n}"' for n in table.column_names[1:])
        self.create = (
            f"CREATE TABLE {name} ({columns}, raw TEXT NOT NULL, "
            "deleted INTEGER NOT NULL DEFAULT 0, synced_at TEXT NOT NULL, "
            "PRIMARY KEY (source, id))"
        )
        self.upsert = (
            f"INSERT INTO {name} ({names}) VALUES ({marks}) "  # noqa: S608
            f"ON CONFLICT (source, id) DO UPDATE SET {updates}, deleted = 0"
        )
        self.delete = (
            f"UPDATE {name} SET deleted = 1, synced_at = ? "  # noqa: S608
            "WHERE source = ? AND id = ? AND deleted = 0"
        )
        self.sweep = (
            f"UPDATE {name} SET deleted = 1, synced_at = ? "  # noqa: S608
            "WHERE source = ? AND deleted = 0 AND id NOT IN (SELECT id FROM temp.live_ids) "
            "RETURNING id"
        )
        # each distinct source in a few index lookups (a skip scan), not a scan of every row
        self.sources = (
            f"WITH RECURSIVE found (source) AS (SELECT min(source) FROM {name} "  # noqa: S608
            f"UNION ALL SELECT (SELECT min(source) FROM {name} WHERE source > found.source) "
            "FROM found WHERE found.source IS NOT NULL) "
            "SELECT source FROM found WHERE source IS NOT NULL"
        )
        # one source at a time: its records share one `source` string, not fetched per row
        self.live = (
            f"SELECT {loaded} FROM {name} "  # noqa: S608
            "WHERE source = ? AND deleted = 0 ORDER BY id"
        )
        # the stored state of the ids a page lists in `temp.live_ids`, to compare with the page
        self.state = (
            f"SELECT id, deleted, {content} FROM {name} "  # noqa: S608
            "WHERE source = ? AND id IN (SELECT id FROM temp.live_ids)"
        )
        self.count = f"SELECT count(*) FROM {name} WHERE deleted = 0"  # noqa: S608
        self.by_source = f"SELECT source, count(*) FROM {name} WHERE deleted = 0 GROUP BY source"  # noqa: S608
        self.ids_of_source = f"SELECT id FROM {name} WHERE source = ?"  # noqa: S608
        self.forget = f"DELETE FROM {name} WHERE source = ?"  # noqa: S608
        self.columns = f"PRAGMA table_info({name})"


OWNERS = table_of(Owner, "owners")
STAGES = table_of(Stage, "stages")
CONTACTS = table_of(Contact, "contacts")
DEALS = table_of(Deal, "deals")
TICKETS = table_of(Ticket, "tickets")
SUBSCRIPTIONS = table_of(SubscriptionEvent, "subscriptions")
SURVEYS = table_of(SurveyResponse, "surveys")

TABLES: Mapping[str, Table[Any]] = {
    table.kind: table
    for table in (OWNERS, STAGES, CONTACTS, DEALS, TICKETS, SUBSCRIPTIONS, SURVEYS)
}
"""Every record table, by record kind (`Record.KIND`)."""

STATEMENTS: Mapping[str, Statements] = {kind: Statements(table) for kind, table in TABLES.items()}
"""The SQL of every record table, by record kind."""


VERSION_KEY = ("source", "deal_id")
RECORDED_AT = "recorded_at"


@dataclass(frozen=True, slots=True)
class VersionTable:
    """The layout of `deal_versions`: a deal's key, a `DealVersion`'s fields, `recorded_at`.

    `recorded_at` is the `synced_at` of the sync that recorded the version itself, NULL for
    one the CRM's own history gave (`Deal.versions`): what `Dataset.recorded_since` is read
    from. Versions are keyed by their deal and `valid_from`, so a deal's come out in order.
    """

    name: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def create(self) -> str:
        columns = ", ".join(column.ddl() for column in self.columns)
        return (
            f'CREATE TABLE "{self.name}" ({columns}, '
            "PRIMARY KEY (source, deal_id, valid_from)) WITHOUT ROWID"
        )

    def row(
        self, source: str, deal_id: str, version: DealVersion, recorded_at: datetime | None
    ) -> tuple[SqlValue, ...]:
        """The stored form of `version` of the deal `(source, deal_id)`, in column order."""
        values = (source, deal_id, *(getattr(version, n) for n in self.version_fields))
        encoded = [
            None if value is None else column.encode(value)
            for column, value in zip(self.columns, (*values, recorded_at), strict=True)
        ]
        return tuple(encoded)

    @property
    def version_fields(self) -> tuple[str, ...]:
        """The `DealVersion` fields, in column order."""
        return self.column_names[len(VERSION_KEY) : -1]

    def version(self, row: Sequence[SqlValue]) -> DealVersion:
        """The `DealVersion` of a row of the version fields (`version_fields`), in order."""
        own = self.columns[len(VERSION_KEY) : -1]
        values: dict[str, Any] = {
            column.name: value if value is None or column.decode is None else column.decode(value)
            for column, value in zip(own, row, strict=True)
        }
        return DealVersion(**values)


def _version_table() -> VersionTable:
    hints = type_hints(DealVersion)
    key = tuple(Column(name, "TEXT", False, _same, None) for name in VERSION_KEY)
    own = tuple(_column(item.name, hints[item.name]) for item in fields(DealVersion))
    recorded = Column(RECORDED_AT, "TEXT", True, utc_text, _load_instant)
    return VersionTable("deal_versions", (*key, *own, recorded))


VERSIONS = _version_table()
"""The deals' versions (`sync.store.versions`)."""
