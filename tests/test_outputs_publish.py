"""`crmkpi publish` refuses an output it cannot use before it computes, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sync.cli import app

runner = CliRunner()

DEMO = '[connectors.demo]\n[xlsx]\npath = "{path}"\n'


def _config(tmp_path: Path, path: str) -> Path:
    config = tmp_path / "crmkpi.toml"
    config.write_text(DEMO.format(path=path), encoding="utf-8")
    return config


def _invoke(config: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--config", str(config), *args])
    assert not isinstance(result.exception, Exception), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "is empty (0 bytes), not a workbook"),
        (
            b"month,amount\n2026-10,12000\n",
            "is not a workbook (not a zip archive, as every .xlsx is)",
        ),
    ],
    ids=["zero-bytes", "csv-renamed"],
)
def test_a_file_that_is_not_a_workbook_stops_the_publish(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    """Exit 1 with one line naming the key, the file, why and the fix; the file is kept."""
    workbook = tmp_path / "kpis.xlsx"
    workbook.write_bytes(content)
    code, out, err = _invoke(_config(tmp_path, "kpis.xlsx"), "publish")
    assert code == 1
    assert out == ""
    assert err.splitlines()[-1] == (
        f"failed: xlsx.path: {workbook} {reason}; move it away (the next publish writes a new "
        "workbook) or point xlsx.path elsewhere"
    )
    assert workbook.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crmkpi.db", "crmkpi.toml", "kpis.xlsx"]


def test_the_refused_publish_is_recorded_as_failed(tmp_path: Path) -> None:
    """`status` shows the refused publish as failed, with the reason."""
    (tmp_path / "kpis.xlsx").write_bytes(b"")
    config = _config(tmp_path, "kpis.xlsx")
    assert _invoke(config, "publish")[0] == 1
    code, out, _ = _invoke(config, "status")
    assert code == 0
    assert "publish  failed" in out
    assert "is empty (0 bytes)" in out


@pytest.mark.parametrize(
    ("path", "make", "expected"),
    [
        ("report.csv", None, "xlsx.path: 'report.csv' does not end in .xlsx"),
        ("kpis.xlsx", "folder", "kpis.xlsx is a folder"),
        ("out/kpis.xlsx", "file", "out is a file, so"),
    ],
    ids=["csv-name", "a-folder", "under-a-file"],
)
@pytest.mark.parametrize("command", ["publish", "sync"], ids=["publish", "sync"])
def test_a_workbook_path_refused_by_the_config_exits_2_before_anything_runs(
    tmp_path: Path, command: str, path: str, make: str | None, expected: str
) -> None:
    """The config error names the key; no store is made and nothing is written."""
    target = tmp_path / Path(path).parts[0]
    if make == "folder":
        target.mkdir()
    elif make == "file":
        target.write_text("a file", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = _invoke(_config(tmp_path, path), command)
    assert code == 2
    assert err.startswith("configuration error: ")
    assert expected in err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "crmkpi.toml") == before


def test_every_publish_writes_a_workbook_the_next_one_opens(tmp_path: Path) -> None:
    """Two publishes in a row: the second reads the first's workbook and rewrites it."""
    config = _config(tmp_path, "KPIs.XLSX")
    assert _invoke(config, "publish")[0] == 0
    code, out, err = _invoke(config, "publish")
    assert code == 0, err
    assert str(tmp_path / "KPIs.XLSX") in out
