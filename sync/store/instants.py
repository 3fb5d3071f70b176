"""Parsing a column of `utc_text` instants, concatenated, in one vectorized step.

`utc_text` writes every instant in one fixed layout, `2026-10-01T09:30:00.000000+00:00`, so
a column of them is a matrix of characters whose digits numpy turns into numbers at once.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kpis.columns import MISSING, Instants, micros
from sync.store.tables import parse_utc

_WIDTH = len("2026-10-01T09:30:00.000000+00:00")
UNSET = " " * _WIDTH
_DIGITS = {"year": (0, 4), "month": (5, 7), "day": (8, 10), "hour": (11, 13)}
_DIGITS |= {"minute": (14, 16), "second": (17, 19), "micro": (20, 26)}
_LAYOUT = {4: "-", 7: "-", 10: "T", 13: ":", 16: ":", 19: ".", 26: "+", 27: "0", 28: "0"}
_LAYOUT |= {29: ":", 30: "0", 31: "0"}


def parse_instants(text: str, count: int) -> Instants:
    """Microseconds since the epoch of `count` concatenated `utc_text` instants.

    A run of spaces is `MISSING`. Anything else not in `utc_text`'s exact layout is parsed
    one instant at a time, so an odd value is still read right, only slower.
    """
    raw = np.frombuffer(text.encode("ascii", "replace"), dtype=np.uint8)
    if len(raw) != count * _WIDTH:
        raise ValueError(f"{len(text)} characters do not hold {count} instants")
    table = raw.reshape(count, _WIDTH)
    unset = np.all(table == ord(" "), axis=1)
    # uint8 wraps around below "0", so one comparison tells every non-digit
    digits = np.all(table[:, _DIGIT_AT] - np.uint8(ord("0")) <= 9, axis=1)
    laid_out = np.all(table[:, list(_LAYOUT)] == _LAYOUT_BYTES, axis=1)
    if not np.all(unset | (digits & laid_out)):
        return _parse_each(text, count)
    number = {name: _number(table, first, stop) for name, (first, stop) in _DIGITS.items()}
    days = _days_from_civil(number["year"], number["month"], number["day"])
    seconds = ((days * 24 + number["hour"]) * 60 + number["minute"]) * 60 + number["second"]
    micros: Instants = seconds * 1_000_000 + number["micro"]
    micros[unset] = MISSING
    return micros


_DIGIT_AT = [at for at in range(_WIDTH) if at not in _LAYOUT]
_LAYOUT_BYTES = np.array([ord(char) for char in _LAYOUT.values()], dtype=np.uint8)


def _number(table: npt.NDArray[np.uint8], first: int, stop: int) -> npt.NDArray[np.int64]:
    """The number written by the characters `first:stop` of each instant (spaces read as 0)."""
    number = np.zeros(len(table), dtype=np.int64)
    for at in range(first, stop):
        number *= 10
        number += np.maximum(table[:, at], ord("0")) - ord("0")
    return number


def _parse_each(text: str, count: int) -> Instants:
    chunks = (text[at * _WIDTH : (at + 1) * _WIDTH] for at in range(count))
    return np.fromiter(
        (MISSING if chunk == UNSET else micros(parse_utc(chunk)) for chunk in chunks),
        dtype=np.int64,
        count=count,
    )


def _days_from_civil(
    year: npt.NDArray[np.int64], month: npt.NDArray[np.int64], day: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's `days_from_civil`)."""
    shifted = year - (month <= 2)
    era = shifted // 400
    year_of_era = shifted - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days: npt.NDArray[np.int64] = era * 146_097 + day_of_era - 719_468
    return days
