"""`crmkpi kpis | head -1`: a reader that stops early ends the command quietly."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli_runs import REPO, crmkpi_process, files_setup, invoke, process_env


@pytest.mark.parametrize(
    "command",
    [("kpis",), ("kpis", "--format", "csv"), ("kpis", "--format", "json"), ("status",)],
    ids=["table", "csv", "json", "status"],
)
def test_a_closed_pipe_ends_the_command_quietly(tmp_path: Path, command: tuple[str, ...]) -> None:
    """With the reader gone before the first line, the command exits 0 and says nothing."""
    config = files_setup(tmp_path)
    assert invoke("--config", str(config), "pull").exit_code == 0
    process = subprocess.Popen(
        crmkpi_process("--config", str(config), *command, "-q"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=process_env(),
    )
    assert process.stdout is not None and process.stderr is not None
    # closing the read end at once makes the first write fail, however fast the process
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0, errors
    assert errors == ""


def test_a_reader_of_one_line_gets_it(tmp_path: Path) -> None:
    """`crmkpi kpis --format csv | head -1` reads the header and the command ends quietly."""
    config = files_setup(tmp_path)
    assert invoke("--config", str(config), "pull").exit_code == 0
    kpis = subprocess.Popen(
        crmkpi_process("--config", str(config), "kpis", "--format", "csv"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=process_env(),
    )
    assert kpis.stdout is not None and kpis.stderr is not None
    head = subprocess.run(
        ["head", "-1"], stdin=kpis.stdout, capture_output=True, text=True, check=True
    )
    kpis.stdout.close()
    errors = kpis.stderr.read().decode()
    assert kpis.wait(timeout=60) == 0, errors
    assert head.stdout.startswith("period,period_start,period_end,kpi,")
    assert "Broken pipe" not in errors
    assert "Traceback" not in errors
