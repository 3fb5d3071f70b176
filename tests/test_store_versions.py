"""The deals' versions the store records: when a sync adds one, how it is dated, how the CRM's
own history merges in, the upgrade that seeds them, and every load path that reads them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Page, Pulled
from connectors.schema import Deal, DealVersion, StageVisit
from kpis.dataset import Dataset
from sync.store import SCHEMA_VERSION, Committed, Store, changes
from sync.store.loading import load_columns

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def _at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def _deal(deal_id: str = "d1", source: str = "crm", **fields: Any) -> Deal:
    base = Deal(
        source,
        deal_id,
        "p1",
        "s1",
        "open",
        _at(0),
        amount=Decimal("100.00"),
        currency="EUR",
        owner_id="o1",
        expected_close_at=_at(30),
        probability=0.2,
    )
    return replace(base, **fields)


def _sync(
    store: Store, *deals: Deal, at: datetime, changed_at: datetime | None = None
) -> Committed:
    items = tuple(Pulled(deal, {"id": deal.id}, changed_at) for deal in deals)
    return store.commit_page(deals[0].source, Page("deals", "deal", items), synced_at=at)


def _starts(store: Store, deal_id: str = "d1") -> list[datetime]:
    return [version.valid_from for version in store.versions("crm", deal_id)]


def _count(store: Store) -> int:
    return int(store._db.execute("SELECT count(*) FROM deal_versions").fetchone()[0])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.db") as opened:
        yield opened


def test_a_new_deal_gets_one_version_of_its_state(store: Store) -> None:
    """A deal stored for the first time has one current version holding its fields."""
    assert _sync(store, _deal(), at=_at(10)).versions == 1
    assert store.versions("crm", "d1") == (_deal().version(_at(10)),)


@pytest.mark.parametrize(
    ("changed_at", "expected"),
    [(None, _at(10)), (_at(4), _at(4)), (_at(12), _at(10))],
    ids=["by the sync", "by the crm's change time", "a change time after the sync"],
)
def test_a_new_deal_s_version_starts_when_the_crm_says_it_changed(
    store: Store, changed_at: datetime | None, expected: datetime
) -> None:
    """The first version starts at `changed_at`, else at the sync, and never after the sync."""
    _sync(store, _deal(), at=_at(10), changed_at=changed_at)
    assert _starts(store) == [expected]


@pytest.mark.parametrize(
    "changed_at", [None, _at(8)], ids=["without a change time", "with a change time"]
)
def test_storing_an_unchanged_deal_again_adds_no_version(
    store: Store, changed_at: datetime | None
) -> None:
    """A re-sync of the same deal (a rerun of the same page) adds nothing."""
    _sync(store, _deal(), _deal("d2"), at=_at(10), changed_at=changed_at)
    assert _sync(store, _deal(), _deal("d2"), at=_at(20), changed_at=changed_at).versions == 0
    assert _count(store) == 2


@pytest.mark.parametrize(
    "change",
    [
        {"stage_id": "s2"},
        {"pipeline_id": "p2"},
        {"status": "won", "closed_at": _at(20)},
        {"amount": Decimal("150.00")},
        {"currency": "USD"},
        {"expected_close_at": _at(40)},
        {"probability": 0.5},
        {"owner_id": "o2"},
        {"owner_id": None},
    ],
    ids=[
        "stage",
        "pipeline",
        "status",
        "amount",
        "currency",
        "expected close",
        "probability",
        "owner",
        "owner unset",
    ],
)
def test_each_field_change_adds_exactly_one_version(store: Store, change: dict[str, Any]) -> None:
    """A change of one versioned field adds one version, which later re-syncs leave alone."""
    _sync(store, _deal(), at=_at(10))
    assert _sync(store, _deal(**change), at=_at(20)).versions == 1
    assert _sync(store, _deal(**change), at=_at(21)).versions == 0
    first, second = store.versions("crm", "d1")
    assert second == _deal(**change).version(_at(20))
    assert first.valid_to == second.valid_from == _at(20)


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Renamed"},
        {"contact_id": "c9"},
        {"lead_source": "ads"},
        {"kind": "upsell"},
        {"campaign": "spring"},
        {"amount": Decimal("100.0")},
        {"stage_history": (StageVisit("s1", _at(1)),)},
    ],
    ids=["name", "contact", "lead source", "kind", "campaign", "same amount", "visits"],
)
def test_a_change_of_another_field_adds_no_version(store: Store, change: dict[str, Any]) -> None:
    """Fields that are no state of the pipeline, or an equal amount written otherwise, add none."""
    _sync(store, _deal(), at=_at(10))
    assert _sync(store, _deal(**change), at=_at(20)).versions == 0


def test_a_close_date_edited_on_a_closed_deal_adds_no_version(store: Store) -> None:
    """`closed_at` moves with the status: a closed deal's edited close date is no new state."""
    _sync(store, _deal(status="won", closed_at=_at(5)), at=_at(10))
    assert _sync(store, _deal(status="won", closed_at=_at(6)), at=_at(20)).versions == 0


