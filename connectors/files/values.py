"""Cell values of the CSV export format: one parser per value type, and typed access to a row.

A parser takes a non-empty, stripped cell and the file's `Style`, and returns its value or
raises `ValueError` with the reason, which `Row` turns into a `BadValue` naming the column.
Numbers and dates are read in the forms spreadsheets write them in, where the form is
unambiguous (docs/files-format.md, Values).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from typing import TypeVar

T = TypeVar("T")

_GROUPED = {mark: re.compile(rf"[1-9]\d{{0,2}}(?:\{mark}\d{{3}})+") for mark in ".,"}
_WHOLE = re.compile(r"[+-]?\d+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DOTTED = re.compile(
    r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})"
    r"(?:[ T](?P<time>\d{1,2}:\d{2}(?::\d{2})?)\s*(?P<offset>Z|[+-]\d{2}:?\d{2})?)?"
)
_SLASHED = re.compile(r"\d{1,4}/\d{1,2}/\d{1,4}\b")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_DATE_FORMS = "2026-10-31 or 31.10.2026"
_TIME_FORMS = "2026-10-31T14:05:00+01:00 or 31.10.2026 14:05+01:00"


@dataclass(frozen=True, slots=True)
class Style:
    """What a file's values mean beyond their text.

    `decimal_comma`: the file is `;`-separated, as spreadsheets write it where the comma is
    the decimal mark, so `1,5` is one and a half. `zone`: the reporting time zone, in which a
    date without a time is the start of that day; None refuses such dates.
    """

    decimal_comma: bool = False
    zone: tzinfo | None = None


class BadRow(ValueError):
    """A CSV row that cannot become a record; the message says why."""


class BadValue(BadRow):
    """A cell that is not a valid value of its column."""

    def __init__(self, column: str, reason: str) -> None:
        self.column = column
        self.reason = reason
        super().__init__(f"{column}: {reason}")


def text(value: str, style: Style) -> str:
    return value


def lowercase(value: str, style: Style) -> str:
    return value.lower()


def instant(value: str, style: Style) -> datetime:
    """A timestamp with a UTC offset, or a date alone (the start of that day in `style.zone`).

    ISO-8601 (`2026-10-31T14:05:00+01:00`, `2026-10-31`) or day.month.year
    (`31.10.2026 14:05+01:00`, `31.10.2026`). A time without an offset is refused: the export
    does not say which zone its clock read, and a guess would move records between periods.
    """
    try:
        parsed: datetime | None = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    # the common case, ISO-8601 with an offset, takes no pattern matching
    if parsed is not None and parsed.utcoffset() is not None:
        return parsed
    if _SLASHED.match(value):
        raise ValueError(
            f"{value!r} is ambiguous (day/month or month/day?); dates are read as {_DATE_FORMS}"
        )
    iso = _iso(value)
    if _ISO_DATE.fullmatch(iso):
        return _start_of_day(value, iso, style)
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a timestamp (write {_TIME_FORMS}, or the date alone)"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(
            f"{value!r} has no UTC offset (write it like {_TIME_FORMS}, or the date alone)"
        )
    return parsed


def _iso(value: str) -> str:
    """A day.month.year value rewritten in ISO-8601; any other value as it is."""
    dotted = _DOTTED.fullmatch(value)
    if dotted is None:
        return value
    day = f"{dotted['year']}-{int(dotted['month']):02d}-{int(dotted['day']):02d}"
    if dotted["time"] is None:
        return day
    hour, rest = dotted["time"].split(":", 1)
    return f"{day}T{int(hour):02d}:{rest}{dotted['offset'] or ''}"


def _start_of_day(value: str, iso: str, style: Style) -> datetime:
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        raise ValueError(f"{value!r} is not a date") from None
    if style.zone is None:
        raise ValueError(
            f"{value!r} is a date without a time, and no reporting time zone was given to "
            "place it in (write it like 2026-10-31T00:00:00+01:00)"
        )
    return datetime.combine(day, time(), tzinfo=style.zone)


def amount(value: str, style: Style) -> Decimal:
    """A decimal number: `1234.50`, `1234,50`, or with thousands grouped, `1.234,50`."""
    return Decimal(_plain(value, style))


def number(value: str, style: Style) -> float:
    return float(_plain(value, style))


def _plain(value: str, style: Style) -> str:
    """`value` as a plain decimal (`-1234.50`), or a ValueError naming the forms read.

    With both marks, the last is the decimal mark and the other groups thousands; one mark
    repeated groups thousands. A single mark is the decimal mark, except where it could group
    thousands (`1,234`, `1.234`): then only the file's own decimal mark is (`,` in a
    `;`-separated file, `.` in any other), and the other is refused as ambiguous.
    """
    sign, body = (value[0], value[1:]) if value[:1] in "+-" else ("", value)
    marks = [char for char in body if char in ".,"]
    if not any(char.isdigit() for char in body) or body.strip("0123456789.,"):
        raise _not_a_number(value)
    if not marks:
        return sign + body
    mark = marks[-1]
    if len(set(marks)) == 2:
        integer, fraction = body.rsplit(mark, 1)
        other = "," if mark == "." else "."
        if marks.count(mark) > 1 or not fraction or not _GROUPED[other].fullmatch(integer):
            raise _not_a_number(value)
        integer = integer.replace(other, "")
    elif len(marks) > 1:
        if not _GROUPED[mark].fullmatch(body):
            raise _not_a_number(value)
        integer, fraction = body.replace(mark, ""), ""
    else:
        integer, fraction = body.split(mark)
        decimal_mark = "," if style.decimal_comma else "."
        if mark != decimal_mark and _GROUPED[mark].fullmatch(body):
            thousands, decimal = f"{sign}{integer}{fraction}", f"{sign}{integer}.{fraction}"
            raise ValueError(
                f"{value!r} is ambiguous ({thousands} or {decimal}?); write "
                f"{thousands} or {sign}{integer}{decimal_mark}{fraction}"
            )
    return f"{sign}{integer or '0'}.{fraction}" if fraction else f"{sign}{integer}"


def _not_a_number(value: str) -> ValueError:
    return ValueError(f"{value!r} is not a number (write 1234.50, 1234,50 or 1.234,50)")


def whole(value: str, style: Style) -> int:
    if not _WHOLE.fullmatch(value):
        raise ValueError(f"{value!r} is not a whole number")
    return int(value)


def flag(value: str, style: Style) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a boolean (true/false, 1/0 or yes/no)")


class Row:
    """One CSV row by column name. An empty cell is None; a bad cell raises `BadValue`."""

    __slots__ = ("cells", "style")

    def __init__(self, cells: Mapping[str, str], style: Style | None = None) -> None:
        self.cells = cells
        self.style = style or Style()

    def get(self, column: str, parse: Callable[[str, Style], T]) -> T | None:
        value = self.cells.get(column)
        if not value or not (value := value.strip()):
            return None
        try:
            return parse(value, self.style)
        except ValueError as error:
            raise BadValue(column, str(error)) from None

    def need(self, column: str, parse: Callable[[str, Style], T]) -> T:
        value = self.get(column, parse)
        if value is None:
            raise BadValue(column, "is required")
        return value
