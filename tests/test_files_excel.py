"""CSV exports as spreadsheets write them: German Excel's `;`, decimal commas, dotted dates."""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.files import FilesConnector
from connectors.files.layout import HISTORY_FILE, LAYOUTS
from connectors.schema import Deal, Owner, Record

FIXTURES = Path(__file__).parent / "fixtures" / "files"
EXCEL_DE = FIXTURES / "excel_de"
ISO = FIXTURES / "excel_de_iso"
BERLIN = ZoneInfo("Europe/Berlin")
LOGGER = "connectors.files"


def _records(folder: Path) -> dict[str, list[Record]]:
    pages = list(FilesConnector(folder, zone=BERLIN).pull({}))
    records: dict[str, list[Record]] = {}
    for page in pages:
        records.setdefault(page.kind, []).extend(item.record for item in page.items)
    return records


def _reexport(target: Path, encoding: str, delimiter: str) -> Path:
    """The German export saved again the way another Excel format would write it."""
    target.mkdir()
    for filename in [layout.filename for layout in LAYOUTS] + [HISTORY_FILE]:
        with (EXCEL_DE / filename).open(encoding="cp1252", newline="") as source:
            rows = list(csv.reader(source, delimiter=";"))
        with (target / filename).open("w", encoding=encoding, newline="") as out:
            csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return target


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno >= 40]


def test_the_fixture_is_what_german_excel_writes() -> None:
    """Guards the fixture: Windows-1252 bytes (not UTF-8), `;` and CRLF, an umlaut in a name."""
    data = (EXCEL_DE / "owners.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert data.startswith(b"id;name;email\r\n")
    assert "Jürgen Müller".encode("cp1252") in data


def test_german_excel_export_loads_as_its_iso_twin() -> None:
    """`;`, Windows-1252, 1.234,50 and 31.10.2026: the same records as the UTF-8 ISO export."""
    german, iso = _records(EXCEL_DE), _records(ISO)
    assert set(german) == {layout.kind for layout in LAYOUTS}
    assert german == iso


def test_german_excel_export_keeps_umlauts_amounts_and_history() -> None:
    """Spot checks of what the twin comparison proves, so a wrong twin cannot hide a bug."""
    records = _records(EXCEL_DE)
    assert records["owner"][0] == Owner("files", "o1", "Jürgen Müller", "juergen@example.com")
    deals = {deal.id: deal for deal in records["deal"] if isinstance(deal, Deal)}
    assert str(deals["d1"].amount) == "1234.50"
    assert str(deals["d3"].amount) == "12000.00"
    assert deals["d3"].name == "Größe; Weite & Co."
    assert deals["d2"].probability == 0.4
    assert deals["d1"].closed_at is not None
    assert deals["d1"].closed_at.isoformat() == "2026-04-14T22:00:00+00:00"
    assert [visit.stage_id for visit in deals["d1"].stage_history] == ["erstkontakt", "gewonnen"]


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8-sig", ";"), ("utf-16", "\t"), ("utf-8", ",")],
    ids=["CSV UTF-8 (BOM, semicolons)", "Unicode text (UTF-16, tabs)", "UTF-8, commas"],
)
def test_other_spreadsheet_formats_load_the_same_records(
    tmp_path: Path, encoding: str, delimiter: str
) -> None:
    """The export saved as Excel's other text formats loads to the same records."""
    assert _records(_reexport(tmp_path / "export", encoding, delimiter)) == _records(ISO)


def test_a_bare_date_without_a_reporting_time_zone_is_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without the zone, 05.01.2026 cannot be placed: the row is skipped, saying why."""
    caplog.set_level(logging.WARNING, logger=LOGGER)
    pages = list(FilesConnector(EXCEL_DE).pull({}))
    assert [i.record.id for p in pages if p.kind == "contact" for i in p.items] == []
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert any(
        "contacts.csv line 2: contact 'c1': created_at: '05.01.2026' is a date without a time, "
        "and no reporting time zone was given" in message
        for message in messages
    )


@pytest.mark.parametrize(
    ("header", "hint"),
    [
        (
            "id name email",
            "the header row is one column 'id name email': separated by something other than "
            "a comma, semicolon, tab or '|'?",
        ),
        ("ID;Name;E-Mail", "the header row has 'ID', 'Name', 'E-Mail'"),
        (
            "Id;name;email",
            "the header row has 'Id', 'name', 'email': column names are matched exactly, "
            "in lower case",
        ),
    ],
    ids=["spaces", "other names", "capitals"],
)
def test_a_header_that_fits_no_separator_names_the_likely_cause(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, header: str, hint: str
) -> None:
    """The error shows the header as read and what is likely wrong with it."""
    (tmp_path / "owners.csv").write_text(f"{header}\no1 Ann ann@example.com\n")
    caplog.set_level(logging.ERROR, logger=LOGGER)
    list(FilesConnector(tmp_path).pull({}))
    (error,) = _errors(caplog)
    assert error.startswith(f"{tmp_path / 'owners.csv'}: header is missing the columns")
    assert hint in error


def test_utf16_without_a_byte_order_mark_is_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """UTF-16 bytes without a mark read as NUL-riddled UTF-8: the error says what it likely is."""
    (tmp_path / "owners.csv").write_bytes("id\tname\temail\r\no1\tAnn\t\r\n".encode("utf-16-le"))
    caplog.set_level(logging.ERROR, logger=LOGGER)
    list(FilesConnector(tmp_path).pull({}))
    (error,) = _errors(caplog)
    assert "UTF-16 without a byte-order mark?" in error


def test_a_semicolon_file_with_a_cell_holding_commas_picks_the_semicolon(tmp_path: Path) -> None:
    """The separator is chosen by the header's known columns, not by which character is commoner."""
    (tmp_path / "owners.csv").write_text("id;name;email\no1;Müller, Jürgen, Dr.;\n")
    pages = list(FilesConnector(tmp_path).pull({}))
    assert [i.record for p in pages for i in p.items] == [
        Owner("files", "o1", "Müller, Jürgen, Dr.")
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            b"\xef\xbb\xbfid,name,email\no1,J\xf8rgen,\n",
            "starts with a UTF-8 byte-order mark but is not UTF-8 (byte f8 on line 2",
        ),
        (
            b"\xff\xfei\x00d\x00\n\x00\x00\xd8",
            "starts with a UTF-16 byte-order mark but is not UTF-16 (bytes 00 d8 at byte 8",
        ),
    ],
    ids=["UTF-8 mark", "UTF-16 mark"],
)
def test_a_file_that_breaks_its_byte_order_mark_is_skipped_saying_where(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes, reason: str
) -> None:
    """A mark decides the encoding; bytes that break it are named, not read as another."""
    (tmp_path / "owners.csv").write_bytes(content)
    caplog.set_level(logging.ERROR, logger=LOGGER)
    assert [i for p in FilesConnector(tmp_path).pull({}) for i in p.items] == []
    (error,) = _errors(caplog)
    assert error.startswith(f"{tmp_path / 'owners.csv'}: {reason}")
    assert error.endswith("file skipped, the owners loaded from it before are kept")