LOST = {"status": "lost", "closed_at": _at(15)}
IN_S2 = {
    "stage_id": "s2",
    "stage_history": (StageVisit("s1", _at(0), _at(12)), StageVisit("s2", _at(12))),
}


@pytest.mark.parametrize(
    ("change", "changed_at", "expected"),
    [
        (LOST, _at(18), _at(15)),
        (LOST | {"closed_at": _at(5)}, _at(18), _at(10) + MICROSECOND),
        (IN_S2, _at(18), _at(12)),
        (IN_S2 | {"stage_history": (StageVisit("s1", _at(0)),)}, _at(18), _at(18)),
        (LOST | IN_S2, _at(18), _at(15)),
        ({"amount": Decimal("7")}, _at(18), _at(18)),
        ({"amount": Decimal("7")}, None, _at(20)),
        ({"amount": Decimal("7")}, _at(25), _at(20)),
        ({"amount": Decimal("7")}, _at(3), _at(10) + MICROSECOND),
        ({"status": "open", "stage_id": "s3"}, None, _at(20)),
    ],
    ids=[
        "closed: at its close",
        "closed before the latest version: just after it",
        "moved stage: when it entered it",
        "moved to a stage its history lacks: at the change time",
        "closed and moved: at its close",
        "other change: at the change time",
        "no change time: at the sync",
        "change time after the sync: at the sync",
        "change time before the latest version: just after it",
        "moved, no history, no change time: at the sync",
    ],
)
def test_a_new_version_is_dated_by_what_the_crm_tells(
    store: Store, change: dict[str, Any], changed_at: datetime | None, expected: datetime
) -> None:
    """Close date, then stage entry, then change time, then the sync, within (latest, sync]."""
    _sync(store, _deal(), at=_at(10))
    _sync(store, _deal(**change), at=_at(20), changed_at=changed_at)
    assert _starts(store) == [_at(10), expected]


def test_a_version_after_one_dated_at_the_sync_starts_just_after_it(store: Store) -> None:
    """Two syncs at one instant (a clock that did not move) still keep the versions in order."""
    _sync(store, _deal(), at=_at(10))
    _sync(store, _deal(amount=Decimal("7")), at=_at(10))
    assert _starts(store) == [_at(10), _at(10) + MICROSECOND]


def test_a_deal_twice_in_one_page_is_compared_with_its_first_copy(store: Store) -> None:
    """The second copy of a deal in a page is a change of the first: one version each."""
    assert _sync(store, _deal(), _deal(owner_id="o2"), at=_at(10)).versions == 2
    assert [v.owner_id for v in store.versions("crm", "d1")] == ["o1", "o2"]


def _history(*changes: tuple[float, dict[str, Any]]) -> tuple[DealVersion, ...]:
    """Versions from `_deal()`'s state: each change is (its start in days, fields it sets)."""
    versions: list[DealVersion] = []
    state = _deal()
    for start, fields in changes:
        state = replace(state, **fields)
        if versions:
            versions[-1] = replace(versions[-1], valid_to=_at(start))
        versions.append(state.version(_at(start)))
    return tuple(versions)


HISTORY = _history((1, {}), (5, {"stage_id": "s2"}))


def test_a_new_deal_takes_the_history_its_crm_gives(store: Store) -> None:
    """The CRM's versions are stored as they are, and count as not recorded by the store."""
    assert _sync(store, _deal(stage_id="s2", versions=HISTORY), at=_at(10)).versions == 2
    assert store.versions("crm", "d1") == HISTORY
    assert store.load_dataset().recorded_since == {}


