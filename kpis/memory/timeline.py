"""Every deal's states over its life, from its recorded versions (`docs/kpis.md`, The
pipeline's memory): the one reading of the versions that the pipeline as of a date, the
pipeline changes and the forecast backtest share.

A deal's life, from its `created_at` on, is cut into stretches, each with the fields of one
state (a version, or the deal's present fields when it has none) and a status:

- a recorded stretch per version, from its `valid_from` (not before the deal was created)
  to the next version's. A version that closes the deal starts at the deal's `closed_at`
  where that falls within the version before it, since a sync sees a close only after it
  happened: the close is then in the period it happened in, as every other KPI counts it;
- before the first version (from the creation, or over the whole life of a deal with no
  versions) a reconstructed stretch with the first version's fields, open until that
  version's `closed_at` when the first version is closed, and closed from it.

So a deal's stretches cover `[created_at, forever)` without gaps. A state is read at an
instant `t` as the stretch with `start <= t < end`: a change at `t` is in effect at `t`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import numpy as np
import numpy.typing as npt

from kpis.columns import (
    MISSING,
    Codes,
    Columns,
    DealColumns,
    Instants,
    Labels,
    VersionColumns,
    concat,
)
from kpis.money import CENT, ROUNDING, Converter

FOREVER: Final = int(np.iinfo(np.int64).max)
"""The end of a stretch that still lasts."""

OPEN, WON, LOST = 0, 1, 2
"""Status codes of a stretch."""
_STATUS_CODE = {"open": OPEN, "won": WON, "lost": LOST}


@dataclass(frozen=True)
class Timeline:
    """The stretches of every deal of a `Columns`, by deal, then start.

    `row` is the position in `states` of the fields that hold over the stretch: the deals'
    versions first (`Columns.versions`, in their order), then one state per deal without
    versions, made of its present fields. `status` is `OPEN`, `WON` or `LOST`; `recorded`
    is False for a reconstructed stretch. `recorded_since` is, per deal, the `valid_from` of
    its first version, `MISSING` for a deal with none.
    """

    deal: Codes
    start: Instants
    end: Instants
    row: npt.NDArray[np.intp]
    status: npt.NDArray[np.int8]
    recorded: npt.NDArray[np.bool_]
    states: VersionColumns
    recorded_since: Instants

    @classmethod
    def of(cls, columns: Columns) -> Timeline:
        return _build(columns.deals, columns.versions)

    def __len__(self) -> int:
        return len(self.deal)

    def at(self, instant: int) -> npt.NDArray[np.intp]:
        """The stretch in effect at `instant` (microseconds) of each deal created by then,
        in deal order: a deal created after `instant` has none."""
        found: npt.NDArray[np.intp] = np.flatnonzero((self.start <= instant) & (instant < self.end))
        return found

    def pipeline_at(self, instant: int) -> npt.NDArray[np.intp]:
        """The pipeline as of `instant` (`docs/kpis.md`): of each deal created before it and
        not closed before it, the stretch in effect at it, in deal order.

        That is a deal whose open run began before `instant` and had not ended before it: its
        stretch at `instant` is open and began earlier, or began at `instant` itself after an
        open stretch (a change of amount, or the close, at that very instant). A deal created,
        or reopened, at `instant` is not in it: it is created in the period that starts then.
        """
        found = self.at(instant)
        starts = self.start[found]
        previous = found - 1
        continues = (
            (previous >= 0)
            & (self.deal[np.maximum(previous, 0)] == self.deal[found])
            & (self.status[np.maximum(previous, 0)] == OPEN)
            & (starts == instant)
        )
        kept: npt.NDArray[np.intp] = found[
            ((self.status[found] == OPEN) & (starts < instant)) | continues
        ]
        return kept

    def cents(self, converter: Converter) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """Each state's amount in the reporting currency, in whole cents, and whether it has
        one (a state without an amount holds 0).

        Each amount is converted and rounded to the cent on its own (`kpis.money`), so that
        sums of them are exact and the pipeline changes add up to the cent.
        """
        return _cents(self.states, converter)


def _status_codes(status: Labels) -> npt.NDArray[np.int8]:
    lookup = np.array([_STATUS_CODE[value] for value in status.values] + [OPEN], dtype=np.int8)
    found: npt.NDArray[np.int8] = lookup[status.codes]
    return found


def present_states(deals: DealColumns, positions: npt.NDArray[np.intp]) -> VersionColumns:
    """The present fields of the deals at `positions`, as versions that never started."""
    at = positions.tolist()

    def labels(column: Labels) -> Labels:
        return Labels(column.codes[positions], column.values)

    return VersionColumns(
        deal=positions.astype(np.int32),
        valid_from=np.full(len(at), MISSING, dtype=np.int64),
        valid_to=np.full(len(at), MISSING, dtype=np.int64),
        pipeline_id=labels(deals.pipeline_id),
        stage_id=labels(deals.stage_id),
        status=labels(deals.status),
        amount=[deals.amount[i] for i in at],
        currency=labels(deals.currency),
        owner_id=labels(deals.owner_id),
        closed_at=deals.closed_at[positions],
        expected_close_at=deals.expected_close_at[positions],
        probability=deals.probability[positions],
    )


def took_effect(versions: VersionColumns) -> Instants:
    """When each version took effect: its `valid_from`, or the close it records (as the
    module's docstring says), where its recorded stretch starts unless the deal was created
    later."""
    deal = versions.deal
    status = _status_codes(versions.status)
    starts = versions.valid_from.copy()
    previous_open = np.zeros(len(versions), dtype=np.bool_)
    previous_open[1:] = (deal[1:] == deal[:-1]) & (status[:-1] == OPEN)
    closed_at = versions.closed_at
    closing = previous_open & (status != OPEN) & (closed_at != MISSING)
    at = np.flatnonzero(closing)
    starts[at] = np.clip(closed_at[at], starts[at - 1], starts[at])
    return starts


def _build(deals: DealColumns, versions: VersionColumns) -> Timeline:
    count = len(deals)
    deal = versions.deal.astype(np.intp)
    has_versions = np.zeros(count, dtype=np.bool_)
    has_versions[deal] = True
    states = concat(versions, present_states(deals, np.flatnonzero(~has_versions)))
    status = _status_codes(states.status)
    created = deals.created_at

    # the first state of each deal, and when its recorded part begins
    first_row = np.empty(count, dtype=np.intp)
    recorded_since = np.full(count, MISSING, dtype=np.int64)
    rows = np.arange(len(states), dtype=np.intp)
    is_first = np.ones(len(versions), dtype=np.bool_)
    is_first[1:] = deal[1:] != deal[:-1]
    first_row[deal[is_first]] = rows[: len(versions)][is_first]
    recorded_since[deal[is_first]] = versions.valid_from[is_first]
    first_row[states.deal[len(versions) :]] = rows[len(versions) :]

    # recorded stretches: one per version, from when it took effect
    starts = took_effect(versions)
    # a version lasts until the next one of its deal starts; a deal's last one, for ever
    ends = np.full(len(versions), FOREVER, dtype=np.int64)
    ends[:-1] = np.where(is_first[1:], FOREVER, starts[1:])
    starts = np.maximum(starts, created[deal])

    # reconstructed stretches: before the first version, open until its close
    begin = np.where(recorded_since == MISSING, FOREVER, np.maximum(recorded_since, created))
    first_status = status[first_row]
    first_close = states.closed_at[first_row]
    closes_before = (first_status != OPEN) & (first_close != MISSING) & (first_close < begin)
    close = np.where(closes_before, np.maximum(first_close, created), begin)
    everyone = np.arange(count, dtype=np.intp)

    parts = [
        (deal, starts, ends, rows[: len(versions)], status[: len(versions)], True),
        (everyone, created, close, first_row, np.full(count, OPEN, dtype=np.int8), False),
        (everyone, close, begin, first_row, first_status, False),
    ]
    d = np.concatenate([p[0] for p in parts])
    s = np.concatenate([p[1] for p in parts])
    e = np.concatenate([p[2] for p in parts])
    r = np.concatenate([p[3] for p in parts])
    st = np.concatenate([p[4] for p in parts]).astype(np.int8)
    rec = np.concatenate([np.full(len(p[0]), p[5], dtype=np.bool_) for p in parts])
    keep = s < e
    order = np.flatnonzero(keep)[np.lexsort((s[keep], d[keep]))]
    return Timeline(
        deal=d[order].astype(np.int32),
        start=s[order],
        end=e[order],
        row=r[order],
        status=st[order],
        recorded=rec[order],
        states=states,
        recorded_since=recorded_since,
    )


def _cents(
    states: VersionColumns, converter: Converter
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    rates = [converter.rate(code) for code in states.currency.values]
    rates.append(Decimal(1))  # NO_LABEL: no currency is the reporting currency
    codes = states.currency.codes.tolist()
    cents = np.zeros(len(states), dtype=np.int64)
    has = np.zeros(len(states), dtype=np.bool_)
    for at, (amount, code) in enumerate(zip(states.amount, codes, strict=True)):
        if amount is None:
            continue
        rate = rates[code]
        if rate is None:
            # `kpis.money.check_currencies` names the deal before any KPI is computed
            raise ValueError(f"no exchange rate for {states.currency.at(at)}")
        cents[at] = int((amount * rate).quantize(CENT, rounding=ROUNDING) / CENT)
        has[at] = True
    return cents, has
