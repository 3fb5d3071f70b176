"""A deal's close date and stage history, which ActiveCampaign does not keep as fields.

Deals have no won/lost date and no stage history (https://developers.activecampaign.com/reference/deal:
the deal has `cdate` and `mdate` only). Three sources, best first:

1. The deal's activity log (`GET /api/3/dealActivities`), where it shows stage and status
   changes. Its encoding is not documented; two are known from public clients and both are
   read: `dataType` `d_stageid` with the old stage in `dataOldval` and the new one in
   `dataAction` (or the activity's `d_stageid`), and `dataType` `status` with the new status
   code in `dataAction` (pcstrategyandopsco/activecampaignr `R/deal-activities.R`).
2. What the sync saw before: the stored deal. A stage or status that differs from it is a
   change observed now, dated by the deal's `mdate`, the closest instant the API gives.
3. Neither: a deal seen for the first time that is already closed closed at its `mdate` (its
   last modification). A deal in the first stage of its pipeline has been there since it was
   created; in any later stage, when it got there is unknown, so it has no visit until the
   sync sees it move (a visit from its creation would be counted as days in that stage).

A close ends the visit of the stage the deal was in, so the time a won deal spent in its last
stage counts like any other; a deal reopened enters its stage again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from connectors.activecampaign.values import STATUSES, BadValue, instant, ref, text
from connectors.schema import Deal, DealStatus, StageVisit

STAGE_TYPES = frozenset({"d_stageid", "stage"})
STATUS_TYPES = frozenset({"status"})


@dataclass(frozen=True, slots=True)
class Change:
    """A stage move (`stage` entered, from `left_stage` if known) or a status change."""

    deal_id: str
    at: datetime
    stage: str | None = None
    left_stage: str | None = None
    status: DealStatus | None = None


def change_of(activity: Mapping[str, Any], zone: tzinfo) -> Change | None:
    """The stage or status change an activity records; None for any other activity."""
    try:
        kind = (text(activity, "dataType") or "").lower()
        if kind not in STAGE_TYPES | STATUS_TYPES or text(activity, "deleted") == "1":
            return None
        deal_id = ref(activity, "d_id") or ref(activity, "deal")
        at = instant(activity, "cdate", zone) or instant(activity, "sortdate", zone)
        action = text(activity, "dataAction")
    except BadValue:
        return None
    if deal_id is None or at is None:
        return None
    if kind in STATUS_TYPES:
        status = STATUSES.get((action or "").lower())
        return None if status is None else Change(deal_id, at, status=status)
    stage = action if action and action.isdigit() and action != "0" else ref(activity, "d_stageid")
    if stage is None:
        return None
    old = text(activity, "dataOldval")
    left = old if old and old.isdigit() and old != "0" else None
    return Change(deal_id, at, stage=stage, left_stage=left)


@dataclass(frozen=True, slots=True)
class DealState:
    """What the deal says now."""

    stage_id: str
    status: DealStatus
    created_at: datetime
    modified_at: datetime
    first_stage: bool = False


@dataclass(frozen=True, slots=True)
class Timeline:
    closed_at: datetime | None
    visits: tuple[StageVisit, ...]


def timeline(now: DealState, changes: Sequence[Change], previous: Deal | None) -> Timeline:
    """The close date and the stage visits, from the activities, else the stored deal, else now."""
    modified = max(now.modified_at, now.created_at)
    moves = sorted((c for c in changes if c.stage is not None), key=lambda c: c.at)
    if moves:
        visits = _from_moves(now.created_at, moves)
    elif previous is not None:
        visits = list(previous.stage_history)
    elif now.first_stage:
        visits = [StageVisit(now.stage_id, now.created_at)]
    else:
        visits = []
    _observe(visits, now, previous, modified)
    closed_at = _closed_at(now, changes, previous, modified)
    if closed_at is not None and visits and visits[-1].exited_at is None:
        last = visits[-1]
        visits[-1] = StageVisit(last.stage_id, last.entered_at, max(closed_at, last.entered_at))
    return Timeline(closed_at, tuple(visits))


def _from_moves(created: datetime, moves: Sequence[Change]) -> list[StageVisit]:
    visits: list[StageVisit] = []
    first = moves[0]
    entered = max(first.at, created)
    if first.left_stage is not None:
        visits.append(StageVisit(first.left_stage, created, entered))
    stage = first.stage
    for move in moves[1:]:
        at = max(move.at, entered)
        assert stage is not None
        visits.append(StageVisit(stage, entered, at))
        stage, entered = move.stage, at
    assert stage is not None
    visits.append(StageVisit(stage, entered))
    return visits


def _observe(
    visits: list[StageVisit], now: DealState, previous: Deal | None, modified: datetime
) -> None:
    """A move or a reopening the history does not show yet, dated by the deal's `mdate`."""
    if not visits:
        moved = previous is not None and previous.stage_id != now.stage_id
        reopened = previous is not None and previous.status != "open" and now.status == "open"
        if moved or reopened:
            visits.append(StageVisit(now.stage_id, modified))
        return
    last = visits[-1]
    if last.exited_at is None:
        if last.stage_id != now.stage_id:
            at = max(modified, last.entered_at)
            visits[-1] = StageVisit(last.stage_id, last.entered_at, at)
            visits.append(StageVisit(now.stage_id, at))
    elif now.status == "open":
        visits.append(StageVisit(now.stage_id, max(modified, last.exited_at)))


def _closed_at(
    now: DealState, changes: Sequence[Change], previous: Deal | None, modified: datetime
) -> datetime | None:
    if now.status == "open":
        return None
    statuses = sorted((c for c in changes if c.status is not None), key=lambda c: c.at)
    if statuses and statuses[-1].status == now.status:
        return max(statuses[-1].at, now.created_at)
    if previous is not None and previous.status == now.status and previous.closed_at:
        return max(previous.closed_at, now.created_at)
    return modified
