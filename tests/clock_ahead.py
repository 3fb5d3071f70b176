"""Run the suite with the wall clock moved ahead, to prove no test depends on today's date.

With `CRMKPI_TEST_DAYS_AHEAD=365` set, `tests/conftest.py` moves this process's wall clock a
year ahead before the tests are collected: time-machine moves `datetime.now`, `date.today`,
`time.time` and their kin, and leaves the monotonic clock and sleeping alone, so timeouts
and pacing behave as ever. The clock keeps ticking from there. A test that starts Python in
a subprocess runs its script through `in_child`, so the child's clock moves alike.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import time_machine

ENV = "CRMKPI_TEST_DAYS_AHEAD"


def days_ahead() -> int | None:
    """The days the wall clock is to move ahead; None to leave it alone."""
    value = os.environ.get(ENV, "").strip()
    return int(value) if value else None


def start() -> time_machine.travel | None:
    """Move the wall clock ahead as `ENV` asks (and return the travel, to stop it)."""
    days = days_ahead()
    if days is None:
        return None
    travel = time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True)
    travel.start()
    return travel


def in_child(script: str) -> str:
    """`script` for `python -c`, run with the wall clock moved as this process's is."""
    return f"from tests import clock_ahead; clock_ahead.start()\n{script}"
