"""The SQLite store: records, deletions, cursors and runs."""

from __future__ import annotations

import gc
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

import sync.store.runs
from connectors.base import Page, Pulled
from connectors.schema import (
    Contact,
    Deal,
    Owner,
    Record,
    Stage,
    StageVisit,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
)
from sync.store import SCHEMA_VERSION, Committed, RunRecord, Store, StoreError
from sync.store.tables import TABLES
from tests import clock_ahead
from tests.stored import as_stored, without_versions

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 10, 1, 12, tzinfo=timezone(timedelta(hours=2)))
SYNCED = datetime(2026, 11, 1, tzinfo=UTC)


def _at(days: float) -> datetime:
    return T0 + timedelta(days=days)


FULL_RECORDS: dict[str, Record] = {
    "owner": Owner("crm", "o1", "Ada", "ada@example.com"),
    "stage": Stage("crm", "p1", "Sales", "s1", "Won", 4, 0.35, True, True),
    "contact": Contact("crm", "c1", _at(0), "c@example.com", "webinar", _at(30)),
    "deal": Deal(
        source="crm",
        id="d1",
        pipeline_id="p1",
        stage_id="s1",
        status="lost",
        created_at=_at(0),
        name="Acme",
        amount=Decimal("1234.50"),
        currency="usd",
        owner_id="o1",
        contact_id="c1",
        lead_source="ads",
        kind="upsell",
        lost_reason="price",
        campaign="spring",
        closed_at=_at(10),
        expected_close_at=_at(12),
        probability=0.1,
        stage_history=(StageVisit("s0", _at(0), _at(4)), StageVisit("s1", _at(4))),
    ),
    "ticket": Ticket("crm", "t1", _at(0), _at(1.5), "o1", 3, "support"),
    "subscription": SubscriptionEvent("crm", "c1", "news", "unsubscribe", _at(2)),
    "survey": SurveyResponse("crm", "r1", 7, _at(3), "c1"),
}
MINIMAL_RECORDS: dict[str, Record] = {
    "owner": Owner("crm", "o2", ""),
    "stage": Stage("crm", "p1", "Sales", "s2", "Open"),
    "contact": Contact("crm", "c2", _at(0)),
    "deal": Deal("crm", "d2", "p1", "s2", "open", _at(0)),
    "ticket": Ticket("crm", "t2", _at(0)),
    "subscription": SubscriptionEvent("crm", "c2", "news", "subscribe", _at(0)),
    "survey": SurveyResponse("crm", "r2", 0, _at(0)),
}


def _page(*records: Record, **fields: object) -> Page:
    kind = str(fields.pop("kind", records[0].KIND if records else "owner"))
    items = tuple(Pulled(record, {"id": record.id}) for record in records)
    return Page(str(fields.pop("stream", kind)), kind, items, **fields)  # type: ignore[arg-type]


def _loaded(store: Store, kind: str) -> list[Record]:
    return list(getattr(store.load_dataset(), TABLES[kind].name))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.db") as opened:
        yield opened


@pytest.mark.parametrize(
    "record",
    [*FULL_RECORDS.values(), *MINIMAL_RECORDS.values()],
    ids=[f"{kind} full" for kind in FULL_RECORDS] + [f"{kind} minimal" for kind in MINIMAL_RECORDS],
)
def test_every_record_kind_round_trips(store: Store, record: Record) -> None:
    """A stored record loads back equal to what was stored, field for field."""
    store.commit_page("crm", _page(record), synced_at=SYNCED)
    assert _loaded(store, record.KIND) == [as_stored(record, SYNCED)]


@pytest.mark.parametrize(
    "amount",
    ["1234.50", "0.10", "12345678901234567890.123456789", "1E+3"],
    ids=["cents", "trailing zero", "long", "exponent"],
)
def test_decimal_amounts_round_trip_exactly(store: Store, amount: str) -> None:
    """An amount loads as the same Decimal, down to its trailing zeros."""
    deal = Deal("crm", "d1", "p1", "s1", "open", _at(0), amount=Decimal(amount))
    store.commit_page("crm", _page(deal), synced_at=SYNCED)
    (loaded,) = store.load_dataset().deals
    assert str(loaded.amount) == amount


