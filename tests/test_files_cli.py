"""A German Excel export through `crmkpi pull` and `kpis`, as a user runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from sync.cli import app
from sync.store import Store

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "files"
runner = CliRunner()

CONFIG = """
[reporting]
timezone = "Europe/Berlin"
currency = "EUR"
[connectors.files]
path = "export"
[xlsx]
path = "kpis.xlsx"
"""


def _setup(tmp_path: Path, export: str) -> Path:
    shutil.copytree(FIXTURES / export, tmp_path / "export")
    config = tmp_path / "crmkpi.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


def _kpis(config: Path) -> list[dict[str, object]]:
    result = runner.invoke(app, ["--config", str(config), "kpis", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return [{k: v for k, v in row.items() if k != "updated_at"} for row in rows]


def test_a_german_excel_export_gives_the_kpis_of_its_iso_twin(tmp_path: Path) -> None:
    """Windows-1252, `;`, decimal commas and dotted dates in the reporting zone: same KPIs."""
    german = _setup(tmp_path / "de", "excel_de")
    iso = _setup(tmp_path / "iso", "excel_de_iso")
    for config in (german, iso):
        result = runner.invoke(app, ["--config", str(config), "pull"])
        assert result.exit_code == 0, result.stderr
    with Store.open(tmp_path / "de" / "crmkpi.db") as store:
        assert store.counts()["deals"] > 0
    assert _kpis(german) == _kpis(iso)


def test_a_bad_row_is_listed_at_the_end_and_the_run_completed_with_warnings(
    tmp_path: Path,
) -> None:
    """A negative amount skips its row; the pull ends listing it, and the run is recorded as
    completed with a warning."""
    config = _setup(tmp_path, "excel_de_iso")
    deals = tmp_path / "export" / "deals.csv"
    deals.write_text(deals.read_text(encoding="utf-8").replace(",99.99,", ",-5,"), "utf-8")
    result = runner.invoke(app, ["--config", str(config), "pull"])
    assert result.exit_code == 0, result.stderr
    listed = result.stderr.split("1 warning during this run:\n", 1)[1].splitlines()
    assert listed[0].startswith("  ")
    assert "deals.csv line 3: deal 'd2': amount" in listed[0]
    with Store.open(tmp_path / "crmkpi.db") as store:
        [run] = store.recent_runs(1)
    assert run.outcome == "ok"
    assert run.message.startswith("completed with 1 warning, first: ")
    assert "deals.csv line 3: deal 'd2': amount" in run.message
