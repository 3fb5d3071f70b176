"""What the reports share to work on deal columns: local days, owner names, currencies, list
order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TypeAlias
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from kpis.columns import NO_LABEL, DealColumns, Instants, instant_of
from kpis.dataset import Dataset
from kpis.segments import label

Positions: TypeAlias = npt.NDArray[np.intp]
Days: TypeAlias = npt.NDArray[np.int64]
"""Local calendar days, as days since 1970-01-01."""

DAY = 86_400_000_000
"""A day in microseconds."""
_MICROSECOND = timedelta(microseconds=1)


def local_days(instants: Instants, tz: ZoneInfo) -> Days:
    """The local calendar day of each instant in `tz`, as days since 1970-01-01.

    The day of `local_date`, computed on columns: the UTC offset is looked up at both ends of
    each UTC day the instants fall on. A day whose two offsets differ has a change of offset
    in it, so its instants are looked up one by one; one whose offsets agree has none, as no
    zone changes its offset twice within a day (the time zone database's changes are days
    apart).
    """
    utc_days, at_day = np.unique(instants // DAY, return_inverse=True)
    starts = [_offset(day * DAY, tz) for day in utc_days.tolist()]
    ends = [_offset((day + 1) * DAY - 1, tz) for day in utc_days.tolist()]
    offsets = np.array(starts, dtype=np.int64)[at_day]
    changing = np.array(starts, dtype=np.int64) != np.array(ends, dtype=np.int64)
    for at in np.flatnonzero(changing[at_day]).tolist():
        offsets[at] = _offset(int(instants[at]), tz)
    days: Days = (instants + offsets) // DAY
    return days


def _offset(instant: int, tz: ZoneInfo) -> int:
    """The UTC offset of `tz` at `instant`, in microseconds."""
    offset = instant_of(instant).astimezone(tz).utcoffset()
    assert offset is not None
    return offset // _MICROSECOND


def as_dates(days: Days) -> list[date]:
    """The dates of days since 1970-01-01."""
    dates: list[date] = days.astype("datetime64[D]").tolist()
    return dates


def owner_labels(data: Dataset, deals: DealColumns, positions: Positions) -> list[str]:
    """The owner's display name of the deals at `positions`, as the KPI segments show it
    (`(none)` for no owner), looked up once per distinct owner."""
    found: dict[tuple[int, int], str] = {}
    labels = []
    for key in zip(
        deals.source.codes[positions].tolist(),
        deals.owner_id.codes[positions].tolist(),
        strict=True,
    ):
        text = found.get(key)
        if text is None:
            source, owner = key
            owner_id = None if owner == NO_LABEL else deals.owner_id.values[owner]
            text = found[key] = label(data.owner_name(deals.source.values[source], owner_id))
        labels.append(text)
    return labels


def deal_currencies(deals: DealColumns, positions: Positions, reporting: str) -> list[str]:
    """The currency of the deals at `positions` as the CRM gives it; a deal with none is in
    the reporting currency, as the by-currency table counts it."""
    lookup = [*deals.currency.values, reporting]  # NO_LABEL (-1) is the last entry
    return [lookup[code] for code in deals.currency.codes[positions].tolist()]


def order_by(keys: npt.NDArray[np.int64], ids: Sequence[str]) -> Positions:
    """The order that sorts records by `keys`, then by `ids`; ties in both keep their order.

    Two stable sorts, by id and then by key, rather than one on `(key, id)` tuples: millions
    of live records make every burst of new tuples set off costly garbage collections.
    """
    by_id = np.array(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.intp)
    by_key: Positions = by_id[np.argsort(keys[by_id], kind="stable")]
    return by_key
