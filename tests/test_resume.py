"""Which runs a pull resumes (`connectors/resume.py`): an unfinished one, of the same checks,
begun less than `FRESH` before it; a cursor it cannot read resumes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.resume import FRESH, Run, resumed

STARTED = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
RUN = Run(STARTED, "scopes")


@pytest.mark.parametrize(
    ("cursor", "later", "expected"),
    [
        (RUN.encode(), timedelta(minutes=5), RUN),
        (RUN.encode(), FRESH - timedelta(seconds=1), RUN),
        (RUN.encode(), FRESH, None),
        (RUN.encode(), -timedelta(minutes=5), None),
        (RUN.done().encode(), timedelta(minutes=5), None),
        (Run(STARTED, "other scopes").encode(), timedelta(minutes=5), None),
        (None, timedelta(minutes=5), None),
        ("not json", timedelta(minutes=5), None),
        ('{"run": "2026-11-27T06:00:00", "checked": "scopes", "finished": false}', FRESH, None),
        ('{"run": "2026-11-27T06:00:00+00:00", "checked": "scopes"}', timedelta(0), None),
    ],
    ids=[
        "five-minutes-on",
        "just-inside-the-hour",
        "an-hour-on",
        "clock-set-back",
        "finished",
        "other-checks",
        "no-cursor",
        "not-json",
        "no-offset",
        "no-finished-flag",
    ],
)
def test_a_pull_resumes_only_a_fresh_unfinished_run_of_the_same_checks(
    cursor: str | None, later: timedelta, expected: Run | None
) -> None:
    assert resumed(cursor, STARTED + later, "scopes") == expected
