"""`crmkpi daemon` as a real process: it syncs at once with --now, holds the store's lock,
shows in `crmkpi status`, and exits 0 on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from sync.cli import app
from sync.store import Store
from tests import clock_ahead

CONFIG = """
[reporting]
timezone = "Europe/Berlin"
[currency.rates]
USD = 0.92
GBP = 1.16
[connectors.demo]
seed = 7
scale = 0.05
anchor = 2026-11-27
[xlsx]
path = "kpis.xlsx"
[schedule]
cron = "0 6 * * 1-5"
"""


def _runs(store_path: Path) -> list[tuple[str, str]]:
    if not store_path.exists():
        return []
    with Store.open(store_path) as store:
        return [(run.command, run.outcome) for run in store.recent_runs(5)]


def test_daemon_syncs_now_refuses_a_second_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """The first sync runs at once; a second daemon exits 2; SIGTERM ends the first with 0."""
    config = tmp_path / "crmkpi.toml"
    config.write_text(CONFIG, encoding="utf-8")
    log = (tmp_path / "daemon.log").open("w", encoding="utf-8")
    command = [sys.executable, "-c", clock_ahead.in_child("from sync.cli import app; app()")]
    command += ["--config", str(config), "daemon", "--now"]
    daemon = subprocess.Popen(command, stdout=log, stderr=log, cwd=Path(__file__).parent.parent)
    try:
        deadline = time.monotonic() + 60
        while _runs(tmp_path / "crmkpi.db") in ([], [("daemon", "running")]):
            assert time.monotonic() < deadline
            assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
            time.sleep(0.2)
        assert _runs(tmp_path / "crmkpi.db") == [("daemon", "ok")]

        status = CliRunner().invoke(app, ["--config", str(config), "status"])
        assert f"daemon: running (pid {daemon.pid})" in status.stdout
        assert "next: " in status.stdout
        second = CliRunner().invoke(app, ["--config", str(config), "daemon"])
        assert second.exit_code == 2
        assert f"another crmkpi daemon (pid {daemon.pid}) already serves this store" in (
            second.stderr
        )

        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
        log.close()
    text = (tmp_path / "daemon.log").read_text()
    assert "SIGTERM received; stopping after the running sync" in text
    assert "daemon stopped" in text
    assert all(line[:4].isdigit() for line in text.splitlines()), text
    status = CliRunner().invoke(app, ["--config", str(config), "status"])
    assert "daemon: not running" in status.stdout
