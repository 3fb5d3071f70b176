"""The store's columnar snapshot: the KPI columns as one blob, and merging changes into it.

The blob is an `.npz` archive (numpy's, read with pickling refused), one entry per part of
each column: a `Labels` column as its codes and its values, an array as itself, text as its
UTF-8 bytes joined by U+001F (or with each value's length, when a value holds U+001F) and a
mask of unset values, `Decimal` amounts as text.

Merging takes the snapshot's records, drops those whose key changed, adds the changed
records that are live (read as rows), and puts every table back in `(source, id)` order: the
dataset the rows alone would give. Stage visits and versions follow their deals.
"""

from __future__ import annotations

import io
import operator
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from decimal import Decimal
from itertools import repeat
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from kpis.columns import (
    Columns,
    DealColumns,
    Labels,
    RecordColumns,
    SubscriptionColumns,
    SurveyColumns,
    TicketColumns,
    VersionColumns,
    VisitColumns,
    concat,
    record_keys,
    take,
)

Table = TypeVar(
    "Table",
    DealColumns,
    VisitColumns,
    VersionColumns,
    TicketColumns,
    SubscriptionColumns,
    SurveyColumns,
)
Keyed = TypeVar("Keyed", DealColumns, TicketColumns, SubscriptionColumns, SurveyColumns)
"""A table of records with keys of their own (visits and versions go by their deals')."""
Child = TypeVar("Child", VisitColumns, VersionColumns)
"""A table of a deal's children: each row names its deal's position, `deal`."""
Keys = set[tuple[str, str]]

_TABLES: dict[str, type[RecordColumns]] = {
    "deals": DealColumns,
    "visits": VisitColumns,
    "versions": VersionColumns,
    "tickets": TicketColumns,
    "subscriptions": SubscriptionColumns,
    "surveys": SurveyColumns,
}
_KIND = {"deals": "deal", "tickets": "ticket", "subscriptions": "subscription", "surveys": "survey"}
_DECIMALS = frozenset(
    (name, column.name)
    for name, table in _TABLES.items()
    for column in table.fields()
    if column.kind == "decimals"
)
_SEPARATOR = "\x1f"


class SnapshotError(ValueError):
    """A blob this version cannot read: damaged, or of another layout of the columns."""


def encode(columns: Columns) -> bytes:
    """The columns of `columns` but its contacts, as the snapshot blob."""
    arrays: dict[str, npt.NDArray[Any]] = {"layout": np.array([_layout()])}
    for name in _TABLES:
        table = getattr(columns, name)
        for column in fields(table):
            value = getattr(table, column.name)
            prefix = f"{name}.{column.name}"
            if isinstance(value, Labels):
                arrays[f"{prefix}.codes"] = value.codes
                arrays |= _texts(f"{prefix}.values", value.values)
            elif isinstance(value, np.ndarray):
                arrays[f"{prefix}.array"] = value
            elif (name, column.name) in _DECIMALS:
                arrays |= _texts(f"{prefix}.text", [None if v is None else str(v) for v in value])
            else:
                arrays |= _texts(f"{prefix}.text", value)
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


def decode(data: bytes) -> Columns:
    """The columns a snapshot blob holds (its contacts empty).

    Raises `SnapshotError` for a blob that is damaged or was written for other columns (by
    another version): the store then reads the rows instead.
    """
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            parts = {name: archive[name] for name in archive.files}
        if parts.get("layout") is None or str(parts["layout"][0]) != _layout():
            raise SnapshotError("the snapshot was written for other columns")
        return _columns(parts)
    except (OSError, ValueError, KeyError, EOFError) as exc:
        if isinstance(exc, SnapshotError):
            raise
        raise SnapshotError(f"the snapshot cannot be read: {exc}") from exc


def _layout() -> str:
    """Every table's fields, in order: a snapshot of another layout is not read."""
    return ";".join(
        f"{name}:{','.join(column.name for column in fields(table))}"
        for name, table in _TABLES.items()
    )


def _columns(parts: Mapping[str, npt.NDArray[Any]]) -> Columns:
    tables: dict[str, Any] = {}
    for name, table_type in _TABLES.items():
        values: dict[str, Any] = {}
        for column in fields(table_type):
            prefix = f"{name}.{column.name}"
            if f"{prefix}.codes" in parts:
                labels = tuple(str(text) for text in _untexts(parts, f"{prefix}.values"))
                values[column.name] = Labels(parts[f"{prefix}.codes"], labels)
            elif f"{prefix}.array" in parts:
                values[column.name] = parts[f"{prefix}.array"]
            elif (name, column.name) in _DECIMALS:
                texts = _untexts(parts, f"{prefix}.text")
                values[column.name] = [None if t is None else Decimal(t) for t in texts]
            else:
                values[column.name] = _untexts(parts, f"{prefix}.text")
        tables[name] = table_type(**values)
    return Columns(**tables)


