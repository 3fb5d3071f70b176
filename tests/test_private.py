"""What the tool creates is its user's alone, whatever the umask (`sync.private`)."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync.doctor import run_checks
from sync.private import private_file, private_folder
from tests import clock_ahead
from tests.cli_runs import FILES_CONFIG, crmkpi_process, files_setup, process_env

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
WIDE_OPEN = 0  # the umask that takes no permission away: every file would be 0666


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


LIST_MODES = (
    "    print(json.dumps({p.name: stat.S_IMODE(p.stat().st_mode)"
    " for p in [*Path(target).parent.iterdir(), Path(target).parent]}))\n"
)
"""Prints the modes of the target's folder and of every file in it, while the file is open."""


def _modes_in_child_with_umask(script: str, umask: int = WIDE_OPEN) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", clock_ahead.in_child(script)],
        env=process_env(),
        umask=umask,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    modes: dict[str, int] = json.loads(done.stdout.splitlines()[-1])
    return modes


def test_a_sync_creates_its_store_workbook_and_folders_owner_only(tmp_path: Path) -> None:
    config = FILES_CONFIG.replace('path = "out/kpis.xlsx"', 'path = "out/team/kpis.xlsx"')
    path = files_setup(tmp_path, config + '[store]\npath = "data/crm/crmkpi.db"\n')
    subprocess.run(
        [*crmkpi_process("--config", str(path), "sync")],
        env=process_env(),
        umask=WIDE_OPEN,
        check=True,
        capture_output=True,
        timeout=120,
    )
    created = [
        tmp_path / "data",
        tmp_path / "data" / "crm",
        tmp_path / "out",
        tmp_path / "out" / "team",
        *sorted((tmp_path / "data" / "crm").iterdir()),
        tmp_path / "out" / "team" / "kpis.xlsx",
    ]
    assert {str(p.relative_to(tmp_path)): _mode(p) for p in created} == {
        str(p.relative_to(tmp_path)): 0o700 if p.is_dir() else 0o600 for p in created
    }


@pytest.mark.parametrize(
    ("script", "files"),
    [
        (
            "from sync.schedule.lock import DaemonLock\nwith DaemonLock(Path(target)):\n",
            {"crmkpi.db"},
        ),
        (
            "from sync.store import Store\nwith Store.open(Path(target)) as store:\n",
            {"crmkpi.db", "crmkpi.db-wal", "crmkpi.db-shm"},
        ),
    ],
    ids=["daemon-lock", "store-with-its-wal"],
)
def test_a_file_the_tool_creates_is_owner_only_under_any_umask(
    tmp_path: Path, script: str, files: set[str]
) -> None:
    target = tmp_path / "state" / "crmkpi.db"
    modes = _modes_in_child_with_umask(
        f"import json, stat\nfrom pathlib import Path\ntarget = {str(target)!r}\n"
        f"{script}{LIST_MODES}"
    )
    assert modes == {"state": 0o700} | dict.fromkeys(files, 0o600)


def test_a_file_that_exists_keeps_the_mode_its_owner_gave_it(tmp_path: Path) -> None:
    path = tmp_path / "kpis.xlsx"
    path.write_bytes(b"")
    path.chmod(0o640)
    assert private_file(path) is False
    assert _mode(path) == 0o640


def test_a_missing_folder_chain_is_created_owner_only(tmp_path: Path) -> None:
    private_folder(tmp_path / "a" / "b")
    assert (_mode(tmp_path / "a"), _mode(tmp_path / "a" / "b")) == (0o700, 0o700)


@pytest.mark.parametrize(
    ("name", "mode", "warned"),
    [(".env", 0o644, True), (".env", 0o600, False), ("crmkpi.db", 0o604, True)],
    ids=["env-readable-by-others", "env-private", "store-readable-by-others"],
)
def test_doctor_warns_of_a_secret_or_data_file_others_may_read(
    tmp_path: Path, name: str, mode: int, warned: bool
) -> None:
    path = files_setup(tmp_path, FILES_CONFIG + '[store]\npath = "crmkpi.db"\n')
    shared = tmp_path / name
    shared.write_text("HUBSPOT_TOKEN=fake-token-0000\n" if name == ".env" else "")
    shared.chmod(mode)
    (line,) = [c for c in run_checks(path, now=NOW) if c.name == "private files"]
    assert line.ok
    assert line.warning is warned
    assert (str(shared) in line.detail, f"chmod 600 {shared}" in line.fix) == (warned, warned)
