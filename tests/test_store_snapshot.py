"""The store's column snapshot (`sync.store.snapshot`) and its change log (`sync.store.changes`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connectors.base import Page, Pulled, title_key
from connectors.schema import (
    Contact,
    Deal,
    Record,
    Stage,
    StageVisit,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
    stage_key,
)
from kpis.columns import Columns
from kpis.dataset import Dataset
from sync.store import SCHEMA_VERSION, Store, changes, snapshot
from sync.store.loading import load_columns
from tests.stored import as_stored, without_versions

T0 = datetime(2026, 10, 1, 10, tzinfo=UTC)
SYNCED = datetime(2026, 11, 1, tzinfo=UTC)


def _at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def _page(kind: str, *records: Record, deleted: frozenset[str] = frozenset()) -> Page:
    items = tuple(Pulled(record, {"id": record.id}) for record in records)
    return Page(kind, kind, items, deleted=deleted)


def _deal(deal_id: str, version: int, source: str = "crm") -> Deal:
    visits = tuple(
        StageVisit(f"s{step}", _at(step), None if step == version else _at(step + 1))
        for step in range(version + 1)
    )
    return Deal(
        source,
        deal_id,
        "p1",
        f"s{version}",
        "open",
        _at(0),
        amount=Decimal(f"{version}.50"),
        owner_id=f"owner {version}",
        probability=version / 10,
        stage_history=visits,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.db") as opened:
        yield opened


def _snapshot_generation(store: Store) -> int | None:
    found = changes.snapshot(store._db)
    return None if found is None else found[0]


def test_the_first_load_takes_a_snapshot_of_every_record(store: Store) -> None:
    """With no snapshot yet, a load reads every row and keeps the columns as the snapshot."""
    store.commit_page("crm", _page("deal", _deal("d1", 1)), synced_at=SYNCED)
    assert _snapshot_generation(store) is None
    store.load_dataset()
    assert _snapshot_generation(store) == changes.current(store._db)


def test_a_load_merges_what_changed_since_the_snapshot(store: Store) -> None:
    """New, changed and deleted deals since the snapshot load as the rows say, visits too."""
    store.commit_page(
        "crm", _page("deal", _deal("d1", 1), _deal("d2", 2), _deal("d4", 0)), synced_at=SYNCED
    )
    store.load_dataset()
    store.commit_page("crm", _page("deal", _deal("d3", 3), _deal("d1", 0)), synced_at=SYNCED)
    store.commit_page("crm", _page("deal", deleted=frozenset({"d2"})), synced_at=SYNCED)
    data = store.load_dataset()
    assert without_versions(data.deals) == [_deal("d1", 0), _deal("d3", 3), _deal("d4", 0)]
    assert data.columns.visits.deal.tolist() == [0, 1, 1, 1, 1, 2]


def test_a_deal_swept_as_gone_leaves_the_merged_dataset(store: Store) -> None:
    """A record the sweep of a full sync marks deleted is logged as changed like any other."""
    store.commit_page("crm", _page("deal", _deal("d1", 1), _deal("d2", 1)), synced_at=SYNCED)
    store.load_dataset()
    sweep = Page("deal", "deal", (Pulled(_deal("d1", 1), {}),), live_ids=frozenset({"d1"}))
    assert store.commit_page("crm", sweep, synced_at=SYNCED).deleted == 1
    assert [deal.id for deal in store.load_dataset().deals] == ["d1"]


def test_many_changes_take_a_new_snapshot(store: Store) -> None:
    """Once the changes exceed a twentieth of the records, the load snapshots again."""
    store.commit_page(
        "crm", _page("deal", *(_deal(f"d{n}", 1) for n in range(40))), synced_at=SYNCED
    )
    store.load_dataset()
    first = _snapshot_generation(store)
    store.commit_page("crm", _page("deal", _deal("d0", 2)), synced_at=SYNCED)
    store.load_dataset()
    assert _snapshot_generation(store) == first, "one change in 40 is merged, not snapshotted"
    store.commit_page("crm", _page("deal", _deal("d1", 2), _deal("d2", 2)), synced_at=SYNCED)
    store.load_dataset()
    assert _snapshot_generation(store) == changes.current(store._db)
    assert store._db.execute("SELECT count(*) FROM changes").fetchone() == (0,)


def test_a_snapshot_of_a_store_that_moved_on_is_not_kept(store: Store) -> None:
    """Columns read before a commit would miss it: they are not written as the snapshot."""
    store.commit_page("crm", _page("deal", _deal("d1", 1)), synced_at=SYNCED)
    generation = changes.current(store._db)
    store.commit_page("crm", _page("deal", _deal("d2", 1)), synced_at=SYNCED)
    with store._transaction() as db:
        assert not changes.replace_snapshot(db, generation, b"stale")
    assert _snapshot_generation(store) is None


def test_a_version_2_store_gets_the_change_log(tmp_path: Path) -> None:
    """Opening a version 2 store adds the log and snapshot tables; its first load snapshots."""
    path = tmp_path / "v2.db"
    with Store.open(path) as store:
        store.commit_page("crm", _page("deal", _deal("d1", 1)), synced_at=SYNCED)
    with sqlite3.connect(path) as db:
        for table in ("changes", "generation", "snapshot", "deal_versions"):
            db.execute(f"DROP TABLE {table}")
        db.execute("PRAGMA user_version = 2")
    with Store.open(path) as store:
        assert store.load_dataset().deals == [as_stored(_deal("d1", 1), SYNCED)]
        assert _snapshot_generation(store) == 0
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


_IDS = st.sampled_from(["a", "b", "c", "d"])
_STAGE_IDS = st.sampled_from(["s0", "s1", "s2", "s3"])
_SOURCES = st.sampled_from(["crm", "other"])
_OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("deal"), _SOURCES, _IDS, st.integers(0, 3)),
        st.tuples(st.just("ticket"), _SOURCES, _IDS, st.integers(0, 3)),
        st.tuples(st.just("survey"), _SOURCES, _IDS, st.integers(0, 10)),
        st.tuples(st.just("subscription"), _SOURCES, _IDS, st.integers(0, 3)),
        st.tuples(st.just("contact"), _SOURCES, _IDS, st.integers(0, 3)),
        st.tuples(st.just("stage"), _SOURCES, _STAGE_IDS, st.integers(0, 8)),
        st.tuples(st.just("campaigns"), _SOURCES, st.integers(0, 3)),
        st.tuples(
            st.just("delete"),
            st.sampled_from(["deal", "ticket", "survey", "contact"]),
            _SOURCES,
            _IDS,
        ),
        st.tuples(st.just("delete"), st.just("stage"), _SOURCES, _STAGE_IDS),
        st.just(("load",)),
    ),
    max_size=25,
)

_LABELS = ("Sales", "Upsell", " UPSELL ")
"""Stage versions' pipeline titles: the last two are the upsell title `crm` names."""
_FLAGS = ((False, False), (True, True), (True, False))
"""Stage versions' closed and won flags: open, won, lost."""
_CAMPAIGN_LISTS: tuple[dict[str, str], ...] = (
    {},
    {"k0": "Alpha"},
    {"k0": "Beta", "k1": "Alpha"},
    {"k1": "Gamma"},
)
"""Campaign list versions: a deal's campaign field holds id `k0` or `k1` by its version."""


