"""`crmkpi doctor`: the workbook path checked up front, no traceback, exit 2 for a bad config."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import responses
from typer.testing import CliRunner

from sync import doctor
from sync.cli import app
from sync.config import Config
from sync.doctor import Check

runner = CliRunner()
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)

DEMO = '[connectors.demo]\n[xlsx]\npath = "{path}"\n'
FIX = "     fix: move it away (the next publish writes a new workbook) or point xlsx.path elsewhere"


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "crmkpi.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _doctor(config: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["--config", str(config), "doctor"])
    # an exception CliRunner caught would have been a traceback on a terminal
    assert not isinstance(result.exception, Exception), repr(result.exception)
    return result.exit_code, result.stdout


def _zip_of_notes() -> bytes:
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return target.getvalue()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "is empty (0 bytes), not a workbook"),
        (b"month,amount\n2026-10,12000\n", "is not a workbook (not a zip archive"),
        (_zip_of_notes(), "is a zip archive openpyxl cannot open as a workbook"),
    ],
    ids=["zero-bytes", "csv-renamed", "zip-of-other-things"],
)
def test_a_file_that_is_not_a_workbook_fails_its_line_with_the_fix(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    """The xlsx line names the key, the file and why, says how to fix it; the rest still run."""
    workbook = tmp_path / "kpis.xlsx"
    workbook.write_bytes(content)
    code, out = _doctor(_config(tmp_path, DEMO.format(path="kpis.xlsx")))
    assert code == 1
    lines = out.splitlines()
    line = next(i for i, text in enumerate(lines) if text.startswith("FAIL xlsx: "))
    assert lines[line].startswith(f"FAIL xlsx: xlsx.path: {workbook} {reason}")
    assert lines[line + 1] == FIX
    assert lines[-1].startswith("ok   schedule: ")
    assert workbook.read_bytes() == content


@pytest.mark.parametrize(
    ("path", "make", "expected"),
    [
        ("report.csv", None, "xlsx.path: 'report.csv' does not end in .xlsx"),
        ("kpis.xlsx", "folder", "kpis.xlsx is a folder"),
        ("out/kpis.xlsx", "file", "out is a file, so"),
    ],
    ids=["csv-name", "a-folder", "under-a-file"],
)
def test_a_workbook_path_refused_by_the_config_exits_2(
    tmp_path: Path, path: str, make: str | None, expected: str
) -> None:
    """A path no workbook can live at is a config error: one FAIL config line, exit 2."""
    target = tmp_path / Path(path).parts[0]
    if make == "folder":
        target.mkdir()
    elif make == "file":
        target.write_text("a file", encoding="utf-8")
    code, out = _doctor(_config(tmp_path, DEMO.format(path=path)))
    assert code == 2
    assert out.startswith("FAIL config: ")
    assert expected in out
    assert "ok   " not in out


def test_a_config_that_is_not_utf8_exits_2(tmp_path: Path) -> None:
    """A config saved in another encoding is a FAIL config line and exit 2, not a crash."""
    config = tmp_path / "crmkpi.toml"
    config.write_bytes('[xlsx]\npath = "Übersicht.xlsx"\n'.encode("cp1252"))
    code, out = _doctor(config)
    assert code == 2
    assert out.startswith(f"FAIL config: {config}: is not UTF-8 text")


def test_an_existing_workbook_is_ok(tmp_path: Path) -> None:
    """A workbook a publish wrote passes, and so does the whole check list."""
    config = _config(tmp_path, DEMO.format(path="kpis.xlsx"))
    assert runner.invoke(app, ["--config", str(config), "publish"]).exit_code == 0
    code, out = _doctor(config)
    assert code == 0, out
    assert f"ok   xlsx: {tmp_path / 'kpis.xlsx'} is a workbook and writable" in out


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_an_unwritable_folder_fails_the_xlsx_line(tmp_path: Path) -> None:
    """A folder the workbook cannot be written into is named with the key and the fix."""
    folder = tmp_path / "reports"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        code, out = _doctor(_config(tmp_path, DEMO.format(path="reports/kpis.xlsx")))
    finally:
        folder.chmod(0o755)
    assert code == 1
    assert f"FAIL xlsx: xlsx.path: {folder / 'kpis.xlsx'} cannot be written" in out
    assert "point xlsx.path elsewhere" in out


def test_a_store_that_is_not_a_database_fails_once(tmp_path: Path) -> None:
    """A broken store fails its own line; the checks that read it do not crash doctor."""
    (tmp_path / "crmkpi.db").write_text("not a database", encoding="utf-8")
    code, out = _doctor(_config(tmp_path, DEMO.format(path="kpis.xlsx")))
    assert code == 1
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("FAIL")] == [
        "FAIL store"
    ]
    assert out.splitlines()[-1].startswith("ok   schedule: ")


@pytest.mark.parametrize(
    "token",
    ["pat-na1-0123456789\nabcdef", "pat-na1-0123456789\r\nabcdef"],
    ids=["line-break", "windows-line-break"],
)
@responses.activate
def test_a_token_broken_by_a_line_break_is_a_fail_line_without_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    """A token pasted with a line break inside (which requests would refuse, quoting the
    header) fails the token's line, naming the variable only; no request is sent."""
    monkeypatch.setenv("HUBSPOT_TOKEN", token)
    text = '[connectors.hubspot]\n[xlsx]\npath = "kpis.xlsx"\n'
    code, out = _doctor(_config(tmp_path, text))
    assert code == 1
    assert "FAIL source hubspot token: HUBSPOT_TOKEN: the token has a space" in out
    assert "0123456789" not in out
    assert out.splitlines()[-1].startswith("ok   schedule: ")
    assert len(responses.calls) == 0


