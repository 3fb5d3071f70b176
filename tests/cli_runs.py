"""Run `crmkpi` on the CSV export fixture: in this process, or as a real process."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from typer.testing import CliRunner, Result

from sync.cli import app
from tests import clock_ahead

REPO = Path(__file__).resolve().parent.parent
EXPORT = Path(__file__).resolve().parent / "fixtures" / "cli_export"

FILES_CONFIG = """
[reporting]
timezone = "Europe/Berlin"
currency = "EUR"
[currency.rates]
USD = 0.92
[connectors.files]
path = "export"
[xlsx]
path = "out/kpis.xlsx"
[service.business_hours]
days = ["mon", "tue", "wed", "thu", "fri"]
start = "09:00"
end = "17:00"
"""


def files_setup(tmp_path: Path, config: str = FILES_CONFIG) -> Path:
    """The export fixture and a config reading it, in `tmp_path`; the config's path."""
    shutil.copytree(EXPORT, tmp_path / "export")
    path = tmp_path / "crmkpi.toml"
    path.write_text(config, encoding="utf-8")
    return path


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    """`crmkpi ARGS` in this process."""
    return CliRunner().invoke(app, list(args), env=env, prog_name="crmkpi")


def crmkpi_process(*args: str) -> list[str]:
    """The command line of `crmkpi ARGS` in a fresh interpreter, for `subprocess`."""
    return [sys.executable, "-c", clock_ahead.in_child("from sync.cli import app; app()"), *args]


def process_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}
