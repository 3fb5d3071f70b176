"""Google Sheets in the run: `crmkpi sync` and `doctor` with a [sheets] section, the Inputs tab."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import responses
from typer.testing import CliRunner

from sync.cli import app
from sync.config import ConfigError, load_config, parse_config
from sync.doctor import run_checks
from sync.outputs.inputs import INPUTS
from sync.outputs.sheets.cells import sheet_value
from sync.outputs.xlsx import read_tab
from sync.run import kpi_settings
from sync.secrets import GOOGLE_APPLICATION_CREDENTIALS
from tests.fixtures.sheets.fake import FakeSheet, Tab
from tests.fixtures.sheets.keys import EMAIL, fake_token_endpoint, write_key

EXPORT = Path(__file__).resolve().parent / "fixtures" / "cli_export"
SHEET_ID = "fake-spreadsheet-0001"

CONFIG = f"""
[reporting]
timezone = "Europe/Berlin"
currency = "EUR"
[currency.rates]
USD = 0.92
[connectors.files]
path = "export"
[xlsx]
path = "out/kpis.xlsx"
[sheets]
spreadsheet_id = "https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=0"
credentials_file = "service-account.json"
"""


def _setup(tmp_path: Path, fake: FakeSheet, config: str = CONFIG) -> Path:
    shutil.copytree(EXPORT, tmp_path / "export")
    write_key(tmp_path)
    path = tmp_path / "crmkpi.toml"
    path.write_text(config, encoding="utf-8")
    fake_token_endpoint()
    fake.install()
    return path


def _comparable(rows: list[list[object]]) -> list[list[object]]:
    """Rows as the sheet stores them: serial dates, floats, no trailing empty cells or rows."""
    table = []
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, datetime):
                value = sheet_value(value.replace(tzinfo=UTC))
            elif isinstance(value, date):
                value = sheet_value(value)
            elif value is None:
                value = ""
            elif isinstance(value, str) and value.startswith("=SPARKLINE("):
                # a formula in Sheets, a drawing over an empty cell in the .xlsx
                value = ""
            # an .xlsx keeps 15 significant digits of a float, and instants to the millisecond
            cells.append(round(float(value), 6) if isinstance(value, int | float) else value)
        while cells and cells[-1] == "":
            cells.pop()
        table.append(cells)
    while table and not table[-1]:
        table.pop()
    return table


@responses.activate
def test_sync_writes_the_sheet_tab_for_tab_as_the_workbook(tmp_path: Path) -> None:
    """`crmkpi sync` publishes every tab to the sheet with the same cells as the .xlsx."""
    fake = FakeSheet()
    config = _setup(tmp_path, fake)
    result = CliRunner().invoke(app, ["--config", str(config), "sync"])
    assert result.exit_code == 0, result.stderr
    assert f"docs.google.com/spreadsheets/d/{SHEET_ID}" in result.stdout
    workbook = tmp_path / "out" / "kpis.xlsx"
    tabs = [tab.title for tab in fake.tabs if tab.title != "Sheet1"]
    assert tabs == ["Dashboard", "KPIs", "Goals", "Pipeline", "Pipeline changes",
                    "Sales performance", "Lost deals", "Forecast", INPUTS]  # fmt: skip
    for title in tabs:
        xlsx = read_tab(workbook, title)
        assert xlsx is not None
        assert _comparable(fake.values(title)) == _comparable(xlsx), title
    assert [kind for kind, _ in fake.calls] == ["metadata", "batchUpdate", "values"]
    before = fake.snapshot()
    again = CliRunner().invoke(app, ["--config", str(config), "sync"])
    assert again.exit_code == 0, again.stderr
    assert [kind for kind, _ in fake.calls[3:]] == ["metadata", "read", "batchUpdate", "values"]
    assert [tab["title"] for tab in fake.snapshot()] == [tab["title"] for tab in before]


@responses.activate
def test_spend_typed_into_the_sheet_feeds_the_kpis_and_bad_cells_are_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Inputs rows are read every run; a bad cell is reported by address, the rest used."""
    typed = {
        (0, 0): "month", (0, 1): "amount", (0, 2): "currency", (0, 3): "note",
        (1, 0): "2026-09", (1, 1): 800,
        (3, 0): "2026-10", (3, 1): 1200.5, (3, 2): "usd",
        (4, 0): "2026-11", (4, 1): "abc",
    }  # fmt: skip
    fake = FakeSheet(tabs=[Tab(sheet_id=3, title=INPUTS, cells=typed)])
    config = load_config(_setup(tmp_path, fake))
    with caplog.at_level(logging.WARNING):
        settings = kpi_settings(config)
    spend = {entry.month: (entry.amount, entry.currency) for entry in settings.spend}
    assert spend == {
        date(2026, 9, 1): (Decimal("800"), None),
        date(2026, 10, 1): (Decimal("1200.5"), "USD"),
    }
    assert "Inputs!B5: 'abc' is not an amount in the Google Sheet" in caplog.text