def _typed_fields(record: Record | StageVisit) -> list[tuple[str, type, object]]:
    return [(f.name, type(value := getattr(record, f.name)), value) for f in fields(record)]


@pytest.mark.parametrize(
    "record",
    [*FULL_RECORDS.values(), *MINIMAL_RECORDS.values()],
    ids=[f"{kind} full" for kind in FULL_RECORDS] + [f"{kind} minimal" for kind in MINIMAL_RECORDS],
)
def test_loaded_fields_have_the_stored_values_and_types(store: Store, record: Record) -> None:
    """Each loaded field has the stored value and its exact type (bool, float, Decimal, ...)."""
    store.commit_page("crm", _page(record), synced_at=SYNCED)
    (loaded,) = _loaded(store, record.KIND)
    assert _typed_fields(loaded) == _typed_fields(as_stored(record, SYNCED))


def test_stage_history_loads_visit_by_visit(store: Store) -> None:
    """Each visit loads with its stage, entry and exit (None while still in the stage)."""
    deal = FULL_RECORDS["deal"]
    assert isinstance(deal, Deal)
    store.commit_page("crm", _page(deal), synced_at=SYNCED)
    (loaded,) = store.load_dataset().deals
    assert [_typed_fields(visit) for visit in loaded.stage_history] == [
        _typed_fields(visit) for visit in deal.stage_history
    ]
    assert loaded.stage_history[1].exited_at is None


@pytest.mark.parametrize(
    "stage_id",
    ['say "hi"', "back\\slash", "Qualifié", '{"stage_id": "x"}', "tab\tand newline\n", "s1"],
    ids=["quote", "backslash", "non-ascii", "looks like a visit", "control characters", "plain"],
)
def test_stage_history_keeps_any_stage_id(store: Store, stage_id: str) -> None:
    """A visited stage id loads exactly as stored, whatever JSON has to escape in it."""
    visits = (StageVisit(stage_id, _at(0), _at(1)), StageVisit("s2", _at(1)))
    deal = Deal("crm", "d1", "p1", "s2", "open", _at(0), stage_history=visits)
    store.commit_page("crm", _page(deal), synced_at=SYNCED)
    assert without_versions(store.load_dataset().deals) == [deal]


def test_repeated_text_loads_as_one_shared_string(store: Store) -> None:
    """Two deals of one owner, pipeline, stage and currency share each of those strings."""
    deals = [
        Deal("crm", f"d{n}", "p1", "s1", "open", _at(0), currency="USD", owner_id="o1")
        for n in (1, 2)
    ]
    store.commit_page("crm", _page(*deals), synced_at=SYNCED)
    first, second = store.load_dataset().deals
    for name in ("pipeline_id", "stage_id", "currency", "owner_id", "status"):
        assert getattr(first, name) is getattr(second, name), name


def test_records_load_by_source_then_id(store: Store) -> None:
    """Records of several sources, committed out of order, load by source, then by id."""
    store.commit_page("zeta", _page(Owner("zeta", "a", "")), synced_at=SYNCED)
    store.commit_page("crm", _page(Owner("crm", "b", ""), Owner("crm", "a", "")), synced_at=SYNCED)
    store.commit_page("gone", _page(Owner("gone", "a", "")), synced_at=SYNCED)
    store.commit_page("gone", _page(deleted=("a",)), synced_at=SYNCED)
    loaded = [(o.source, o.id) for o in _loaded(store, "owner")]
    assert loaded == [("crm", "a"), ("crm", "b"), ("zeta", "a")]


