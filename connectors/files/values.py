"""Cell values of the CSV export format: one parser per value type, and typed access to a row.

A parser takes a non-empty, stripped cell and returns its value or raises `ValueError` with
the reason, which `Row` turns into a `BadValue` naming the column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

T = TypeVar("T")

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_WHOLE = re.compile(r"[+-]?\d+")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


class BadRow(ValueError):
    """A CSV row that cannot become a record; the message says why."""


class BadValue(BadRow):
    """A cell that is not a valid value of its column."""

    def __init__(self, column: str, reason: str) -> None:
        self.column = column
        self.reason = reason
        super().__init__(f"{column}: {reason}")


def text(value: str) -> str:
    return value


def lowercase(value: str) -> str:
    return value.lower()


def instant(value: str) -> datetime:
    """An ISO-8601 timestamp with a UTC offset (`Z` counts as one)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO-8601 timestamp") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"{value!r} has no UTC offset (write it like 2026-10-01T09:30:00+02:00)")
    return parsed


def amount(value: str) -> Decimal:
    """A plain decimal number: digits, an optional sign and `.` as the decimal point."""
    if not _DECIMAL.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a plain decimal number "
            "(digits with '.' for decimals and no thousands separators, e.g. 1234.50)"
        )
    return Decimal(value)


def number(value: str) -> float:
    if not _DECIMAL.fullmatch(value):
        raise ValueError(f"{value!r} is not a plain decimal number (e.g. 0.25)")
    return float(value)


def whole(value: str) -> int:
    if not _WHOLE.fullmatch(value):
        raise ValueError(f"{value!r} is not a whole number")
    return int(value)


def flag(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a boolean (true/false, 1/0 or yes/no)")


class Row:
    """One CSV row by column name. An empty cell is None; a bad cell raises `BadValue`."""

    __slots__ = ("cells",)

    def __init__(self, cells: Mapping[str, str]) -> None:
        self.cells = cells

    def get(self, column: str, parse: Callable[[str], T]) -> T | None:
        value = self.cells.get(column)
        if not value or not (value := value.strip()):
            return None
        try:
            return parse(value)
        except ValueError as error:
            raise BadValue(column, str(error)) from None

    def need(self, column: str, parse: Callable[[str], T]) -> T:
        value = self.get(column, parse)
        if value is None:
            raise BadValue(column, "is required")
        return value