@responses.activate
def test_doctor_checks_the_key_the_sheet_and_write_access(tmp_path: Path) -> None:
    """Three lines: the key and its e-mail, the sheet's title, the right to edit it."""
    fake = FakeSheet()
    checks = {check.name: check for check in run_checks(_setup(tmp_path, fake), now=_now())}
    assert checks["sheets key"].ok
    assert EMAIL in checks["sheets key"].detail
    assert checks["sheet"].ok
    assert "'CRM KPIs'" in checks["sheet"].detail
    assert checks["sheet write access"].ok
    assert fake.title == "CRM KPIs"


@responses.activate
def test_doctor_says_whom_to_share_a_read_only_sheet_with(tmp_path: Path) -> None:
    """A sheet shared read-only fails the write check, with the e-mail to make an Editor."""
    fake = FakeSheet(access="read")
    checks = {check.name: check for check in run_checks(_setup(tmp_path, fake), now=_now())}
    assert checks["sheet"].ok
    assert not checks["sheet write access"].ok
    assert f"add {EMAIL} as an Editor" in checks["sheet write access"].fix


@responses.activate
def test_doctor_and_publish_name_a_missing_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a key file configured, doctor fails its line and a publish refuses with exit 2."""
    monkeypatch.delenv(GOOGLE_APPLICATION_CREDENTIALS, raising=False)
    config = _setup(
        tmp_path, FakeSheet(), CONFIG.replace('credentials_file = "service-account.json"', "")
    )
    checks = {check.name: check for check in run_checks(config, now=_now())}
    assert not checks["sheets key"].ok
    assert GOOGLE_APPLICATION_CREDENTIALS in checks["sheets key"].detail
    result = CliRunner().invoke(app, ["--config", str(config), "publish"])
    assert result.exit_code == 2
    assert "no service-account key" in result.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd",
            "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd",
        ),
        ("https://docs.google.com/spreadsheets/d/1AbCdEfGhIjK_-9/edit#gid=0", "1AbCdEfGhIjK_-9"),
    ],
    ids=["id", "address"],
)
def test_spreadsheet_id_is_the_id_or_taken_from_the_address(value: str, expected: str) -> None:
    """The sheet's address pasted whole is as good as its id."""
    config = parse_config({"sheets": {"spreadsheet_id": value}}, Path("crmkpi.toml"))
    assert config.sheets is not None
    assert config.sheets.spreadsheet_id == expected


def test_a_placeholder_spreadsheet_id_is_refused() -> None:
    """An id that cannot be one is refused before anything runs, naming the key."""
    with pytest.raises(
        ConfigError, match=r"sheets\.spreadsheet_id: '1AbC\.\.\.' is not a spreadsheet id"
    ):
        parse_config({"sheets": {"spreadsheet_id": "1AbC..."}}, Path("crmkpi.toml"))


def _now() -> datetime:
    return datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