def test_a_page_commits_after_a_load(store: Store) -> None:
    """A load ends its read transaction, so the next page commits as usual."""
    store.commit_page("crm", _page(Owner("crm", "a", "")), synced_at=SYNCED)
    store.load_dataset()
    store.commit_page("crm", _page(Owner("crm", "b", "")), synced_at=SYNCED)
    assert [o.id for o in _loaded(store, "owner")] == ["a", "b"]


@pytest.mark.parametrize("enabled", [True, False], ids=["enabled", "disabled"])
def test_a_load_leaves_garbage_collection_as_it_was(store: Store, enabled: bool) -> None:
    """The collector, paused while records are built, is as enabled afterwards as before."""
    store.commit_page("crm", _page(FULL_RECORDS["contact"]), synced_at=SYNCED)
    was_enabled = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        store.load_dataset()
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was_enabled else gc.disable)()


def test_timestamps_load_in_utc(store: Store) -> None:
    """A contact created at 12:00+02:00 loads created at 10:00 UTC."""
    store.commit_page("crm", _page(Contact("crm", "c1", T0)), synced_at=SYNCED)
    (contact,) = store.load_dataset().contacts
    assert contact.created_at == datetime(2026, 10, 1, 10, tzinfo=UTC)
    assert contact.created_at.tzinfo is UTC


def test_same_page_twice_stores_one_row(store: Store, tmp_path: Path) -> None:
    """Committing a page again leaves one row per record."""
    page = _page(FULL_RECORDS["owner"], MINIMAL_RECORDS["owner"])
    store.commit_page("crm", page, synced_at=SYNCED)
    store.commit_page("crm", page, synced_at=SYNCED)
    with sqlite3.connect(tmp_path / "store.db") as db:
        assert db.execute("SELECT count(*) FROM owners").fetchone() == (2,)
    assert store.counts()["owners"] == 2


def test_upsert_replaces_the_stored_values(store: Store) -> None:
    """A record stored again with a new name loads with the new name."""
    store.commit_page("crm", _page(Owner("crm", "o1", "Old")), synced_at=SYNCED)
    store.commit_page("crm", _page(Owner("crm", "o1", "New")), synced_at=SYNCED)
    assert _loaded(store, "owner") == [Owner("crm", "o1", "New")]


def test_deleted_ids_are_excluded_from_loads_and_counts(store: Store) -> None:
    """Deleting o1 of two owners leaves o2, and reports one record deleted."""
    store.commit_page(
        "crm", _page(Owner("crm", "o1", ""), Owner("crm", "o2", "")), synced_at=SYNCED
    )
    committed = store.commit_page("crm", _page(deleted=("o1", "unknown")), synced_at=SYNCED)
    assert committed == Committed(stored=0, gone=("o1",))
    assert _loaded(store, "owner") == [Owner("crm", "o2", "")]
    assert store.counts()["owners"] == 1


def test_upsert_brings_a_deleted_record_back(store: Store) -> None:
    """A deleted record stored again is live again."""
    owner = Owner("crm", "o1", "")
    store.commit_page("crm", _page(owner), synced_at=SYNCED)
    store.commit_page("crm", _page(deleted=("o1",)), synced_at=SYNCED)
    store.commit_page("crm", _page(owner), synced_at=SYNCED)
    assert _loaded(store, "owner") == [owner]


def test_live_ids_sweep_only_that_kind_of_that_source(store: Store) -> None:
    """live_ids {a} deletes crm's owner b, but not crm's contact b nor other's owner b."""
    store.commit_page("crm", _page(Owner("crm", "a", ""), Owner("crm", "b", "")), synced_at=SYNCED)
    store.commit_page("crm", _page(Contact("crm", "b", T0)), synced_at=SYNCED)
    store.commit_page("other", _page(Owner("other", "b", "")), synced_at=SYNCED)
    committed = store.commit_page(
        "crm", _page(kind="owner", live_ids=frozenset({"a"})), synced_at=SYNCED
    )
    assert committed.deleted == 1
    assert [(o.source, o.id) for o in _loaded(store, "owner")] == [("crm", "a"), ("other", "b")]
    assert [c.id for c in _loaded(store, "contact")] == ["b"]