def _pipeline(version: int) -> str:
    """Deal versions 0 and 1, in stages s0 and s1, are in p1; the others in p2."""
    return "p1" if version < 2 else "p2"


def _key(kind: str, record_id: str) -> str:
    if kind == "stage":
        return stage_key(_pipeline(int(record_id[1:])), record_id)
    return record_id


def _record(kind: str, source: str, record_id: str, version: int) -> Record:
    if kind == "deal":
        return _deal_of(source, record_id, version)
    if kind == "stage":
        closed, won = _FLAGS[version // 3]
        pipeline_id = _pipeline(int(record_id[1:]))
        label = _LABELS[version % 3]
        return Stage(source, pipeline_id, label, record_id, record_id, 0, None, closed, won)
    if kind == "contact":
        return Contact(
            source, record_id, _at(0), lead_source=f"from {version}" if version else None
        )
    if kind == "ticket":
        return Ticket(source, record_id, _at(0), _at(version) if version else None, f"o{version}")
    if kind == "survey":
        return SurveyResponse(source, record_id, version, _at(version))
    action = "subscribe" if version % 2 else "unsubscribe"
    return SubscriptionEvent(source, record_id, "news", action, _at(version))


def _deal_of(source: str, record_id: str, version: int) -> Deal:
    """Odd versions name a contact and have no lead source of their own; version 1 has an
    expected close date, 2 is lost, and 3 is an upsell of its own with no stage history."""
    deal = replace(
        _deal(record_id, version, source),
        pipeline_id=_pipeline(version),
        lead_source=None if version % 2 else f"own {version}",
        contact_id={1: "a", 3: "b"}.get(version),
        kind="upsell" if version == 3 else "new",
        expected_close_at=_at(9) if version == 1 else None,
        campaign=f"k{version % 2}",
    )
    if version == 2:
        return replace(deal, status="lost", closed_at=_at(5))
    return replace(deal, stage_history=()) if version == 3 else deal


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=_OPERATIONS)
# a pipeline renamed to the upsell title, then its only stage gone, after its deal was snapshotted
@example(
    operations=[
        ("deal", "crm", "a", 0),
        ("stage", "crm", "s0", 0),
        ("load",),
        ("stage", "crm", "s0", 2),
        ("load",),
        ("delete", "stage", "crm", "s0"),
    ]
)
# a stage won, then lost, after its deal was snapshotted; a deal with no time to close at
@example(
    operations=[
        ("deal", "crm", "a", 0),
        ("stage", "crm", "s0", 0),
        ("load",),
        ("stage", "crm", "s0", 3),
        ("load",),
        ("stage", "crm", "s0", 6),
        ("load",),
        ("deal", "crm", "b", 3),
        ("stage", "crm", "s3", 4),
    ]
)
# a campaign named, renamed, then gone from the list, after its deal was snapshotted
@example(
    operations=[
        ("deal", "crm", "a", 0),
        ("campaigns", "crm", 1),
        ("load",),
        ("campaigns", "crm", 2),
        ("load",),
        ("campaigns", "crm", 3),
    ]
)
# a contact's lead source filled in, then its contact gone, after its deal was snapshotted
@example(
    operations=[
        ("deal", "crm", "c", 1),
        ("load",),
        ("contact", "crm", "a", 2),
        ("load",),
        ("delete", "contact", "crm", "a"),
    ]
)
def test_every_load_equals_the_live_records(tmp_path: Path, operations: list[tuple]) -> None:  # type: ignore[type-arg]
    """Whatever was stored, changed and deleted between loads, a load gives the live records.

    Source `crm` leaves its deals' lead source, kind, status and campaign to the store,
    `other` does not.
    """
    live: dict[tuple[str, str, str], Record] = {}
    lists: dict[str, dict[str, str]] = {}
    with Store.open(tmp_path / f"{abs(hash(str(operations)))}.db") as store:
        store.derive("crm", {"lead_source", "kind", "status", "campaign"}, {"upsell"})
        store.derive("other", set(), {"upsell"})
        for operation in operations:
            if operation[0] == "load":
                _check(store, live, lists)
            elif operation[0] == "campaigns":
                _, source, version = operation
                names = _CAMPAIGN_LISTS[version]
                store.commit_page(source, Page("c", "deal", campaigns=names), synced_at=SYNCED)
                lists[source] = names
            elif operation[0] == "delete":
                _, kind, source, record_id = operation
                key = _key(kind, record_id)
                store.commit_page(source, _page(kind, deleted=frozenset({key})), synced_at=SYNCED)
                live.pop((kind, source, key), None)
            else:
                kind, source, record_id, version = operation
                record = _record(kind, source, record_id, version)
                store.commit_page(source, _page(kind, record), synced_at=SYNCED)
                live[(kind, source, record.id)] = record
        _check(store, live, lists)


