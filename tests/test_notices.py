"""A run that logged warnings says so: in the log of runs, and in a summary at its end."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync.notices import SHOWN, collected
from sync.run import recorded
from sync.store import Store

T0 = datetime(2026, 11, 1, 6, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "crmkpi.db") as opened:
        yield opened


@pytest.mark.parametrize(
    ("logged", "message"),
    [
        ([], ""),
        (
            [("connectors.files", "deals.csv line 4: amount -5 is negative; row skipped")],
            "completed with 1 warning, first: deals.csv line 4: amount -5 is negative; row skipped",
        ),
        (
            [("sync.pull", "first"), ("kpis.engine", "second")],
            "completed with 2 warnings, first: first",
        ),
    ],
    ids=["none", "one", "two"],
)
def test_the_run_record_says_how_many_warnings_and_the_first(
    store: Store, logged: list[tuple[str, str]], message: str
) -> None:
    """The run is ok; its message counts the warnings our loggers emitted during it."""
    with recorded(store, "pull", lambda: T0):
        for name, text in logged:
            logging.getLogger(name).warning(text)
    [run] = store.recent_runs(1)
    assert (run.outcome, run.message) == ("ok", message)


def test_other_libraries_and_info_lines_are_not_warnings_of_the_run(store: Store) -> None:
    """Only warnings and errors of connectors, kpis and sync count."""
    with recorded(store, "pull", lambda: T0) as notices:
        logging.getLogger("urllib3.connectionpool").warning("retrying")
        logging.getLogger("sync.pull").info("3 pages")
    assert len(notices) == 0
    assert store.recent_runs(1)[0].message == ""


def test_the_summary_lists_the_first_warnings_and_counts_the_rest() -> None:
    """Past `SHOWN` warnings the summary says how many more the log holds."""
    with collected() as notices:
        for line in range(SHOWN + 3):
            logging.getLogger("connectors.files").warning("deals.csv line %d: bad", line)
    lines = notices.summary().splitlines()
    assert lines[0] == f"{SHOWN + 3} warnings during this run:"
    assert lines[1] == "  deals.csv line 0: bad"
    assert lines[-1] == "  ... and 3 more in the log above"
    assert len(lines) == SHOWN + 2


def test_a_failed_run_keeps_its_error_as_the_message(store: Store) -> None:
    """Warnings before a failure do not hide it: the message is the error."""
    with pytest.raises(RuntimeError), recorded(store, "pull", lambda: T0):
        logging.getLogger("sync").warning("first")
        raise RuntimeError("API down")
    [run] = store.recent_runs(1)
    assert (run.outcome, run.message) == ("failed", "API down")


def test_the_collector_is_detached_when_the_run_ends() -> None:
    """A warning after the block is not collected."""
    with collected() as notices:
        pass
    logging.getLogger("sync").warning("later")
    assert len(notices) == 0