def test_items_of_a_sweeping_page_stay_live(store: Store) -> None:
    """An item of the page that carries live_ids is live even when live_ids omits it."""
    store.commit_page("crm", _page(Owner("crm", "a", "")), synced_at=SYNCED)
    page = _page(Owner("crm", "b", ""), live_ids=frozenset())
    assert store.commit_page("crm", page, synced_at=SYNCED) == Committed(
        stored=1, gone=("a",), appeared=frozenset({"b"})
    )
    assert [o.id for o in _loaded(store, "owner")] == ["b"]


def test_cursor_is_stored_with_its_page_and_kept_when_none(store: Store) -> None:
    """A page's cursor is stored under its stream; a page without one keeps the stored one."""
    store.commit_page("crm", _page(Owner("crm", "a", ""), cursor="c1"), synced_at=SYNCED)
    store.commit_page("crm", _page(Owner("crm", "b", "")), synced_at=SYNCED)
    assert store.cursors("crm") == {"owner": "c1"}


@pytest.mark.parametrize(
    "bad",
    [
        Pulled(Owner("crm", "b", ""), {"when": datetime(2026, 1, 1, tzinfo=UTC)}),
        Pulled(Contact("crm", "b", T0), {}),
        Pulled(Owner("elsewhere", "b", ""), {}),
    ],
    ids=["raw not JSON", "wrong kind", "wrong source"],
)
def test_failed_page_leaves_neither_records_nor_cursor(store: Store, bad: Pulled) -> None:
    """A page whose second item fails stores neither its first item nor its cursor."""
    store.commit_page("crm", _page(Owner("crm", "a", ""), cursor="c1"), synced_at=SYNCED)
    good = Pulled(Owner("crm", "z", ""), {})
    with pytest.raises((TypeError, ValueError)):
        store.commit_page("crm", Page("owner", "owner", (good, bad), cursor="c2"), synced_at=SYNCED)
    assert [o.id for o in _loaded(store, "owner")] == ["a"]
    assert store.cursors("crm") == {"owner": "c1"}


def test_unknown_kind_is_refused(store: Store) -> None:
    """A page of a kind the store has no table for is refused."""
    with pytest.raises(ValueError, match="unknown kind 'invoice'"):
        store.commit_page("crm", Page("invoices", "invoice"), synced_at=SYNCED)


def test_naive_sync_time_is_refused(store: Store) -> None:
    """synced_at without a UTC offset is refused rather than guessed."""
    with pytest.raises(ValueError, match="has no UTC offset"):
        store.commit_page("crm", _page(Owner("crm", "a", "")), synced_at=datetime(2026, 1, 1))  # noqa: DTZ001


def test_clear_cursors_forgets_only_that_source(store: Store) -> None:
    """Clearing crm's cursors keeps other's."""
    store.commit_page("crm", _page(kind="owner", cursor="c1"), synced_at=SYNCED)
    store.commit_page("other", _page(kind="owner", cursor="o1"), synced_at=SYNCED)
    store.clear_cursors("crm")
    assert (store.cursors("crm"), store.cursors("other")) == ({}, {"owner": "o1"})


def test_counts_live_records_of_every_table(store: Store) -> None:
    """counts() names every table, with zero for the empty ones."""
    for record in FULL_RECORDS.values():
        store.commit_page("crm", _page(record), synced_at=SYNCED)
    store.commit_page("crm", _page(MINIMAL_RECORDS["deal"]), synced_at=SYNCED)
    assert store.counts() == {
        "owners": 1,
        "stages": 1,
        "contacts": 1,
        "deals": 2,
        "tickets": 1,
        "subscriptions": 1,
        "surveys": 1,
    }


