"""A bad cell, a bad row or a bad file in a CSV export never deletes what the store holds."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.files import FilesConnector
from connectors.files.layout import DEALS
from connectors.schema import Deal, StageVisit
from sync.pull import pull
from sync.store import Store

LOGGER = "connectors.files"
SYNCED = datetime(2026, 11, 1, 6, tzinfo=UTC)
HISTORY_HEADER = "deal_id,stage_id,entered_at,exited_at\n"
GOOD_HISTORY = (
    HISTORY_HEADER + "d1,qualify,2026-05-01T00:00:00Z,2026-05-10T00:00:00Z\n"
    "d1,proposal,2026-05-10T00:00:00Z,\n"
    "d2,qualify,2026-05-02T00:00:00Z,\n"
)


def _deals_csv(*deals: Mapping[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, DEALS.headers, lineterminator="\n")
    writer.writeheader()
    for deal in deals:
        defaults = {"pipeline_id": "sales", "stage_id": "qualify", "status": "open"}
        writer.writerow({**defaults, "created_at": "2026-05-01T00:00:00Z", **deal})
    return buffer.getvalue()


GOOD_DEALS = _deals_csv(
    {"id": "d1", "name": "Acme", "amount": "100", "stage_id": "proposal"},
    {"id": "d2", "name": "Globex", "amount": "200"},
    {"id": "d3", "name": "Initech", "amount": "300"},
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.db") as opened:
        yield opened


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    return folder


def _pull(store: Store, folder: Path, page_size: int = 1000) -> None:
    connector = FilesConnector(folder, page_size=page_size)
    pull(store, [connector], full=False, now=lambda: SYNCED)


def _deals(store: Store) -> dict[str, Deal]:
    """The stored live deals d1 to d3 with their visits, as `Store.record` reads them."""
    stored = {i: store.record("files", Deal.KIND, i) for i in ("d1", "d2", "d3")}
    return {i: deal for i, deal in stored.items() if isinstance(deal, Deal)}


def _loaded_deal_ids(store: Store) -> list[str]:
    return sorted(deal.id for deal in store.load_dataset().deals)


def _warnings(caplog: pytest.LogCaptureFixture, level: int = logging.WARNING) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == level]


def test_a_bad_cell_keeps_the_stored_deal_as_it_was(
    store: Store, export: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """d2's amount turns -5: the row is skipped, d2 stays stored, unchanged and counted."""
    (export / "deals.csv").write_text(GOOD_DEALS)
    _pull(store, export)
    before = _deals(store)
    (export / "deals.csv").write_text(
        _deals_csv(
            {"id": "d1", "name": "Acme", "amount": "150", "stage_id": "proposal"},
            {"id": "d2", "name": "Globex renamed", "amount": "-5"},
            {"id": "d3", "name": "Initech", "amount": "300"},
        )
    )
    caplog.set_level(logging.WARNING, logger=LOGGER)
    _pull(store, export)
    after = _deals(store)
    assert after["d2"] == before["d2"]
    assert after["d1"].amount == Decimal("150")
    assert _loaded_deal_ids(store) == ["d1", "d2", "d3"]
    (warning,) = _warnings(caplog)
    assert f"{export / 'deals.csv'} line 3: deal 'd2': amount: must not be negative" in warning
    assert "kept as it was" in warning


