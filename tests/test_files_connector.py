"""The files connector: a folder of CSV files read into normalized records, page by page."""

from __future__ import annotations

import csv
import io
import json
import logging
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.base import Page
from connectors.files import FilesConnector
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
from sync.store import Store

COMPLETE = Path(__file__).parent / "fixtures" / "files" / "complete"
LOGGER = "connectors.files"
DEAL_COLUMNS = [
    "id",
    "name",
    "pipeline_id",
    "stage_id",
    "status",
    "amount",
    "currency",
    "owner_id",
    "contact_id",
    "source",
    "kind",
    "lost_reason",
    "campaign",
    "created_at",
    "closed_at",
    "expected_close_at",
    "probability",
]
SYNCED = datetime(2026, 11, 1, tzinfo=UTC)


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _pull(
    folder: Path, cursors: Mapping[str, str] | None = None, page_size: int = 1000
) -> list[Page]:
    return list(FilesConnector(folder, page_size=page_size).pull(cursors or {}))


def _records(pages: list[Page], kind: str) -> list[Record]:
    return [item.record for page in pages if page.kind == kind for item in page.items]


def _ids(pages: list[Page], kind: str) -> list[str]:
    return [record.id for record in _records(pages, kind)]


def _cursors(pages: list[Page]) -> dict[str, str]:
    return {page.stream: page.cursor for page in pages if page.cursor is not None}


def _deals_csv(*deals: Mapping[str, str]) -> str:
    """deals.csv text; a deal is open in stage qualify unless its fields say otherwise."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, DEAL_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for deal in deals:
        defaults = {"pipeline_id": "sales", "stage_id": "qualify", "status": "open"}
        writer.writerow({**defaults, "created_at": "2026-05-01T00:00:00Z", **deal})
    return buffer.getvalue()


def _ids_csv(*ids: str) -> str:
    """owners.csv text with one owner per id."""
    return "id,name,email\n" + "".join(f"{i},Owner {i},\n" for i in ids)


def _logged(caplog: pytest.LogCaptureFixture, level: int = logging.WARNING) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == level]


EXPECTED: dict[str, list[Record]] = {
    "owner": [
        Owner("files", "o1", "Ada Lovelace", "ada@example.com"),
        Owner("files", "o2", "", "bob@example.com"),
    ],
    "stage": [
        Stage("files", "sales", "Sales", "qualify", "Qualify", 1, 0.2, False, False),
        Stage("files", "sales", "Sales", "won", "Closed won", 2, 1.0, True, True),
        Stage("files", "sales", "sales", "lost", "lost", 3, 0.0, True, False),
    ],
    "contact": [
        Contact("files", "c1", _utc(2026, 1, 5, 8), "ann@example.com", "webinar"),
        Contact("files", "c2", _utc(2026, 2, 1), churned_at=_utc(2026, 9, 30, 22, 30)),
    ],
    "deal": [
        Deal(
            source="files",
            id="d1",
            pipeline_id="sales",
            stage_id="won",
            status="won",
            created_at=_utc(2026, 3, 1, 9),
            name="Acme renewal",
            amount=Decimal("1234.50"),
            currency="EUR",
            owner_id="o1",
            contact_id="c1",
            lead_source="webinar",
            kind="upsell",
            campaign="spring",
            closed_at=_utc(2026, 4, 15, 10),
            stage_history=(
                StageVisit("qualify", _utc(2026, 3, 1, 9), _utc(2026, 4, 15, 10)),
                StageVisit("won", _utc(2026, 4, 15, 10)),
            ),
        ),
        Deal(
            source="files",
            id="d2",
            pipeline_id="sales",
            stage_id="qualify",
            status="open",
            created_at=_utc(2026, 5, 1, 8),
            expected_close_at=_utc(2026, 11, 30),
            probability=0.4,
        ),
        Deal(
            source="files",
            id="d3",
            pipeline_id="sales",
            stage_id="lost",
            status="lost",
            created_at=_utc(2026, 6, 1),
            name="Globex, Inc.",
            amount=Decimal("99.99"),
            currency="USD",
            owner_id="o2",
            contact_id="c2",
            lost_reason="price",
            closed_at=_utc(2026, 6, 20),
            stage_history=(
                StageVisit("qualify", _utc(2026, 6, 1), _utc(2026, 6, 20)),
                StageVisit("lost", _utc(2026, 6, 20)),
            ),
        ),
    ],
    "ticket": [
        Ticket("files", "t1", _utc(2026, 10, 2, 14), _utc(2026, 10, 5, 8), "o1", 3, "support"),
        Ticket("files", "t2", _utc(2026, 10, 6, 9)),
    ],
    "subscription": [
        SubscriptionEvent("files", "c1", "newsletter", "subscribe", _utc(2026, 1, 5, 9)),
        SubscriptionEvent("files", "c1", "newsletter", "unsubscribe", _utc(2026, 8, 1, 12)),
    ],
    "survey": [
        SurveyResponse("files", "s1", 9, _utc(2026, 10, 10, 10), "c1"),
        SurveyResponse("files", "s2", 0, _utc(2026, 10, 11, 10)),
    ],
}


@pytest.mark.parametrize("kind", list(EXPECTED), ids=list(EXPECTED))
def test_complete_export_parses_every_file(kind: str) -> None:
    """Every file of the export becomes the records its rows describe, in UTC, nulls for blanks."""
    assert _records(_pull(COMPLETE), kind) == EXPECTED[kind]


def test_raw_payload_keeps_the_row_its_line_and_the_deal_history() -> None:
    """A deal's raw payload holds its CSV row, its line and its stage history rows."""
    deal = next(i for p in _pull(COMPLETE) if p.kind == "deal" for i in p.items)
    assert deal.raw["line"] == 2
    assert deal.raw["row"]["amount"] == "1234.50"
    assert [(h["line"], h["row"]["stage_id"]) for h in deal.raw["stage_history"]] == [
        (2, "won"),
        (3, "qualify"),
    ]


