"""The store's column load (`sync.store.loading`) and stage visits table (`sync.store.visits`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.base import Page, Pulled
from connectors.schema import Contact, Deal, Record, StageVisit
from kpis.columns import MISSING, micros
from sync.store import SCHEMA_VERSION, Store
from sync.store.instants import parse_instants
from sync.store.tables import STATEMENTS, utc_text
from tests.stored import as_stored

T0 = datetime(2026, 10, 1, 10, tzinfo=UTC)
SYNCED = datetime(2026, 11, 1, tzinfo=UTC)
# the deals table of store version 1, as that version created it
V1_DEALS = (
    'CREATE TABLE "deals" ("source" TEXT NOT NULL, "id" TEXT NOT NULL, "pipeline_id" TEXT '
    'NOT NULL, "stage_id" TEXT NOT NULL, "status" TEXT NOT NULL, "created_at" TEXT NOT NULL, '
    '"name" TEXT, "amount" TEXT, "currency" TEXT, "owner_id" TEXT, "contact_id" TEXT, '
    '"lead_source" TEXT, "kind" TEXT NOT NULL, "lost_reason" TEXT, "campaign" TEXT, '
    '"closed_at" TEXT, "expected_close_at" TEXT, "probability" REAL, "stage_history" TEXT '
    "NOT NULL, raw TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, synced_at TEXT NOT NULL, "
    "PRIMARY KEY (source, id))"
)


def _at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def _page(*records: Record) -> Page:
    return Page(records[0].KIND, records[0].KIND, tuple(Pulled(r, {"id": r.id}) for r in records))


def _deal(deal_id: str, *visits: StageVisit, **fields: object) -> Deal:
    return Deal("crm", deal_id, "p1", "s1", "open", _at(0), stage_history=visits, **fields)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.db") as opened:
        yield opened


def _v1_store(path: Path, history: list[dict[str, str | None]]) -> None:
    """A version 1 store holding one deal whose history is the JSON text version 1 wrote."""
    with sqlite3.connect(path) as db:
        for kind, sql in STATEMENTS.items():
            db.execute(V1_DEALS if kind == "deal" else sql.create)
        db.execute(
            "CREATE TABLE cursors (source TEXT NOT NULL, stream TEXT NOT NULL, cursor TEXT "
            "NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (source, stream))"
        )
        db.execute(
            "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, command TEXT NOT NULL, "
            "started_at TEXT NOT NULL, finished_at TEXT, outcome TEXT NOT NULL, message TEXT, "
            "host TEXT NOT NULL, pid INTEGER NOT NULL, process TEXT NOT NULL)"
        )
        db.execute(
            "INSERT INTO deals (source, id, pipeline_id, stage_id, status, created_at, kind, "
            "stage_history, raw, synced_at) VALUES ('crm', 'd1', 'p1', 's2', 'open', ?, 'new', "
            "?, '{}', ?)",
            (utc_text(_at(0)), json.dumps(history), utc_text(SYNCED)),
        )
        db.execute("PRAGMA user_version = 1")


def test_a_version_1_store_moves_its_json_history_into_visit_rows(tmp_path: Path) -> None:
    """Opening a version 1 store keeps every visit exactly, escaped stage ids included."""
    history: list[dict[str, str | None]] = [
        {"stage_id": 'say "hi"\\', "entered_at": utc_text(_at(0)), "exited_at": utc_text(_at(1))},
        {"stage_id": "s2", "entered_at": utc_text(_at(1)), "exited_at": None},
    ]
    _v1_store(tmp_path / "v1.db", history)
    with Store.open(tmp_path / "v1.db") as store:
        (deal,) = store.load_dataset().deals
    assert deal.stage_history == (
        StageVisit('say "hi"\\', _at(0), _at(1)),
        StageVisit("s2", _at(1), None),
    )
    with sqlite3.connect(tmp_path / "v1.db") as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        columns = [row[1] for row in db.execute("PRAGMA table_info(deals)")]
    assert "stage_history" not in columns


def test_storing_a_deal_again_replaces_its_visits(store: Store) -> None:
    """A deal stored with a shorter history loads with that history only."""
    store.commit_page(
        "crm",
        _page(_deal("d1", StageVisit("s0", _at(0), _at(1)), StageVisit("s1", _at(1)))),
        synced_at=SYNCED,
    )
    store.commit_page("crm", _page(_deal("d1", StageVisit("s1", _at(1)))), synced_at=SYNCED)
    (deal,) = store.load_dataset().deals
    assert deal.stage_history == (StageVisit("s1", _at(1)),)
    assert store.record("crm", "deal", "d1") == replace(deal, versions=())


def test_visits_of_a_deleted_deal_are_not_loaded(store: Store) -> None:
    """A deal marked deleted takes its visits out of the dataset's columns."""
    store.commit_page(
        "crm",
        _page(_deal("d1", StageVisit("s0", _at(0))), _deal("d2", StageVisit("s9", _at(2)))),
        synced_at=SYNCED,
    )
    store.commit_page("crm", Page("deal", "deal", (), deleted=frozenset({"d1"})), synced_at=SYNCED)
    data = store.load_dataset()
    assert [d.id for d in data.deals] == ["d2"]
    assert data.columns.visits.deal.tolist() == [0]
    assert data.columns.visits.stage_id.texts() == ["s9"]