def test_a_row_whose_id_cannot_be_read_turns_the_sweep_off(
    store: Store, export: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """d2's row loses its id and d3's row is gone: neither is marked deleted this time."""
    (export / "deals.csv").write_text(GOOD_DEALS)
    _pull(store, export)
    (export / "deals.csv").write_text(
        _deals_csv({"id": "d1", "amount": "100", "stage_id": "proposal"}, {"id": "", "amount": "5"})
    )
    caplog.set_level(logging.WARNING, logger=LOGGER)
    _pull(store, export)
    assert _loaded_deal_ids(store) == ["d1", "d2", "d3"]
    (warning,) = _warnings(caplog)
    assert "deals.csv line 3: id: is required" in warning
    assert "no deal is marked deleted from deals.csv this time" in warning


def test_a_row_that_does_not_fit_the_header_turns_the_sweep_off(store: Store, export: Path) -> None:
    """A row with a cell too many may hold any id in any column, so nothing is swept."""
    (export / "owners.csv").write_text("id,name,email\na,A,\nb,B,\n")
    _pull(store, export)
    (export / "owners.csv").write_text("id,name,email\na,A,\nGlobex, Inc.,b,\n")
    _pull(store, export)
    assert sorted(o.id for o in store.load_dataset().owners) == ["a", "b"]


def test_the_sweep_comes_back_once_the_file_is_fixed(store: Store, export: Path) -> None:
    """After the bad row is fixed, a row removed from the file is marked deleted again."""
    (export / "owners.csv").write_text("id,name,email\na,A,\nb,B,\nc,C,\n")
    _pull(store, export)
    (export / "owners.csv").write_text("id,name,email\na,A,\n,B,\n")
    _pull(store, export)
    assert sorted(o.id for o in store.load_dataset().owners) == ["a", "b", "c"]
    (export / "owners.csv").write_text("id,name,email\na,A,\nb,B,\n")
    _pull(store, export)
    assert sorted(o.id for o in store.load_dataset().owners) == ["a", "b"]


def test_a_bad_row_before_the_resume_point_still_turns_the_sweep_off(
    store: Store, export: Path
) -> None:
    """A pull resumed after an unkeyed row (committed earlier) does not sweep either."""
    (export / "owners.csv").write_text("id,name,email\na,A,\nb,B,\nz,Z,\n")
    _pull(store, export)
    (export / "owners.csv").write_text("id,name,email\n,nameless,\na,A,\nb,B,\n")
    connector = FilesConnector(export, page_size=1)
    first = next(connector.pull(store.cursors("files")))
    store.commit_page("files", first, synced_at=SYNCED)
    _pull(store, export, page_size=1)
    assert sorted(o.id for o in store.load_dataset().owners) == ["a", "b", "z"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"id,name\na,A\n", "header is missing the columns email"),
        (b"", "header is missing the columns id, name, email"),
        (b"id,name,email\na,A,\xff\x81\n", "not UTF-8"),
    ],
    ids=["missing column", "empty", "undecodable"],
)
def test_a_file_skipped_whole_keeps_what_it_held(
    store: Store, export: Path, caplog: pytest.LogCaptureFixture, content: bytes, reason: str
) -> None:
    """A file that cannot be read as a whole marks none of its stored records deleted."""
    (export / "owners.csv").write_text("id,name,email\na,A,\nb,B,\n")
    _pull(store, export)
    (export / "owners.csv").write_bytes(content)
    caplog.set_level(logging.ERROR, logger=LOGGER)
    _pull(store, export)
    assert sorted(o.id for o in store.load_dataset().owners) == ["a", "b"]
    (error,) = _warnings(caplog, logging.ERROR)
    assert reason in error
    assert "owners.csv" in error


