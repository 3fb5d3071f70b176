"""Close dates and stage history, derived from activities, from what the sync saw, or from now."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.activecampaign.history import Change, DealState, change_of, timeline
from connectors.schema import Deal, DealStatus, StageVisit
from kpis.dataset import Dataset
from kpis.stages import stage_duration_days
from tests.kpi_builders import deal, period, settings, stage, values

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def _now(stage: str, status: DealStatus, modified_days: float, first: bool = False) -> DealState:
    return DealState(stage, status, T0, _at(modified_days), first_stage=first)


def _stored(
    stage: str, status: DealStatus, visits: tuple[StageVisit, ...], closed: float | None
) -> Deal:
    return Deal(
        source="ac",
        id="1",
        pipeline_id="1",
        stage_id=stage,
        status=status,
        created_at=T0,
        closed_at=None if closed is None else _at(closed),
        stage_history=visits,
    )


def _activity(kind: str, action: str, old: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "d_id": "1",
        "d_stageid": "0",
        "dataType": kind,
        "dataAction": action,
        "dataOldval": old,
        "cdate": "2026-03-05T10:00:00-06:00",
        "deleted": "0",
        **extra,
    }


def test_a_stage_change_activity_is_read() -> None:
    """`d_stageid` activities give the old stage and the new one, dated by `cdate`."""
    change = change_of(_activity("d_stageid", "2", "1"), UTC)
    assert change == Change("1", datetime(2026, 3, 5, 16, tzinfo=UTC), stage="2", left_stage="1")


def test_a_stage_change_without_the_new_stage_uses_d_stageid() -> None:
    """Without a stage id in `dataAction`, the activity's own `d_stageid` is the new stage."""
    change = change_of(_activity("stage", "moved", d_stageid="3"), UTC)
    assert change is not None
    assert (change.stage, change.left_stage) == ("3", None)


@pytest.mark.parametrize(
    ("action", "expected"),
    [("1", "won"), ("2", "lost"), ("0", "open"), ("won", "won")],
    ids=["won", "lost", "reopened", "word"],
)
def test_a_status_change_activity_is_read(action: str, expected: str) -> None:
    """`status` activities carry the new status code in `dataAction`."""
    change = change_of(_activity("status", action), UTC)
    assert change is not None
    assert change.status == expected


@pytest.mark.parametrize(
    "activity",
    [
        _activity("", "add"),
        _activity("note", "add"),
        _activity("d_stageid", "2", "1", deleted="1"),
        _activity("status", "7"),
        _activity("d_stageid", "2", "1", cdate="0000-00-00 00:00:00"),
    ],
    ids=["deal-added", "note", "deleted", "unknown-status", "no-date"],
)
def test_other_activities_are_not_changes(activity: dict[str, Any]) -> None:
    """Anything but a dated stage or status change is no change."""
    assert change_of(activity, UTC) is None


def test_activities_give_history_and_close_date_on_a_first_sync() -> None:
    """Stage moves become visits; the won status change dates the close and ends the last visit."""
    changes = [
        Change("1", _at(10), stage="3", left_stage="2"),
        Change("1", _at(4), stage="2", left_stage="1"),
        Change("1", _at(15), status="won"),
    ]
    result = timeline(_now("3", "won", 40), changes, previous=None)
    assert result.closed_at == _at(15)
    assert result.visits == (
        StageVisit("1", T0, _at(4)),
        StageVisit("2", _at(4), _at(10)),
        StageVisit("3", _at(10), _at(15)),
    )


@pytest.mark.parametrize(
    ("first", "visits"),
    [(True, (StageVisit("1", T0, _at(30)),)), (False, ())],
    ids=["first-stage", "later-stage"],
)
def test_a_deal_closed_before_the_first_sync_closes_at_its_modification(
    first: bool, visits: tuple[StageVisit, ...]
) -> None:
    """Without activities, a closed deal seen first closed at its `mdate`; only in its
    pipeline's first stage is it known to have been there since creation."""
    result = timeline(_now("1", "lost", 30, first), [], previous=None)
    assert result.closed_at == _at(30)
    assert result.visits == visits


@pytest.mark.parametrize(
    ("first", "visits"),
    [(True, (StageVisit("1", T0),)), (False, ())],
    ids=["first-stage", "later-stage"],
)
def test_an_open_deal_seen_first_has_a_visit_only_if_its_entry_is_known(
    first: bool, visits: tuple[StageVisit, ...]
) -> None:
    """An open deal in its first stage is there since creation; in a later one, unknown."""
    result = timeline(_now("1", "open", 3, first), [], previous=None)
    assert result.closed_at is None
    assert result.visits == visits