AC_CONFIG = '[connectors.activecampaign]\nbase_url = "https://acme.api-us1.com"\n'
AC_ME = "https://acme.api-us1.com/api/3/users/me"
AC_KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567"


def _stops(config: Config, now: datetime) -> list[Check]:
    raise KeyError(f"key {AC_KEY} unknown")


def test_a_check_that_stops_on_an_error_it_does_not_know_is_one_masked_fail_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check's line says it stopped and why, masking the token; the next checks run."""
    monkeypatch.setenv("ACTIVECAMPAIGN_API_TOKEN", AC_KEY)
    config = _config(tmp_path, DEMO.format(path="kpis.xlsx"))
    results = doctor.run_checks(config, now=NOW, checks=[("crash", _stops), *doctor.CHECKS[-1:]])
    assert [(r.name, r.ok) for r in results] == [
        ("config", True),
        ("crash", False),
        ("schedule", True),
    ]
    assert results[1].detail == "the check stopped: KeyError: 'key ********** unknown'"


@responses.activate
def test_a_token_an_api_echoes_in_its_error_is_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error body that quotes the key shows it as ********** on doctor's line."""
    monkeypatch.setenv("ACTIVECAMPAIGN_API_TOKEN", AC_KEY)
    responses.get(AC_ME, status=400, json={"message": f"no account has the key {AC_KEY}"})
    code, out = _doctor(_config(tmp_path, AC_CONFIG + DEMO.format(path="kpis.xlsx")))
    assert code == 1
    assert "no account has the key **********" in out
    assert AC_KEY not in out


FILES_WITH_STUCK = """
[reporting]
timezone = "Europe/Berlin"
[currency.rates]
USD = 0.92
[connectors.files]
path = "export"
[xlsx]
path = "kpis.xlsx"
[kpis.stuck_days]
{names}
"""


@pytest.mark.parametrize(
    ("names", "line"),
    [
        ('"Sales / Proposal" = 14', "ok   kpis.stuck_days: the stage is an open stage"),
        (
            '"Sales / Propsal" = 14',
            "FAIL kpis.stuck_days: no open stage is named 'Sales / Propsal'; its threshold is "
            "never used\n     fix: name each stage as the KPIs tab's stage rows do, e.g. "
            "'Sales / Proposal'",
        ),
        (
            '"Sales / Closed won" = 14',
            "FAIL kpis.stuck_days: no open stage is named 'Sales / Closed won'",
        ),
    ],
    ids=["found", "misspelt", "closed-stage"],
)
def test_a_stuck_days_stage_that_no_open_stage_has_fails_its_line(
    tmp_path: Path, names: str, line: str
) -> None:
    """A threshold set for a stage the store has no open stage of would never be used."""
    shutil.copytree(Path(__file__).parent / "fixtures" / "cli_export", tmp_path / "export")
    config = _config(tmp_path, FILES_WITH_STUCK.format(names=names))
    assert runner.invoke(app, ["--config", str(config), "pull"]).exit_code == 0
    _, out = _doctor(config)
    assert line in out
