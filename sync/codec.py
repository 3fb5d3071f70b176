"""Records as rows of the store: one table per record kind, one typed column per schema field.

Each table's layout (`Table`) and its SQL (`Statements`) are built here from the schema.

The columns are derived from the schema's dataclass fields, so the store mirrors the schema:
timestamps are fixed-width ISO-8601 UTC text (so text order is time order), Decimal amounts
are text (an exact round trip), stage history is JSON text. Changing a record's fields
changes its table: bump `sync.store.SCHEMA_VERSION` and add a migration, or opening an
existing store fails with the differing columns named.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, Generic, Literal, TypeAlias, TypeVar, Union, get_args, get_origin
from typing import get_type_hints as type_hints

from connectors.schema import (
    Contact,
    Deal,
    Owner,
    Record,
    Stage,
    StageVisit,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
)

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


def _visits_text(visits: tuple[StageVisit, ...]) -> str:
    if not visits:
        return "[]"
    return json.dumps(
        [
            {
                "stage_id": visit.stage_id,
                "entered_at": utc_text(visit.entered_at),
                "exited_at": None if visit.exited_at is None else utc_text(visit.exited_at),
            }
            for visit in visits
        ]
    )


def _parse_visits(text: str) -> tuple[StageVisit, ...]:
    return tuple(
        StageVisit(
            item["stage_id"],
            parse_utc(item["entered_at"]),
            None if item["exited_at"] is None else parse_utc(item["exited_at"]),
        )
        for item in json.loads(text)
    )


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Column:
    """One schema field as a column; `encode`/`decode` never see None (it is NULL)."""

    name: str
    sql_type: SqlType
    nullable: bool
    init: bool
    encode: Callable[[Any], SqlValue]
    decode: Callable[[Any], Any]

    def ddl(self) -> str:
        return f'"{self.name}" {self.sql_type}' + ("" if self.nullable else " NOT NULL")


def _codec(hint: Any) -> tuple[SqlType, Callable[[Any], SqlValue], Callable[[Any], Any]]:
    if hint is str or (
        get_origin(hint) is Literal and all(isinstance(arg, str) for arg in get_args(hint))
    ):
        return "TEXT", _same, _same
    # bool before int: bool is an int subclass, but must come back as a bool
    if hint is bool:
        return "INTEGER", int, bool
    if hint is int:
        return "INTEGER", int, int
    if hint is float:
        return "REAL", float, float
    if hint is Decimal:
        return "TEXT", str, Decimal
    if hint is datetime:
        return "TEXT", utc_text, parse_utc
    if get_origin(hint) is tuple and get_args(hint) == (StageVisit, ...):
        return "TEXT", _visits_text, _parse_visits
    raise TypeError(f"no column type for a field annotated {hint!r}")


def _column(name: str, hint: Any, *, init: bool) -> Column:
    nullable = False
    if get_origin(hint) in (Union, types.UnionType):
        others = [arg for arg in get_args(hint) if arg is not type(None)]
        nullable = len(others) < len(get_args(hint))
        if len(others) != 1:
            raise TypeError(f"field {name!r}: no column type for {hint!r}")
        hint = others[0]
    sql_type, encode, decode = _codec(hint)
    return Column(name, sql_type, nullable, init, encode, decode)


@dataclass(frozen=True, slots=True)
class Table(Generic[R]):
    """The table of one record kind: `source`, `id`, then the record's other fields."""

    kind: str
    name: str
    record_type: type[R]
    columns: tuple[Column, ...]
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

    def record(self, row: Sequence[SqlValue]) -> R:
        """The record a row holds, rebuilt (and so validated again) by the schema."""
        arguments: dict[str, Any] = {
            column.name: None if value is None else column.decode(value)
            for column, value in zip(self.columns, row, strict=True)
            if column.init
        }
        return self.record_type(**arguments)


def table_of(record_type: type[R], name: str) -> Table[R]:
    """The table layout of a record type, from its dataclass fields and their annotations."""
    hints = type_hints(record_type)
    by_name = {item.name: item for item in fields(record_type)}
    clash = set(by_name) & set(META_COLUMNS)
    if clash:
        raise TypeError(f"{record_type.__name__} fields clash with store columns: {clash}")
    order = [*KEY_COLUMNS, *(n for n in by_name if n not in KEY_COLUMNS)]
    columns = tuple(_column(n, hints[n], init=by_name[n].init) for n in order)
    return Table(record_type.KIND, name, record_type, columns)


class Statements:
    """The SQL of one record table; its identifiers come from the schema, never from input."""

    def __init__(self, table: Table[Any]) -> None:
        name = f'"{table.name}"'
        names = ", ".join(f'"{n}"' for n in (*table.column_names, *META_COLUMNS))
        marks = ", ".join("?" for _ in (*table.column_names, *META_COLUMNS))
        updates = ", ".join(
            f'"{n}" = excluded."{n}"' for n in (*table.column_names[2:], "raw", "synced_at")
        )
        columns = ", ".join(column.ddl() for column in table.columns)
        selected = ", ".join(f'"{n}"' for n in table.column_names)
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
            "WHERE source = ? AND deleted = 0 AND id NOT IN (SELECT id FROM temp.live_ids)"
        )
        self.live = f"SELECT {selected} FROM {name} WHERE deleted = 0 ORDER BY source, id"  # noqa: S608
        self.count = f"SELECT count(*) FROM {name} WHERE deleted = 0"  # noqa: S608
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
