"""Which runs a pull resumes (`connectors/resume.py`): an unfinished one, of the same checks,
begun less than `FRESH` before it; a cursor it cannot read resumes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.resume import FRESH, Run, keep, parts_kept, resumed

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


@pytest.mark.parametrize(
    ("cursor", "kind", "expected"),
    [
        (keep(RUN, ("a", "b"), ({"x": 1}, {})), dict, ({"x": 1}, {})),
        (keep(Run(STARTED + timedelta(minutes=1)), ("a", "b"), ({}, {})), dict, None),
        (keep(RUN, ("a", "b"), ([], {})), dict, None),
        (keep(RUN, ("a",), ({},)), dict, None),
        ("not json", dict, None),
        (None, dict, None),
    ],
    ids=["as-kept", "another-run", "a-part-of-another-kind", "a-part-missing", "garbled", "none"],
)
def test_reference_data_is_reused_only_from_the_run_that_kept_it(
    cursor: str | None, kind: type, expected: tuple[object, ...] | None
) -> None:
    assert parts_kept(cursor, RUN, kind, "a", "b") == expected
