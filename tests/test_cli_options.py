"""The global options before or after the command, --version, -h, and what the help says."""

from __future__ import annotations

import logging
from importlib.metadata import version
from pathlib import Path

import pytest
import typer.main

from sync.cli import app
from sync.config import CONFIG_ENV, DEFAULT_CONFIG
from tests.cli_runs import files_setup, invoke

COMMANDS = sorted(typer.main.get_group(app).commands)
THIRD_PARTY = ("urllib3", "requests", "apscheduler", "gspread", "google.auth", "openpyxl")


@pytest.mark.parametrize(
    "where",
    [
        ("--config", "{config}", "status"),
        ("status", "--config", "{config}"),
        ("status", "-c", "{config}"),
        ("-q", "status", "--config={config}"),
    ],
    ids=["before", "after", "short-after", "mixed"],
)
def test_the_config_option_works_before_and_after_the_command(
    tmp_path: Path, where: tuple[str, ...]
) -> None:
    """`crmkpi sync --config FILE` reads FILE, as `crmkpi --config FILE sync` does."""
    config = files_setup(tmp_path)
    result = invoke(*(arg.format(config=config) for arg in where))
    assert result.exit_code == 0, result.output
    assert f"store: {tmp_path / 'crmkpi.db'}" in result.stdout


@pytest.mark.parametrize("where", ["before", "after"], ids=["before", "after"])
def test_a_given_config_wins_over_the_environment(tmp_path: Path, where: str) -> None:
    """--config beats $CRMKPI_CONFIG wherever it stands on the line."""
    config = files_setup(tmp_path)
    args = (
        ["--config", str(config), "status"] if where == "before" else ["status", "-c", str(config)]
    )
    result = invoke(*args, env={CONFIG_ENV: str(tmp_path / "elsewhere.toml")})
    assert result.exit_code == 0, result.output
    assert f"store: {tmp_path / 'crmkpi.db'}" in result.stdout


@pytest.mark.parametrize("command", COMMANDS, ids=COMMANDS)
def test_every_command_takes_the_global_options(command: str) -> None:
    """Each command's help lists --config, -v and -q, and -h is its help."""
    result = invoke(command, "-h")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Usage: crmkpi {command} [OPTIONS]")
    for option in ("-c, --config FILE", "-v, --verbose", "-q, --quiet", "-h, --help"):
        assert option in result.stdout


def test_version_prints_the_installed_version() -> None:
    """`crmkpi --version` prints the package's version and exits 0 without a config."""
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"crmkpi {version('crm-kpi-sync')}\n"


@pytest.mark.parametrize("flag", ["-h", "--help"], ids=["short", "long"])
def test_h_is_help(flag: str) -> None:
    """-h and --help both print the usage and the commands."""
    result = invoke(flag)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: crmkpi [OPTIONS] COMMAND [ARGS]...")
    assert "  kpis " in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), "Sync on the [schedule] cron"),
        (("daemon",), "Sync on the [schedule] cron"),
        ((), f"default: ${CONFIG_ENV}, else ./{DEFAULT_CONFIG}."),
        (("kpis",), "[default: table]"),
        (("kpis",), "default: the configured history of every grain."),
    ],
    ids=["schedule-in-list", "schedule-in-daemon", "config-default", "format", "period"],
)
def test_help_keeps_bracketed_words_and_defaults(args: tuple[str, ...], expected: str) -> None:
    """Help is plain text: nothing in square brackets is taken for markup and dropped."""
    result = invoke(*args, "--help", env={"COLUMNS": "200"})
    assert expected in " ".join(result.stdout.split())


@pytest.mark.parametrize("command", ["", *COMMANDS], ids=["app", *COMMANDS])
def test_flags_are_plain_flags(command: str) -> None:
    """No flag shows a `<bool>` value or a `--no-` twin."""
    result = invoke(*filter(None, [command]), "--help")
    assert "<bool>" not in result.stdout
    assert "--no-" not in result.stdout


def test_verbose_and_quiet_together_are_a_usage_error(tmp_path: Path) -> None:
    """-v and -q contradict each other: exit 2 naming both."""
    config = files_setup(tmp_path)
    result = invoke("-v", "status", "-q", "--config", str(config))
    assert result.exit_code == 2
    assert "--verbose and --quiet" in result.stderr


class _Watch(logging.Handler):
    """Keeps each record, with whether third-party debug lines were on when it came."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.third_party_debug: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.third_party_debug |= {
            name for name in THIRD_PARTY if logging.getLogger(name).isEnabledFor(logging.DEBUG)
        }


@pytest.mark.parametrize("where", ["before", "after"], ids=["before", "after"])
def test_verbose_logs_our_debug_lines_and_no_one_elses(tmp_path: Path, where: str) -> None:
    """-v shows every page the pull commits; urllib3, APScheduler and the rest stay quiet."""
    config = files_setup(tmp_path)
    args = ["-v", "pull"] if where == "before" else ["pull", "-v"]
    watch = _Watch()
    root = logging.getLogger()
    root.addHandler(watch)
    try:
        result = invoke("--config", str(config), *args)
    finally:
        root.removeHandler(watch)
    assert result.exit_code == 0, result.output
    pages = [r for r in watch.records if r.name == "sync.pull" and r.levelno == logging.DEBUG]
    assert pages
    assert "committed" in pages[0].getMessage()
    assert watch.third_party_debug == set()


def test_without_verbose_there_are_no_debug_lines(tmp_path: Path) -> None:
    """A plain pull logs its summary, not its pages."""
    config = files_setup(tmp_path)
    watch = _Watch()
    root = logging.getLogger()
    root.addHandler(watch)
    try:
        result = invoke("--config", str(config), "pull")
    finally:
        root.removeHandler(watch)
    assert result.exit_code == 0, result.output
    assert [r for r in watch.records if r.levelno == logging.INFO and r.name == "sync.pull"]
    assert not [r for r in watch.records if r.levelno == logging.DEBUG]