def test_the_first_move_seen_starts_an_unknown_history() -> None:
    """A stored deal with no known visit that moves gets its first visit from that `mdate`."""
    stored = _stored("2", "open", (), None)
    result = timeline(_now("3", "open", 8), [], previous=stored)
    assert result.visits == (StageVisit("3", _at(8)),)


def test_a_stage_change_the_sync_observes_is_recorded() -> None:
    """A stage differing from the stored deal ends the stored visit and starts one, at `mdate`."""
    stored = _stored("1", "open", (StageVisit("1", T0),), None)
    result = timeline(_now("2", "open", 6), [], previous=stored)
    assert result.visits == (StageVisit("1", T0, _at(6)), StageVisit("2", _at(6)))


def test_a_close_the_sync_observes_is_dated_by_mdate() -> None:
    """An open stored deal now won closed at its `mdate`, which also ends its last visit."""
    stored = _stored("2", "open", (StageVisit("1", T0, _at(2)), StageVisit("2", _at(2))), None)
    result = timeline(_now("2", "won", 9), [], previous=stored)
    assert result.closed_at == _at(9)
    assert result.visits[-1] == StageVisit("2", _at(2), _at(9))


def test_a_closed_deal_edited_later_keeps_its_close_date() -> None:
    """A won deal modified again (a note, a new value) keeps the close date seen before."""
    stored = _stored("2", "won", (StageVisit("2", T0, _at(9)),), 9)
    result = timeline(_now("2", "won", 50), [], previous=stored)
    assert result.closed_at == _at(9)
    assert result.visits == (StageVisit("2", T0, _at(9)),)


def test_a_reopened_deal_enters_its_stage_again() -> None:
    """A stored won deal now open has no close date and a new visit from its `mdate`."""
    stored = _stored("2", "won", (StageVisit("2", T0, _at(9)),), 9)
    result = timeline(_now("2", "open", 20), [], previous=stored)
    assert result.closed_at is None
    assert result.visits == (StageVisit("2", T0, _at(9)), StageVisit("2", _at(20)))


def test_won_then_lost_is_a_new_close() -> None:
    """A status that changes from won to lost closes again at the new `mdate`."""
    stored = _stored("2", "won", (StageVisit("2", T0, _at(9)),), 9)
    assert timeline(_now("2", "lost", 12), [], previous=stored).closed_at == _at(12)


def test_activities_win_over_the_stored_history() -> None:
    """Where the activity log shows moves, it is used even when the store has a history."""
    stored = _stored("2", "open", (StageVisit("2", T0),), None)
    changes = [Change("1", _at(5), stage="2", left_stage="1")]
    result = timeline(_now("2", "open", 7), changes, previous=stored)
    assert result.visits == (StageVisit("1", T0, _at(5)), StageVisit("2", _at(5)))


def test_times_before_creation_are_clamped() -> None:
    """An activity or `mdate` before `cdate` (clock skew) never makes a negative visit."""
    changes = [Change("1", _at(-1), stage="2", left_stage="1"), Change("1", _at(-1), status="won")]
    result = timeline(_now("2", "won", -2), changes, previous=None)
    assert result.closed_at == T0
    assert all(v.exited_at is None or v.exited_at >= v.entered_at for v in result.visits)


def test_a_stage_re_entered_between_syncs_has_two_visits_that_both_count() -> None:
    """Each sync that sees the deal in another stage than the stored one records a visit: s1,
    s2, s1 again, s2 again are four visits, and stage_duration_days of s1 is the mean of its
    two, (3 + 4) / 2 = 3.5 days (docs/kpis.md, stage_duration_days)."""
    created = datetime(2026, 10, 5, 9, tzinfo=UTC)
    seen = [("s1", 0), ("s2", 3), ("s1", 5), ("s2", 9)]
    stored: Deal | None = None
    for stage_id, days in seen:
        now = DealState(
            stage_id, "open", created, created + timedelta(days=days), first_stage=days == 0
        )
        result = timeline(now, [], previous=stored)
        stored = replace(deal("1", stage=stage_id), created_at=created, stage_history=result.visits)
    assert stored is not None
    assert [(v.stage_id, v.entered_at, v.exited_at) for v in stored.stage_history] == [
        ("s1", created, created + timedelta(days=3)),
        ("s2", created + timedelta(days=3), created + timedelta(days=5)),
        ("s1", created + timedelta(days=5), created + timedelta(days=9)),
        ("s2", created + timedelta(days=9), None),
    ]
    data = Dataset(stages=[stage("s1", "New"), stage("s2", "Demo")], deals=[stored])
    assert values(stage_duration_days(data, period("2026-10"), settings())) == {
        ("all", "all"): 3.0,  # (3 + 2 + 4) / 3 visits exited in October
        ("stage", "Sales / New"): 3.5,
        ("stage", "Sales / Demo"): 2.0,
    }