def _check(
    store: Store, live: dict[tuple[str, str, str], Record], lists: dict[str, dict[str, str]]
) -> None:
    data = store.load_dataset()
    for kind, loaded in (
        ("deal", data.deals),
        ("ticket", data.tickets),
        ("survey", data.surveys),
        ("subscription", data.subscriptions),
    ):
        keys = sorted(k for k in live if k[0] == kind)
        expected = [_derived(live[key], live, lists.get(key[1], {})) for key in keys]
        assert without_versions(loaded) == expected, kind
    plain = Dataset.of_columns((), (), load_columns(store._db))
    assert [deal.versions for deal in data.deals] == [deal.versions for deal in plain.deals]


def _derived(
    record: Record, live: dict[tuple[str, str, str], Record], names: dict[str, str]
) -> Record:
    """A deal of `crm` as the KPIs read it: its contact's lead source unless it has its own,
    an upsell in a pipeline titled "upsell" by any of its live stages, won, lost or open by
    its live stage's flags, when closed at a time it can have closed, and of the campaign
    the source's last list names for its campaign id, else of the id."""
    if not isinstance(record, Deal) or record.source != "crm":
        return record
    campaign = record.campaign or ""
    record = replace(record, campaign=names.get(campaign, campaign))
    if record.lead_source is None:
        contact = live.get(("contact", record.source, record.contact_id or ""))
        assert contact is None or isinstance(contact, Contact)
        record = replace(record, lead_source=None if contact is None else contact.lead_source)
    stages = [
        stage
        for stage in live.values()
        if isinstance(stage, Stage)
        and (stage.source, stage.pipeline_id) == (record.source, record.pipeline_id)
    ]
    if "upsell" in {title_key(stage.pipeline_label) for stage in stages}:
        record = replace(record, kind="upsell")
    return _status(record, [s for s in stages if s.stage_id == record.stage_id])


