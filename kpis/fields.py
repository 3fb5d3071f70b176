"""How each schema field is held as a column (`kpis.columns`), derived from its annotation.

This is the one place that maps a record's fields to columns: the column tables
(`kpis.columns`), the records built back from them (`kpis.column_records`), the store's
column load (`sync.store.loading`) and its snapshot all go through `record_fields`. The
schema (`connectors.schema`) says a field's type; only whether text repeats (a `Labels`
column) or is unique to each record (a plain list) is declared here, in `PLAIN_TEXT`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypeAlias, get_origin, get_type_hints

from connectors.schema import field_type

Kind: TypeAlias = Literal["text", "labels", "instants", "integers", "floats", "decimals"]
"""`text`: a list of str (or None); `labels`: a `Labels` column; `instants`: int64
microseconds, `MISSING` where unset; `integers`: int64; `floats`: float64, NaN where unset;
`decimals`: a list of `Decimal` (or None), exact."""

PLAIN_TEXT = frozenset({"id", "name", "email"})
"""Text unique to each record: coded as `Labels`, it would hold one value per record."""

CHILDREN = frozenset({"stage_history", "versions"})
"""Fields held as a column table of their own (a deal's visits and versions)."""


@dataclass(frozen=True, slots=True)
class FieldColumn:
    """One schema field as a column: its name, its kind, and whether it may be unset."""

    name: str
    kind: Kind
    optional: bool


def _kind(name: str, hint: Any) -> tuple[Kind, bool]:
    hint, optional = field_type(name, hint)
    if hint is str or get_origin(hint) is Literal:
        return ("text" if name in PLAIN_TEXT else "labels"), optional
    # bool before int: bool is an int subclass, and no column record holds one
    if hint is bool:
        raise TypeError(f"field {name!r}: no column kind for a flag")
    kinds: dict[Any, Kind] = {
        datetime: "instants",
        int: "integers",
        float: "floats",
        Decimal: "decimals",
    }
    if hint not in kinds:
        raise TypeError(f"field {name!r}: no column kind for {hint!r}")
    return kinds[hint], optional


def record_fields(record_type: type[Any]) -> tuple[FieldColumn, ...]:
    """The columns of a record type, in the schema's field order, but its `CHILDREN`."""
    if record_type not in _DERIVED:
        hints = get_type_hints(record_type)
        _DERIVED[record_type] = tuple(
            FieldColumn(item.name, *_kind(item.name, hints[item.name]))
            for item in fields(record_type)
            if item.name not in CHILDREN
        )
    return _DERIVED[record_type]


_DERIVED: dict[type[Any], tuple[FieldColumn, ...]] = {}