def test_open_creates_the_folder_in_wal_mode_at_the_current_version(tmp_path: Path) -> None:
    """A new store gets its folder, the WAL journal and user_version = SCHEMA_VERSION."""
    path = tmp_path / "deep" / "er" / "store.db"
    Store.open(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_reopened_store_keeps_records_and_cursors(tmp_path: Path) -> None:
    """What one Store committed, the next one opened on the same file reads."""
    with Store.open(tmp_path / "s.db") as first:
        first.commit_page("crm", _page(FULL_RECORDS["deal"], cursor="c1"), synced_at=SYNCED)
    with Store.open(tmp_path / "s.db") as second:
        assert second.load_dataset().deals == [as_stored(FULL_RECORDS["deal"], SYNCED)]
        assert second.cursors("crm") == {"deal": "c1"}


def test_store_of_a_newer_version_is_refused(tmp_path: Path) -> None:
    """A store written by a later schema version is not opened."""
    Store.open(tmp_path / "s.db").close()
    with sqlite3.connect(tmp_path / "s.db") as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="upgrade crm-kpi-sync"):
        Store.open(tmp_path / "s.db")


def test_store_with_other_columns_is_refused(tmp_path: Path) -> None:
    """A table whose columns differ from the code's names the table and asks for a migration."""
    Store.open(tmp_path / "s.db").close()
    with sqlite3.connect(tmp_path / "s.db") as db:
        db.execute("ALTER TABLE owners ADD COLUMN team TEXT")
    with pytest.raises(StoreError, match=r"table owners has columns .* needs a migration"):
        Store.open(tmp_path / "s.db")


def test_runs_are_listed_newest_first_with_their_outcome(store: Store) -> None:
    """A finished and a running run come back newest first, with times in UTC."""
    first = store.start_run("pull", started_at=_at(0))
    store.finish_run(first, finished_at=_at(0.5), outcome="failed", message="boom")
    second = store.start_run("sync", started_at=_at(1))
    assert store.recent_runs(5) == [
        RunRecord(second, "sync", _at(1), None, "running", None),
        RunRecord(first, "pull", _at(0), _at(0.5), "failed", "boom"),
    ]
    assert store.recent_runs(1)[0].id == second


def test_finishing_an_unknown_run_is_an_error(store: Store) -> None:
    """finish_run of a run id never started raises."""
    with pytest.raises(ValueError, match="no run 42"):
        store.finish_run(42, finished_at=_at(0), outcome="ok")


def test_run_left_running_by_a_dead_process_is_interrupted(store: Store) -> None:
    """A run whose process exited without finishing it is marked interrupted by the next start."""
    script = (
        "import sys; from datetime import datetime, UTC; from pathlib import Path;"
        "from sync.store import Store;"
        "Store.open(Path(sys.argv[1])).start_run('pull', datetime.now(UTC))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", clock_ahead.in_child(script), str(store.path)]
    subprocess.run(command, env=env, check=True)
    store.start_run("sync", started_at=_at(1))
    newest, abandoned = store.recent_runs(2)
    assert (abandoned.outcome, newest.outcome) == ("interrupted", "running")
    assert abandoned.message is not None and "ended before the run finished" in abandoned.message


def test_run_of_a_live_process_stays_running(store: Store) -> None:
    """This process's unfinished run is not interrupted by its own next start."""
    store.start_run("daemon", started_at=_at(0))
    store.start_run("pull", started_at=_at(1))
    assert [run.outcome for run in store.recent_runs(2)] == ["running", "running"]


def test_run_of_an_earlier_process_with_our_pid_is_interrupted(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run from this pid but another process token (a recycled pid) is interrupted."""
    monkeypatch.setattr(sync.store.runs, "_PROCESS_TOKEN", "an earlier process")
    store.start_run("daemon", started_at=_at(0))
    monkeypatch.undo()
    store.start_run("daemon", started_at=_at(1))
    assert [run.outcome for run in store.recent_runs(2)] == ["running", "interrupted"]