def test_unknown_columns_are_ignored() -> None:
    """An extra column (owners.csv has `team`) is kept in the raw row but maps to no field."""
    owner = next(i for p in _pull(COMPLETE) if p.kind == "owner" for i in p.items)
    assert owner.raw["row"]["team"] == "north"
    assert owner.record == EXPECTED["owner"][0]


BAD_ROWS = {
    "bad date": (
        "contacts.csv",
        "id,email,created_at,source,churned_at\n"
        "c1,,2026-13-01T00:00:00Z,,\nc2,,2026-01-01T00:00:00Z,,\n",
        "created_at: '2026-13-01T00:00:00Z' is not a timestamp",
    ),
    "no offset": (
        "contacts.csv",
        "id,email,created_at,source,churned_at\nc1,,2026-01-05T09:00:00,,\n"
        "c2,,2026-01-01T00:00:00Z,,\n",
        "created_at: '2026-01-05T09:00:00' has no UTC offset",
    ),
    "negative amount": (
        "deals.csv",
        _deals_csv({"id": "c1", "amount": "-5"}, {"id": "c2"}),
        "deal 'c1': amount: must not be negative (got -5)",
    ),
    "non-numeric amount": (
        "deals.csv",
        _deals_csv({"id": "c1", "amount": "ten"}, {"id": "c2"}),
        "amount: 'ten' is not a number (write 1234.50, 1234,50 or 1.234,50)",
    ),
    "thousands or decimal comma": (
        "deals.csv",
        _deals_csv({"id": "c1", "amount": "1,234"}, {"id": "c2", "amount": "1234.50"}),
        "deal 'c1': amount: '1,234' is ambiguous (1234 or 1.234?); write 1234 or 1.234",
    ),
    "slash date": (
        "contacts.csv",
        "id,email,created_at,source,churned_at\nc1,,01/02/2026,,\nc2,,2026-01-01T00:00:00Z,,\n",
        "contact 'c1': created_at: '01/02/2026' is ambiguous (day/month or month/day?); dates "
        "are read as 2026-10-31 or 31.10.2026",
    ),
    "closed before created": (
        "deals.csv",
        _deals_csv(
            {"id": "c1", "status": "won", "closed_at": "2026-04-30T23:00:00Z"}, {"id": "c2"}
        ),
        "deal 'c1': closed_at: 2026-04-30T23:00:00+00:00 is before created_at",
    ),
    "unknown status": (
        "deals.csv",
        _deals_csv({"id": "c1", "status": "pending"}, {"id": "c2"}),
        "deal 'c1': status: must be one of open, won, lost (got 'pending')",
    ),
    "score 11": (
        "surveys.csv",
        "id,contact_id,score,submitted_at\nc1,,11,2026-10-10T10:00:00Z\n"
        "c2,,10,2026-10-10T10:00:00Z\n",
        "survey 'c1': score: must be between 0 and 10 (got 11)",
    ),
    "unknown action": (
        "subscriptions.csv",
        "contact_id,list,action,at\nc1,news,resubscribe,2026-10-10T10:00:00Z\n"
        "c2,news,subscribe,2026-10-10T10:00:00Z\n",
        "action: must be subscribe or unsubscribe (got 'resubscribe')",
    ),
    "bad boolean": (
        "pipelines.csv",
        "pipeline_id,pipeline_label,stage_id,stage_label,stage_order,probability,is_closed,"
        "is_won\np,P,c1,C1,1,,maybe,\np,P,c2,C2,2,,yes,\n",
        "is_closed: 'maybe' is not a boolean (true/false, 1/0 or yes/no)",
    ),
    "missing id": (
        "tickets.csv",
        "id,created_at,closed_at,owner_id,followups,pipeline\n,2026-10-10T10:00:00Z,,,,\n"
        "c2,2026-10-10T10:00:00Z,,,,\n",
        "id: is required",
    ),
    "short row": (
        "owners.csv",
        "id,name,email\nc1,Ann\nc2,Bob,\n",
        "has 2 values, the header has 3",
    ),
}