def test_the_same_history_again_adds_nothing(store: Store) -> None:
    """A re-sync that gives the same history (HubSpot gives it every time) adds no version."""
    _sync(store, _deal(stage_id="s2", versions=HISTORY), at=_at(10))
    assert _sync(store, _deal(stage_id="s2", versions=HISTORY), at=_at(20)).versions == 0
    assert store.versions("crm", "d1") == HISTORY


def test_a_longer_history_adds_only_its_new_versions(store: Store) -> None:
    """A history with one more change adds that one version and closes the one before it."""
    longer = _history((1, {}), (5, {"stage_id": "s2"}), (15, {"owner_id": "o2"}))
    _sync(store, _deal(stage_id="s2", versions=HISTORY), at=_at(10))
    assert (
        _sync(store, _deal(stage_id="s2", owner_id="o2", versions=longer), at=_at(20)).versions == 1
    )
    assert store.versions("crm", "d1") == longer


def test_a_history_replaces_the_versions_it_reaches_back_past(store: Store) -> None:
    """The store's own versions from the time the history covers give way to the CRM's."""
    _sync(store, _deal(), at=_at(3))
    _sync(store, _deal(stage_id="s2"), at=_at(8))
    _sync(store, _deal(stage_id="s2", versions=HISTORY), at=_at(10))
    assert store.versions("crm", "d1") == HISTORY


def test_versions_from_before_a_history_begins_stay(store: Store) -> None:
    """A history that starts later than the stored versions (a truncated one) keeps them."""
    _sync(store, _deal(), at=_at(2))
    short = _history((5, {"stage_id": "s2"}))
    assert _sync(store, _deal(stage_id="s2", versions=short), at=_at(10)).versions == 1
    recorded, given = store.versions("crm", "d1")
    assert (recorded.valid_from, recorded.valid_to, recorded.stage_id) == (_at(2), _at(5), "s1")
    assert given == short[0]


def test_a_history_starting_with_the_stored_state_joins_it(store: Store) -> None:
    """A history whose first version has the state of the last stored one is no new version."""
    _sync(store, _deal(), at=_at(2))
    same = _history((3, {}), (5, {"stage_id": "s2"}))
    assert _sync(store, _deal(stage_id="s2", versions=same), at=_at(10)).versions == 1
    assert _starts(store) == [_at(2), _at(5)]


def test_a_version_of_no_duration_in_a_history_is_left_out(store: Store) -> None:
    """A history version that ends where it starts never held: the next one takes its start."""
    blink = _history((1, {}), (5, {"owner_id": "o9"}), (5, {"stage_id": "s2"}))
    deal = _deal(stage_id="s2", owner_id="o9", versions=blink)
    assert _sync(store, deal, at=_at(10)).versions == 2
    assert [(v.valid_from, v.stage_id) for v in store.versions("crm", "d1")] == [
        (_at(1), "s1"),
        (_at(5), "s2"),
    ]


def test_a_present_state_beyond_the_history_is_recorded(store: Store) -> None:
    """A deal whose fields differ from the history's last version gets a version of them."""
    _sync(store, _deal(owner_id="o3", versions=_history((1, {}))), at=_at(10), changed_at=_at(7))
    assert [v.owner_id for v in store.versions("crm", "d1")] == ["o1", "o3"]
    assert _starts(store) == [_at(1), _at(7)]


def test_the_loaded_deals_carry_their_versions(store: Store) -> None:
    """A load gives each deal its versions, in order, with the fields exactly as stored."""
    _sync(store, _deal(probability=0.1 + 0.2), _deal("d2"), at=_at(10))
    _sync(store, _deal(probability=0.1 + 0.2, amount=Decimal("12.30")), at=_at(20))
    d1, d2 = store.load_dataset().deals
    assert d1.versions == store.versions("crm", "d1")
    assert d1.versions[0].probability == 0.1 + 0.2
    assert d1.versions[1].amount == Decimal("12.30")
    assert d2.versions == (_deal("d2").version(_at(10)),)


