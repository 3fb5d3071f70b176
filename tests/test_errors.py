"""Every error a user is told about shares one root, and its kind says the exit code."""

from __future__ import annotations

import sqlite3

import pytest

from connectors.errors import ConfigurationError, CrmKpiError, RunFailure
from connectors.http import ApiError, AuthError, FatalError, RetriableError
from kpis.money import CurrencyError
from sync.config import ConfigError
from sync.outputs import WorkbookError
from sync.outputs.sheets import SheetsError
from sync.pull import PullError
from sync.schedule import AlreadyRunning
from sync.store import StoreError


@pytest.mark.parametrize(
    ("error", "code", "base"),
    [
        (ConfigError, 2, Exception),
        (CurrencyError, 2, ValueError),
        (AlreadyRunning, 2, Exception),
        (ApiError, 1, Exception),
        (RetriableError, 1, ApiError),
        (FatalError, 1, ApiError),
        (AuthError, 1, FatalError),
        (SheetsError, 1, Exception),
        (WorkbookError, 1, Exception),
        (StoreError, 1, sqlite3.DatabaseError),
        (PullError, 1, RuntimeError),
    ],
    ids=[
        "config",
        "currency",
        "already-running",
        "api",
        "retriable",
        "fatal",
        "auth",
        "sheets",
        "workbook",
        "store",
        "pull",
    ],
)
def test_a_user_facing_error_carries_its_exit_code_and_keeps_its_base(
    error: type[Exception], code: int, base: type[Exception]
) -> None:
    """Each joins the root with its exit code and stays catchable by the base it had."""
    assert issubclass(error, CrmKpiError)
    assert issubclass(error, base)
    assert error.exit_code == code


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (ConfigurationError("x: is not a setting"), "configuration error: x: is not a setting"),
        (RunFailure("the API answered 500"), "failed: the API answered 500"),
        (AlreadyRunning("another daemon (pid 7) serves it"), "another daemon (pid 7) serves it"),
    ],
    ids=["configuration", "run-failure", "no-prefix"],
)
def test_the_user_line_puts_the_kind_before_the_message(error: CrmKpiError, line: str) -> None:
    """The line `crmkpi` ends with names the kind of error, unless the message is whole."""
    assert error.user_line() == line