@pytest.mark.parametrize(
    ("filename", "content", "reason"), list(BAD_ROWS.values()), ids=list(BAD_ROWS)
)
def test_bad_row_is_skipped_with_a_warning_naming_file_line_and_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, filename: str, content: str, reason: str
) -> None:
    """A row with a bad value is skipped with a warning; the next row still loads."""
    (tmp_path / filename).write_text(content, encoding="utf-8")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    pages = _pull(tmp_path)
    loaded = [item.record for page in pages for item in page.items]
    assert len(loaded) == 1
    assert "c2" in loaded[0].id
    (message,) = _logged(caplog)
    assert message.startswith(f"{tmp_path / filename} line 2: ")
    assert reason in message


def test_line_numbers_count_line_breaks_inside_quoted_cells(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A quoted cell spanning two lines shifts the next row's reported line by one."""
    (tmp_path / "owners.csv").write_text('id,name,email\no1,"Ada\nLovelace",\n,Bob,\n')
    caplog.set_level(logging.WARNING, logger=LOGGER)
    pages = _pull(tmp_path)
    assert _records(pages, "owner") == [Owner("files", "o1", "Ada\nLovelace")]
    (message,) = _logged(caplog)
    assert "owners.csv line 4: id: is required" in message


def test_missing_file_is_no_data_with_an_info_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A folder without tickets.csv yields no tickets and says so at INFO, not as an error."""
    (tmp_path / "owners.csv").write_text(_ids_csv("o1"))
    caplog.set_level(logging.INFO, logger=LOGGER)
    pages = _pull(tmp_path)
    assert _ids(pages, "owner") == ["o1"]
    assert _records(pages, "ticket") == []
    assert any("tickets.csv: not found" in m for m in _logged(caplog, logging.INFO))
    assert _logged(caplog, logging.WARNING) == _logged(caplog, logging.ERROR) == []


def test_missing_columns_skip_the_file_with_one_error_and_keep_the_others(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """deals.csv without amount and currency is skipped with an error naming both columns."""
    header = ",".join(c for c in DEAL_COLUMNS if c not in ("amount", "currency"))
    (tmp_path / "deals.csv").write_text(f"{header}\n")
    (tmp_path / "owners.csv").write_text(_ids_csv("o1"))
    caplog.set_level(logging.INFO, logger=LOGGER)
    pages = _pull(tmp_path)
    assert _ids(pages, "owner") == ["o1"]
    assert [page for page in pages if page.kind == "deal"] == []
    (error,) = _logged(caplog, logging.ERROR)
    assert "deals.csv: header is missing the columns amount, currency; file skipped" in error


def test_stage_history_with_missing_columns_skips_the_deals_too(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Deals are not loaded without the history they would otherwise lose."""
    (tmp_path / "deals.csv").write_text(_deals_csv({"id": "d1"}))
    (tmp_path / "stage_history.csv").write_text("deal_id,stage_id,entered_at\n")
    caplog.set_level(logging.ERROR, logger=LOGGER)
    assert _records(_pull(tmp_path), "deal") == []
    (error,) = _logged(caplog, logging.ERROR)
    assert "stage_history.csv: header is missing the columns exited_at" in error
    assert "deals.csv is skipped too" in error


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""], ids=["with BOM", "without BOM"])
def test_utf8_with_or_without_byte_order_mark(tmp_path: Path, bom: bytes) -> None:
    """The first header is `id` whether or not the file starts with a byte-order mark."""
    (tmp_path / "owners.csv").write_bytes(bom + "id,name,email\nø1,Jørgen,\n".encode())
    assert _records(_pull(tmp_path), "owner") == [Owner("files", "ø1", "Jørgen")]