def test_visits_point_at_their_deal_whatever_the_order_they_were_stored_in(store: Store) -> None:
    """Visits of deals stored in several pages load in deal order, each in history order."""
    store.commit_page(
        "crm",
        _page(_deal("d2", StageVisit("a", _at(0), _at(1)), StageVisit("b", _at(1)))),
        synced_at=SYNCED,
    )
    store.commit_page("crm", _page(_deal("d1", StageVisit("c", _at(3)))), synced_at=SYNCED)
    visits = store.load_dataset().columns.visits
    assert visits.deal.tolist() == [0, 1, 1]
    assert visits.stage_id.texts() == ["c", "a", "b"]


@pytest.mark.parametrize(
    "owner_id",
    ["unit\x1fseparator", "record\x1eseparator", "", "=x", "Zoë"],
    ids=["unit separator", "record separator", "empty", "equals sign", "non-ascii"],
)
def test_any_text_loads_exactly(store: Store, owner_id: str) -> None:
    """Text holding the separators, or empty, loads as stored, not split or taken as unset."""
    deal = _deal(f"d{owner_id}", StageVisit(owner_id or "s", _at(0)), owner_id=owner_id)
    other = _deal("z", amount=Decimal("1.50"), currency="USD")
    store.commit_page("crm", _page(deal, other), synced_at=SYNCED)
    expected = [as_stored(record, SYNCED) for record in (deal, other)]
    assert store.load_dataset().deals == sorted(expected, key=lambda d: d.id)


def test_customers_only_loads_the_contacts_of_won_deals(store: Store) -> None:
    """`contacts="customers"` leaves out contacts with no won deal; `all` loads every one."""
    contacts = [Contact("crm", name, _at(0)) for name in ("buyer", "lead", "loser")]
    store.commit_page("crm", _page(*contacts), synced_at=SYNCED)
    won = Deal("crm", "w", "p1", "s9", "won", _at(0), contact_id="buyer", closed_at=_at(1))
    lost = Deal("crm", "l", "p1", "s8", "lost", _at(0), contact_id="loser", closed_at=_at(1))
    store.commit_page("crm", _page(won, lost), synced_at=SYNCED)
    assert [c.id for c in store.load_dataset(contacts="customers").contacts] == ["buyer"]
    assert [c.id for c in store.load_dataset().contacts] == ["buyer", "lead", "loser"]


def test_an_empty_store_loads_empty_columns(store: Store) -> None:
    """No records: every column is empty, and every record sequence too."""
    data = store.load_dataset()
    assert len(data.columns.deals) == len(data.columns.visits) == len(data.columns.tickets) == 0
    assert list(data.deals) == list(data.subscriptions) == []


@given(
    st.lists(
        st.one_of(
            st.none(),
            # hypothesis takes naive bounds and adds the zone itself
            st.datetimes(
                min_value=datetime(1000, 1, 1),  # noqa: DTZ001
                max_value=datetime(9999, 12, 31),  # noqa: DTZ001
                timezones=st.just(UTC),
            ),
        ),
        max_size=20,
    )
)
def test_parse_instants_reads_what_utc_text_writes(values: list[datetime | None]) -> None:
    """Any instants (and unset ones, as spaces) parse to their exact microseconds."""
    text = "".join(" " * 32 if value is None else utc_text(value) for value in values)
    expected = [MISSING if value is None else micros(value) for value in values]
    assert parse_instants(text, len(values)).tolist() == expected


def test_parse_instants_reads_an_odd_layout_one_by_one() -> None:
    """A value not in `utc_text`'s exact layout (a space for the T) is still read right."""
    odd = "2026-10-01 09:30:00.000001+00:00"
    text = utc_text(T0) + odd
    parsed = parse_instants(text, 2)
    assert parsed.tolist() == [micros(T0), micros(datetime(2026, 10, 1, 9, 30, 0, 1, UTC))]
    assert parsed.dtype == np.int64
