"""Ctrl-C during a pull: the run is recorded as interrupted and the command exits 130."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync.run import recorded
from sync.store import Store
from tests.cli_runs import REPO, crmkpi_process, invoke, process_env
from tests.killing import PATIENCE_SECONDS, stored

# a demo large enough that the pull is still running when the first deals are stored
DEMO_CONFIG = """
[reporting]
timezone = "Europe/Berlin"
[currency.rates]
USD = 0.92
GBP = 1.16
[connectors.demo]
seed = 7
scale = 5
anchor = 2026-11-27
[xlsx]
path = "kpis.xlsx"
"""


def _clock() -> datetime:
    return datetime(2026, 11, 27, 6, tzinfo=UTC)


def test_recorded_marks_a_keyboard_interrupt_as_interrupted(tmp_path: Path) -> None:
    """KeyboardInterrupt in the block finishes the run as interrupted and propagates."""
    with Store.open(tmp_path / "store.db") as store:
        with pytest.raises(KeyboardInterrupt), recorded(store, "pull", _clock):
            raise KeyboardInterrupt
        [run] = store.recent_runs(1)
    assert run.outcome == "interrupted"
    assert run.message == "stopped by Ctrl-C (SIGINT)"
    assert run.finished_at == _clock()


def test_ctrl_c_during_a_pull_is_recorded_as_interrupted(tmp_path: Path) -> None:
    """SIGINT mid-pull: exit 130 with one line and no traceback; status says interrupted."""
    config = tmp_path / "crmkpi.toml"
    config.write_text(DEMO_CONFIG, encoding="utf-8")
    db_path = tmp_path / "crmkpi.db"
    pull = subprocess.Popen(
        crmkpi_process("--config", str(config), "pull", "-q"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=process_env(),
    )
    try:
        deadline = time.monotonic() + PATIENCE_SECONDS
        while stored(db_path, "deals") == 0:
            assert pull.poll() is None, pull.communicate()
            assert time.monotonic() < deadline, "the pull stored nothing in time"
            time.sleep(0.01)
        os.kill(pull.pid, signal.SIGINT)
        out, errors = pull.communicate(timeout=PATIENCE_SECONDS)
    finally:
        pull.kill()
    assert pull.returncode == 130, errors
    assert errors == "interrupted\n"
    assert out == ""
    with Store.open(db_path) as store:
        [run] = store.recent_runs(1)
    assert (run.command, run.outcome) == ("pull", "interrupted")
    status = invoke("--config", str(config), "status")
    assert "pull     interrupted" in status.stdout