def test_text_that_is_not_utf8_is_read_as_windows_1252_and_said_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file with an 8-bit ø and € loads as Windows-1252, with an INFO line saying why."""
    (tmp_path / "owners.csv").write_bytes("id,name,email\no1,Jørgen €,\n".encode("cp1252"))
    caplog.set_level(logging.INFO, logger=LOGGER)
    assert _records(_pull(tmp_path), "owner") == [Owner("files", "o1", "Jørgen €")]
    assert any(
        "owners.csv: read as Windows-1252, comma-separated, as it is not UTF-8 (byte f8 on line 2"
        in message
        for message in _logged(caplog, logging.INFO)
    )


def test_text_in_no_encoding_read_is_an_error_for_that_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Bytes that neither UTF-8 nor Windows-1252 define skip the file; the others still load."""
    (tmp_path / "owners.csv").write_bytes(b"id,name,email\no1,J\xf8rgen,\no2,\x81,\n")
    (tmp_path / "surveys.csv").write_text("id,contact_id,score,submitted_at\n")
    caplog.set_level(logging.ERROR, logger=LOGGER)
    pages = _pull(tmp_path)
    assert _records(pages, "owner") == []
    assert [p.live_ids for p in pages if p.stream == "surveys"] == [frozenset()]
    (error,) = _logged(caplog, logging.ERROR)
    assert error.startswith(
        f"{tmp_path / 'owners.csv'}: not UTF-8 (byte f8 on line 2 is not a character there) "
        "and not Windows-1252 (byte 81 on line 3 is not a character there)"
    )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        ("Yes", True),
        ("false", False),
        ("0", False),
        ("no", False),
        ("", False),
    ],
    ids=["true", "TRUE", "1", "yes", "Yes", "false", "0", "no", "empty"],
)
def test_booleans_accept_true_false_one_zero_yes_no(
    tmp_path: Path, cell: str, expected: bool
) -> None:
    """is_closed reads true/false, 1/0, yes/no in any case; empty takes the default, False."""
    (tmp_path / "pipelines.csv").write_text(
        "pipeline_id,pipeline_label,stage_id,stage_label,stage_order,probability,is_closed,"
        f"is_won\np,P,s,S,1,,{cell},\n"
    )
    (stage,) = _records(_pull(tmp_path), "stage")
    assert isinstance(stage, Stage)
    assert stage.is_closed is expected


def test_pages_hold_page_size_items_and_only_the_last_carries_live_ids(tmp_path: Path) -> None:
    """Five owners in pages of two: 2, 2, 1 items; the last page lists all five as live."""
    (tmp_path / "owners.csv").write_text(_ids_csv("a", "b", "c", "d", "e"))
    pages = [p for p in _pull(tmp_path, page_size=2) if p.stream == "owners"]
    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert [p.live_ids for p in pages] == [None, None, frozenset("abcde")]


