"""The store as of an instant: what it knew then (`docs/kpis.md`, As of a date).

`as_of(data, t)` keeps the records that existed at `t`, each as it was at `t`:

- a deal created after `t` is dropped; every other deal's versioned fields (pipeline, stage,
  status, amount, currency, owner, close date, expected close date, probability) are its
  state at `t` on its timeline (`Timeline.at`), and a deal open at `t` has no close date.
  Its other fields (name, contact, lead source, kind, lost reason, campaign) have no
  recorded history and stay as they are;
- a version that took effect after `t` is dropped, and the one in effect at `t` still holds
  (no `valid_to`). A closing version takes effect at the close it records (`took_effect`):
  one the sync saw only after `t` but whose close is by `t` is kept, from that close;
- a stage visit entered after `t` is dropped, one left after `t` is still going on;
- a ticket created after `t` is dropped, one closed after `t` is open;
- a contact created after `t` is dropped, one churned after `t` has not churned;
- a list event and a survey answer after `t` are dropped.

A change at `t` is in effect at `t`, as on the timeline. So `as_of(as_of(x, t2), t1)` is
`as_of(x, t1)` for `t1 <= t2`, and `as_of` at an instant after every change is `x` itself.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from kpis.columns import (
    MISSING,
    Codes,
    Columns,
    ContactColumns,
    DealColumns,
    Instants,
    Labels,
    TicketColumns,
    VersionColumns,
    VisitColumns,
    micros,
    take,
)
from kpis.dataset import Dataset
from kpis.memory.timeline import OPEN, Timeline, took_effect

Data = TypeVar("Data", Columns, Dataset)


def as_of(data: Data, instant: datetime) -> Data:
    """What `data` knew at `instant` (an aware datetime): its records as of then.

    A dataset keeps its owners, stages and `recorded_since`; only its records change.
    """
    if isinstance(data, Dataset):
        return Dataset.of_columns(
            data.owners,
            data.stages,
            as_of(data.columns, instant),
            recorded_since=data.recorded_since,
        )
    t = micros(instant)
    timeline = Timeline.of(data)
    in_effect = timeline.at(t)
    kept = timeline.deal[in_effect].astype(np.intp)
    # each kept deal's new position; -1 for a dropped one
    number = np.full(len(data.deals), -1, dtype=np.int32)
    number[kept] = np.arange(len(kept), dtype=np.int32)
    return Columns(
        contacts=_contacts(data.contacts, t),
        deals=_deals(data.deals, timeline, in_effect, kept),
        visits=_visits(data.visits, number, t),
        versions=_versions(data.versions, number, t),
        tickets=_tickets(data.tickets, t),
        subscriptions=take(data.subscriptions, np.flatnonzero(data.subscriptions.at <= t)),
        surveys=take(data.surveys, np.flatnonzero(data.surveys.submitted_at <= t)),
    )


def _undone(instants: Instants, t: int) -> Instants:
    """`instants`, unset where after `t` (`MISSING` is before every instant)."""
    undone: Instants = np.where(instants > t, MISSING, instants)
    return undone


def _deals(
    deals: DealColumns,
    timeline: Timeline,
    in_effect: npt.NDArray[np.intp],
    kept: npt.NDArray[np.intp],
) -> DealColumns:
    """The `kept` deals, each with the fields of its stretch `in_effect`."""
    state = take(timeline.states, timeline.row[in_effect])
    is_open = timeline.status[in_effect] == OPEN
    # a reconstructed stretch before the close has the closed state's fields: the stretch,
    # not the state, says whether the deal was open
    values = state.status.values
    if "open" not in values:
        values = (*values, "open")
    status = Labels(
        np.where(is_open, values.index("open"), state.status.codes).astype(np.int32), values
    )
    # a closed deal has a close date (`connectors.schema.Deal`); the timeline dates a
    # closing state without one at the start of its stretch
    closed_at = np.where(state.closed_at == MISSING, timeline.start[in_effect], state.closed_at)
    return replace(
        take(deals, kept),
        pipeline_id=state.pipeline_id,
        stage_id=state.stage_id,
        status=status,
        amount=state.amount,
        currency=state.currency,
        owner_id=state.owner_id,
        closed_at=np.where(is_open, MISSING, closed_at),
        expected_close_at=state.expected_close_at,
        probability=state.probability,
    )


def _versions(versions: VersionColumns, number: Codes, t: int) -> VersionColumns:
    """The versions in effect by `t` of the kept deals, the last of each deal still holding."""
    starts = took_effect(versions)
    at = np.flatnonzero((starts <= t) & (number[versions.deal] >= 0))
    kept = take(versions, at)
    valid_from = np.where(kept.valid_from > t, starts[at], kept.valid_from)
    deal = number[kept.deal]
    valid_to = np.full(len(at), MISSING, dtype=np.int64)
    # a deal's versions are a run, and those in effect by `t` its first ones (they take
    # effect in order), so each but the last of a deal ends where the next one starts
    follows = deal[1:] == deal[:-1]
    valid_to[:-1] = np.where(follows, valid_from[1:], MISSING)
    return replace(kept, deal=deal, valid_from=valid_from, valid_to=valid_to)


def _visits(visits: VisitColumns, number: Codes, t: int) -> VisitColumns:
    """The stage visits of the kept deals entered by `t`; those left after it, not left."""
    kept = take(visits, np.flatnonzero((visits.entered_at <= t) & (number[visits.deal] >= 0)))
    return replace(kept, deal=number[kept.deal], exited_at=_undone(kept.exited_at, t))


def _contacts(contacts: ContactColumns, t: int) -> ContactColumns:
    kept = take(contacts, np.flatnonzero(contacts.created_at <= t))
    return replace(kept, churned_at=_undone(kept.churned_at, t))


def _tickets(tickets: TicketColumns, t: int) -> TicketColumns:
    kept = take(tickets, np.flatnonzero(tickets.created_at <= t))
    return replace(kept, closed_at=_undone(kept.closed_at, t))