def test_a_file_that_is_a_folder_is_skipped_and_keeps_what_it_held(
    store: Store, export: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """owners.csv replaced by a folder cannot be opened: an error, the owners stay."""
    (export / "owners.csv").write_text("id,name,email\na,A,\n")
    (export / "surveys.csv").write_text("id,contact_id,score,submitted_at\n")
    _pull(store, export)
    (export / "owners.csv").unlink()
    (export / "owners.csv").mkdir()
    (export / "surveys.csv").write_text(
        "id,contact_id,score,submitted_at\ns1,,9,2026-10-10T10:00:00Z\n"
    )
    caplog.set_level(logging.ERROR, logger=LOGGER)
    _pull(store, export)
    dataset = store.load_dataset()
    assert [o.id for o in dataset.owners] == ["a"]
    assert [s.id for s in dataset.surveys] == ["s1"]
    (error,) = _warnings(caplog, logging.ERROR)
    assert "owners.csv: cannot be read" in error


def test_a_file_that_fails_midway_never_sweeps(
    store: Store, export: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A cell past the CSV field limit stops the file after its first page; nothing is swept."""
    (export / "owners.csv").write_text("id,name,email\na,A,\nb,B,\nc,C,\n")
    _pull(store, export)
    huge = "x" * (csv.field_size_limit() + 1)
    (export / "owners.csv").write_text(f"id,name,email\na,A,\nb,{huge},\n")
    caplog.set_level(logging.ERROR, logger=LOGGER)
    _pull(store, export, page_size=1)
    assert sorted(o.id for o in store.load_dataset().owners) == ["a", "b", "c"]
    (error,) = _warnings(caplog, logging.ERROR)
    assert "owners.csv: unreadable at or after line 3" in error
    assert "nothing is marked deleted" in error


def test_a_bad_history_row_keeps_the_deal_and_its_visits(
    store: Store, export: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """d1's history gains a bad row: d1 (visits included) is kept as stored, d2 updates."""
    (export / "deals.csv").write_text(GOOD_DEALS)
    (export / "stage_history.csv").write_text(GOOD_HISTORY)
    _pull(store, export)
    before = _deals(store)
    assert len(before["d1"].stage_history) == 2
    (export / "deals.csv").write_text(GOOD_DEALS.replace("Globex", "Globex AG"))
    (export / "stage_history.csv").write_text(
        GOOD_HISTORY + "d1,won,2026-06-01T00:00:00Z,not a date\n"
    )
    caplog.set_level(logging.WARNING, logger=LOGGER)
    _pull(store, export)
    after = _deals(store)
    assert after["d1"] == before["d1"]
    assert after["d2"].name == "Globex AG"
    assert _loaded_deal_ids(store) == ["d1", "d2", "d3"]
    history_warning, deal_warning = _warnings(caplog)
    assert "stage_history.csv line 5: deal 'd1': exited_at: 'not a date'" in history_warning
    assert "deals.csv line 2: deal 'd1': its stage history has a bad row" in deal_warning
    assert "stage_history.csv line 5" in deal_warning


def test_a_history_row_without_a_deal_id_holds_every_deal_back(
    store: Store, export: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A visit that could be any deal's: deals.csv is not loaded, stored deals stay as they were."""
    (export / "deals.csv").write_text(GOOD_DEALS)
    (export / "stage_history.csv").write_text(GOOD_HISTORY)
    _pull(store, export)
    before = _deals(store)
    (export / "deals.csv").write_text(GOOD_DEALS.replace("Globex", "Globex AG"))
    (export / "stage_history.csv").write_text(GOOD_HISTORY + ",qualify,2026-06-01T00:00:00Z,\n")
    caplog.set_level(logging.ERROR, logger=LOGGER)
    _pull(store, export)
    assert _deals(store) == before
    (error,) = _warnings(caplog, logging.ERROR)
    assert "stage_history.csv line 5: deal_id: is required" in error
    assert "deals.csv is skipped" in error


def test_history_skipped_whole_keeps_the_deals_and_their_visits(store: Store, export: Path) -> None:
    """A stage_history.csv that is not text holds deals.csv back: visits are not wiped."""
    (export / "deals.csv").write_text(GOOD_DEALS)
    (export / "stage_history.csv").write_text(GOOD_HISTORY)
    _pull(store, export)
    before = _deals(store)
    (export / "stage_history.csv").write_bytes(GOOD_HISTORY.encode() + b"\x81\xff\n")
    _pull(store, export)
    assert _deals(store) == before
    assert before["d1"].stage_history[0] == StageVisit(
        "qualify", datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 10, tzinfo=UTC)
    )