def test_unchanged_fully_read_file_yields_nothing(tmp_path: Path) -> None:
    """A second pull with the first pull's cursors yields no page for an unchanged folder."""
    shutil.copytree(COMPLETE, tmp_path, dirs_exist_ok=True)
    cursors = _cursors(_pull(tmp_path))
    assert _pull(tmp_path, cursors) == []


def test_changed_file_is_read_again_from_the_start(tmp_path: Path) -> None:
    """Appending an owner makes the next pull yield every owner again, and only owners."""
    (tmp_path / "owners.csv").write_text(_ids_csv("a", "b"))
    cursors = _cursors(_pull(tmp_path))
    (tmp_path / "owners.csv").write_text(_ids_csv("a", "b", "c"))
    pages = _pull(tmp_path, cursors)
    assert _ids(pages, "owner") == ["a", "b", "c"]
    assert {p.stream for p in pages} == {"owners"}


def test_changed_stage_history_reads_the_deals_again(tmp_path: Path) -> None:
    """Deals are re-read when only stage_history.csv changed, with the new history attached."""
    (tmp_path / "deals.csv").write_text(_deals_csv({"id": "d1"}))
    history = "deal_id,stage_id,entered_at,exited_at\n"
    (tmp_path / "stage_history.csv").write_text(history)
    cursors = _cursors(_pull(tmp_path))
    (tmp_path / "stage_history.csv").write_text(history + "d1,qualify,2026-05-01T00:00:00Z,\n")
    (deal,) = _records(_pull(tmp_path, cursors), "deal")
    assert isinstance(deal, Deal)
    assert deal.stage_history == (StageVisit("qualify", _utc(2026, 5, 1)),)


def test_half_read_file_resumes_after_the_last_committed_line(tmp_path: Path) -> None:
    """After a pull stopped past its first page, the next yields the rest and all live ids."""
    (tmp_path / "owners.csv").write_text(_ids_csv("a", "b", "c", "d", "e"))
    first = next(FilesConnector(tmp_path, page_size=2).pull({}))
    assert first.cursor is not None
    pages = _pull(tmp_path, {"owners": first.cursor}, page_size=2)
    owners = [p for p in pages if p.stream == "owners"]
    assert [r.id for p in owners for r in (i.record for i in p.items)] == ["c", "d", "e"]
    assert owners[-1].live_ids == frozenset("abcde")


def test_resumed_pull_does_not_repeat_warnings_of_committed_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A bad row before the resume point was reported by the earlier pull, not again."""
    (tmp_path / "owners.csv").write_text("id,name,email\n,bad,\na,A,\nb,B,\nc,C,\n")
    first = next(FilesConnector(tmp_path, page_size=2).pull({}))
    assert first.cursor is not None
    caplog.clear()
    pages = _pull(tmp_path, {"owners": first.cursor}, page_size=2)
    assert _ids(pages, "owner") == ["c"]
    assert _logged(caplog) == []


def test_full_pull_ignores_the_cursors(tmp_path: Path) -> None:
    """With full=True an unchanged file is read again."""
    (tmp_path / "owners.csv").write_text(_ids_csv("a"))
    cursors = _cursors(_pull(tmp_path))
    pages = list(FilesConnector(tmp_path).pull(cursors, full=True))
    assert _ids(pages, "owner") == ["a"]


def test_cursor_from_elsewhere_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A cursor that is not this connector's reads the file from the start."""
    (tmp_path / "owners.csv").write_text(_ids_csv("a"))
    caplog.set_level(logging.WARNING, logger=LOGGER)
    assert _ids(_pull(tmp_path, {"owners": "after=12345"}), "owner") == ["a"]
    (message,) = _logged(caplog)
    assert "cursor 'after=12345' of owners is not one this connector wrote" in message


def test_cursor_records_content_hash_and_line(tmp_path: Path) -> None:
    """The owners cursor of a three-row file read at once is complete at line 4."""
    (tmp_path / "owners.csv").write_text(_ids_csv("a", "b", "c"))
    cursor = json.loads(_cursors(_pull(tmp_path))["owners"])
    assert cursor["content"].startswith("sha256:")
    assert (cursor["line"], cursor["complete"]) == (4, True)