def _status(deal: Deal, stages: list[Stage]) -> Deal:
    if not stages:
        return deal
    (stage,) = stages
    if not stage.is_closed:
        return replace(deal, status="open", closed_at=None)
    entered = [v.entered_at for v in deal.stage_history if v.stage_id == deal.stage_id]
    close = deal.closed_at or deal.expected_close_at or (entered[-1] if entered else None)
    if close is None:
        return deal
    return replace(deal, status="won" if stage.is_won else "lost", closed_at=close)


def test_a_read_only_store_still_loads(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A store that cannot take a snapshot loads all the same, with a warning that says so."""
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        store.commit_page("crm", _page("deal", _deal("d1", 1)), synced_at=SYNCED)
    with Store.open(path) as store:
        store._db.execute("PRAGMA query_only = ON")
        assert store.load_dataset().deals == [as_stored(_deal("d1", 1), SYNCED)]
    assert "columnar snapshot not saved" in caplog.text


@pytest.mark.parametrize(
    "texts",
    [[], [""], [None], ["a", None, "", "Zoë"], ["unit\x1fseparator", None, "b"]],
    ids=["none", "one empty", "one unset", "mixed", "holding the separator"],
)
def test_text_survives_the_snapshot(texts: list[str | None]) -> None:
    """Text comes back as it went in: unset, empty, non-ASCII, or holding the separator."""
    parts = snapshot._texts("t", texts)
    assert snapshot._untexts(parts, "t") == texts


@pytest.mark.parametrize(
    "blob",
    [b"not an archive", snapshot.encode(Columns()).replace(b"deals.id", b"deals.ix")],
    ids=["damaged", "other layout"],
)
def test_a_snapshot_that_cannot_be_read_is_taken_again(
    store: Store, blob: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """A damaged snapshot, or one of other columns (another version), is read past and replaced."""
    store.commit_page("crm", _page("deal", _deal("d1", 1)), synced_at=SYNCED)
    with store._transaction() as db:
        assert changes.replace_snapshot(db, changes.current(db), blob)
    assert store.load_dataset().deals == [as_stored(_deal("d1", 1), SYNCED)]
    assert "reading every row instead" in caplog.text
    found = changes.snapshot(store._db)
    assert found is not None and snapshot.decode(found[1]).deals.id == ["d1"]