def test_the_snapshot_path_loads_the_same_versions_as_the_rows(store: Store) -> None:
    """Versions merged from the snapshot and the deals changed since equal those read anew."""
    _sync(store, _deal("d1"), _deal("d2"), _deal("d3"), at=_at(10))
    store.take_snapshot()
    _sync(store, _deal("d2", owner_id="o2"), _deal("d0"), at=_at(20))
    _sync(store, _deal("d3", stage_id="s4"), at=_at(21))
    store.commit_page("crm", Page("deals", "deal", deleted=("d1",)), synced_at=_at(22))
    merged = store.load_dataset()
    plain = Dataset.of_columns((), (), load_columns(store._db))
    assert [(d.id, d.versions) for d in merged.deals] == [(d.id, d.versions) for d in plain.deals]
    assert [len(d.versions) for d in merged.deals] == [1, 2, 2]


def test_a_deleted_deal_s_versions_leave_the_load_and_come_back_with_it(store: Store) -> None:
    """Marked deleted, a deal takes its versions out of the columns; restored, it goes on."""
    _sync(store, _deal("d1"), _deal("d2"), at=_at(10))
    store.commit_page("crm", Page("deals", "deal", deleted=("d1",)), synced_at=_at(11))
    data = store.load_dataset()
    assert data.columns.versions.deal.tolist() == [0]
    assert [d.id for d in data.deals] == ["d2"]
    assert _sync(store, _deal("d1"), at=_at(12)).versions == 0
    assert len(store.load_dataset().columns.versions) == 2


def test_forget_removes_a_source_s_versions(store: Store) -> None:
    """`forget` takes every version of the source's deals, and only theirs, from the table
    and from the snapshot's columns."""
    _sync(store, _deal("d1"), at=_at(10))
    _sync(store, _deal("d1", source="other"), at=_at(10))
    store.take_snapshot()
    store.forget("crm")
    assert store.versions("crm", "d1") == ()
    assert len(store.versions("other", "d1")) == 1
    assert [d.versions for d in store.load_dataset().deals] == [store.versions("other", "d1")]


def test_recorded_since_is_each_source_s_first_recording_sync(store: Store) -> None:
    """Per source, the first sync that recorded a version itself; none from CRM history."""
    _sync(store, _deal("d1"), at=_at(10), changed_at=_at(2))
    _sync(store, _deal("d2"), at=_at(12))
    _sync(store, _deal("d1", source="other"), at=_at(11))
    _sync(store, _deal("d1", source="hub", stage_id="s2", versions=HISTORY), at=_at(9))
    assert store.load_dataset().recorded_since == {"crm": _at(10), "other": _at(11)}
    assert store.load_dataset(sources={"other"}).recorded_since == {"other": _at(11)}


def test_loading_some_sources_keeps_their_deals_versions(store: Store) -> None:
    """Versions follow their deals when a load keeps only some sources."""
    _sync(store, _deal("d1", source="a"), at=_at(10))
    _sync(store, _deal("d1", source="b"), at=_at(10))
    _sync(store, _deal("d1", source="b", owner_id="o2"), at=_at(20))
    data = store.load_dataset(sources={"b"})
    assert [deal.source for deal in data.deals] == ["b"]
    assert data.columns.versions.deal.tolist() == [0, 0]
    assert data.deals[0].versions == store.versions("b", "d1")


def _version_6_store(path: Path) -> None:
    """A store as version 6 left it: the deals, no versions table."""
    with Store.open(path) as store:
        _sync(store, _deal("d1"), _deal("d2", stage_id="s2"), at=_at(10))
        _sync(store, _deal("d2", stage_id="s2"), at=_at(14))
        _sync(store, _deal("gone"), at=_at(10))
        store.commit_page("crm", Page("deals", "deal", deleted=("gone",)), synced_at=_at(11))
        store.take_snapshot()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE deal_versions")
        db.execute("PRAGMA user_version = 6")


def test_a_version_6_store_gets_one_version_per_live_deal(tmp_path: Path) -> None:
    """The upgrade seeds each live deal's stored state, valid from when the store last saw it."""
    path = tmp_path / "v6.db"
    _version_6_store(path)
    with Store.open(path) as store:
        assert changes.snapshot(store._db) is None, "the snapshot of no versions is gone"
        assert store.versions("crm", "d1") == (_deal("d1").version(_at(10)),)
        assert store.versions("crm", "d2") == (_deal("d2", stage_id="s2").version(_at(14)),)
        assert store.versions("crm", "gone") == ()
        assert store.load_dataset().recorded_since == {"crm": _at(10)}
        assert _sync(store, _deal("d1"), _deal("d2", stage_id="s2"), at=_at(20)).versions == 0
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