def test_repeated_id_warns_and_the_later_row_wins(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two rows with one id: a warning, and the second row's values are the ones kept."""
    (tmp_path / "owners.csv").write_text("id,name,email\na,First,\na,Second,\n")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    pages = _pull(tmp_path)
    assert [r.name for r in _records(pages, "owner") if isinstance(r, Owner)] == [
        "First",
        "Second",
    ]
    (message,) = _logged(caplog)
    assert "owners.csv line 3: owner 'a' appears again" in message


def test_bad_stage_history_row_holds_its_deal_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A visit exited before it was entered: d1 is not loaded without it, d2 is; two warnings."""
    (tmp_path / "deals.csv").write_text(_deals_csv({"id": "d1"}, {"id": "d2"}))
    (tmp_path / "stage_history.csv").write_text(
        "deal_id,stage_id,entered_at,exited_at\n"
        "d1,qualify,2026-05-02T00:00:00Z,2026-05-01T00:00:00Z\n"
    )
    caplog.set_level(logging.WARNING, logger=LOGGER)
    pages = _pull(tmp_path)
    assert _ids(pages, "deal") == ["d2"]
    assert [p.live_ids for p in pages if p.kind == "deal"] == [frozenset({"d1", "d2"})]
    visit_warning, deal_warning = _logged(caplog)
    assert (
        "stage_history.csv line 2: deal 'd1': exited_at: 2026-05-01T00:00:00+00:00 is before"
        in visit_warning
    )
    assert "deals.csv line 2: deal 'd1': its stage history has a bad row" in deal_warning


def test_history_of_unknown_deals_is_reported_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """History rows of deals not in deals.csv give one warning naming how many deals."""
    (tmp_path / "deals.csv").write_text(_deals_csv({"id": "d1"}))
    (tmp_path / "stage_history.csv").write_text(
        "deal_id,stage_id,entered_at,exited_at\n"
        "x1,qualify,2026-05-01T00:00:00Z,\nx2,qualify,2026-05-01T00:00:00Z,\n"
    )
    caplog.set_level(logging.WARNING, logger=LOGGER)
    _pull(tmp_path)
    (message,) = _logged(caplog)
    assert "2 deals with stage history are not among the deals loaded from deals.csv" in message


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    """A folder that does not exist fails the pull with its path."""
    with pytest.raises(FileNotFoundError, match="the files connector's folder does not exist"):
        _pull(tmp_path / "nowhere")


def test_page_size_below_one_is_refused(tmp_path: Path) -> None:
    """A page size of zero is refused when the connector is built."""
    with pytest.raises(ValueError, match="page_size must be at least 1"):
        FilesConnector(tmp_path, page_size=0)


def _stored_owner_ids(store: Store) -> list[str]:
    return [owner.id for owner in store.load_dataset().owners]


def _pull_into(store: Store, folder: Path) -> None:
    connector = FilesConnector(folder)
    for page in connector.pull(store.cursors("files")):
        store.commit_page("files", page, synced_at=SYNCED)


def test_row_removed_from_the_file_is_marked_deleted(tmp_path: Path) -> None:
    """After owner b's row is removed, the store holds only a and c."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "owners.csv").write_text(_ids_csv("a", "b", "c"))
    with Store.open(tmp_path / "store.db") as store:
        _pull_into(store, folder)
        (folder / "owners.csv").write_text(_ids_csv("a", "c"))
        _pull_into(store, folder)
        assert _stored_owner_ids(store) == ["a", "c"]


def test_file_removed_from_the_folder_marks_its_records_deleted(tmp_path: Path) -> None:
    """After owners.csv is removed, the store holds no owners, and a third pull yields nothing."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "owners.csv").write_text(_ids_csv("a", "b"))
    with Store.open(tmp_path / "store.db") as store:
        _pull_into(store, folder)
        (folder / "owners.csv").unlink()
        _pull_into(store, folder)
        assert _stored_owner_ids(store) == []
        assert list(FilesConnector(folder).pull(store.cursors("files"))) == []