def _texts(prefix: str, texts: Sequence[str | None]) -> dict[str, npt.NDArray[Any]]:
    """Text as UTF-8 bytes joined by U+001F, or with each value's length when one holds it."""
    unset = np.fromiter(map(operator.is_, texts, repeat(None)), dtype=np.bool_, count=len(texts))
    plain = ["" if text is None else text for text in texts]
    joined = _SEPARATOR.join(plain)
    if joined.count(_SEPARATOR) == max(len(plain) - 1, 0):
        return {
            f"{prefix}.joined": np.frombuffer(joined.encode(), dtype=np.uint8),
            f"{prefix}.count": np.array([len(plain)], dtype=np.int64),
            f"{prefix}.unset": unset,
        }
    encoded = [text.encode() for text in plain]
    return {
        f"{prefix}.bytes": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        f"{prefix}.lengths": np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)),
        f"{prefix}.unset": unset,
    }


def _untexts(parts: Mapping[str, npt.NDArray[Any]], prefix: str) -> list[str | None]:
    values: list[str | None]
    if f"{prefix}.joined" in parts:
        count = int(parts[f"{prefix}.count"][0])
        values = [*parts[f"{prefix}.joined"].tobytes().decode().split(_SEPARATOR)] if count else []
    else:
        blob = parts[f"{prefix}.bytes"].tobytes()
        ends = np.cumsum(parts[f"{prefix}.lengths"]).tolist()
        starts = [0, *ends[:-1]] if ends else []
        values = [blob[start:end].decode() for start, end in zip(starts, ends, strict=True)]
    for at in np.flatnonzero(parts[f"{prefix}.unset"]).tolist():
        values[at] = None
    return values


def merge(base: Columns, changes: Columns, changed: Mapping[str, Keys]) -> Columns:
    """`base` with the records of `changed` keys replaced by `changes` (their live versions).

    `changes` holds every live record among the changed keys, and nothing else.
    """
    merged: dict[str, Any] = {}
    moved: dict[str, tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]] = {}
    for name, kind in _KIND.items():
        table, old, new = _merge_table(
            getattr(base, name), getattr(changes, name), changed.get(kind, set())
        )
        merged[name] = table
        moved[name] = (old, new)
    merged["visits"] = _merge_children(base.visits, changes.visits, *moved["deals"])
    merged["versions"] = _merge_children(base.versions, changes.versions, *moved["deals"])
    return replace(base, **merged)


def _merge_table(
    base: Keyed, changes: Keyed, changed: Keys
) -> tuple[Keyed, npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """The merged table, and where each base record and each changed record went (-1: gone)."""
    if not changed and not len(changes):
        return base, np.arange(len(base), dtype=np.intp), np.zeros(0, dtype=np.intp)
    base_keys = record_keys(base.source, base.id)
    kept = np.fromiter(
        (key not in changed for key in base_keys), dtype=np.bool_, count=len(base_keys)
    )
    kept_at = np.flatnonzero(kept)
    keys = [base_keys[at] for at in kept_at.tolist()] + record_keys(changes.source, changes.id)
    # both runs are sorted already: this sort only merges them
    order = np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.intp)
    position = np.empty(len(keys), dtype=np.intp)
    position[order] = np.arange(len(keys))
    old = np.full(len(base_keys), -1, dtype=np.intp)
    old[kept_at] = position[: len(kept_at)]
    new = position[len(kept_at) :]
    table = take(concat(take(base, kept_at), changes), order)
    return table, old, new


def _merge_children(
    base: Child,
    changes: Child,
    old: npt.NDArray[np.intp],
    new: npt.NDArray[np.intp],
) -> Child:
    """The visits (or versions) of kept deals and of changed deals, by their deals' new
    positions."""
    base_deal = old[base.deal] if len(base) else np.zeros(0, dtype=np.intp)
    kept_at = np.flatnonzero(base_deal >= 0)
    deal = np.concatenate([base_deal[kept_at], new[changes.deal] if len(changes) else []])
    children = concat(take(base, kept_at), changes)
    # stable: a deal's rows all come from one side, already in their order
    order = np.argsort(deal, kind="stable")
    return replace(take(children, order), deal=deal[order].astype(np.int32))
