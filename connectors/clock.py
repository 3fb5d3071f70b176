"""The two clocks, named once: `Clock` for wall time, `Monotonic` for pacing and durations.

Wall time (aware, in UTC) dates what is recorded: runs, cursors, the `now` the KPIs are
computed at. Monotonic time never steps back when the system clock is set, so pacers and
timings use it. Every function that reads the time takes one of these, so tests inject a
fake; `utc_now` is the production wall clock. In `connectors/` beside `errors.py`, for the
same reason: every package can import it, and it imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]
Monotonic = Callable[[], float]


def utc_now() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


def due(last: datetime | None, now: datetime, days: int) -> bool:
    """Whether something done every `days` days, last at `last` (None: never), is due."""
    return last is None or now - last >= timedelta(days=days)
