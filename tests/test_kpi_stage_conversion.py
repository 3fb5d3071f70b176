"""stage_conversion_rate: of the visits of a stage exited in P, the share that moved forward."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kpis.dataset import Dataset
from kpis.stages import stage_conversion_rate
from tests.kpi_builders import deal, only, period, settings, stage

OCTOBER = period("2026-10")
STAGES = [
    replace(stage("s1", "New"), stage_order=1),
    replace(stage("s2", "Demo"), stage_order=2),
    replace(stage("s3", "Proposal"), stage_order=3),
    stage("won", "Won", closed=True, won=True),
    stage("lost", "Lost", closed=True),
    replace(stage("r1", "Renewal call", pipeline="p2", pipeline_label="Renewals"), stage_order=5),
]

History = list[tuple[str, str, str | None]]


def _new_stage(history: History, **status: str) -> tuple[object, object, object]:
    data = Dataset(stages=STAGES, deals=[deal("d", history=history, **status)])
    row = only(stage_conversion_rate(data, OCTOBER, settings()), "stage", "Sales / New")
    return row.value, row.numerator, row.denominator


@pytest.mark.parametrize(
    ("history", "status", "expected"),
    [
        ([("s1", "2026-10-01", "2026-10-05"), ("s2", "2026-10-05", None)], {}, (1.0, 1, 1)),
        ([("s1", "2026-10-01", "2026-10-05"), ("s3", "2026-10-05", None)], {}, (1.0, 1, 1)),
        (
            [("s1", "2026-10-01", "2026-10-05"), ("won", "2026-10-05", None)],
            {"won": "2026-10-05"},
            (1.0, 1, 1),
        ),
        (
            [("s1", "2026-10-01", "2026-10-05"), ("lost", "2026-10-05", None)],
            {"lost": "2026-10-05"},
            (0.0, 0, 1),
        ),
        ([("s1", "2026-10-01", "2026-10-05")], {"won": "2026-10-05"}, (1.0, 1, 1)),
        ([("s1", "2026-10-01", "2026-10-05")], {"lost": "2026-10-05"}, (0.0, 0, 1)),
        ([("s1", "2026-10-01", "2026-10-05"), ("r1", "2026-10-05", None)], {}, (0.0, 0, 1)),
        ([("s1", "2026-10-01", "2026-10-05"), ("s9", "2026-10-05", None)], {}, (0.0, 0, 1)),
    ],
    ids=[
        "next-stage",
        "skips-a-stage",
        "to-won-stage",
        "to-lost-stage-is-not",
        "last-visit-deal-won",
        "last-visit-deal-lost-is-not",
        "other-pipeline-is-not",
        "unknown-stage-is-not",
    ],
)
def test_where_a_visit_led(
    history: History, status: dict[str, str], expected: tuple[object, object, object]
) -> None:
    """Forward in the pipeline or to a won stage converts; lost, elsewhere or unknown does not."""
    assert _new_stage(history, **status) == expected


def test_a_move_back_is_not_conversion_and_each_visit_counts() -> None:
    """New → Demo → New → Demo: both New visits moved forward; the Demo visit went back."""
    history: History = [
        ("s1", "2026-10-01", "2026-10-02"),
        ("s2", "2026-10-02", "2026-10-04"),
        ("s1", "2026-10-04", "2026-10-06"),
        ("s2", "2026-10-06", None),
    ]
    data = Dataset(stages=STAGES, deals=[deal("d", history=history)])
    rows = stage_conversion_rate(data, OCTOBER, settings())
    summary = {(r.segment, r.numerator, r.denominator) for r in rows}
    assert summary == {("all", 2, 3), ("Sales / New", 2, 2), ("Sales / Demo", 0, 1)}
    assert only(rows).value == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("exited", "counted"),
    [("2026-09-30T21:59:59", 0), ("2026-09-30T22:00:00", 1)],
    ids=["september-in-berlin", "october-in-berlin"],
)
def test_a_visit_counts_in_the_local_period_it_ended(exited: str, counted: int) -> None:
    """Under Europe/Berlin (UTC+2 in September), October starts at 2026-09-30T22:00Z."""
    history: History = [("s1", "2026-09-01", exited), ("s2", exited, None)]
    data = Dataset(stages=STAGES, deals=[deal("d", history=history)])
    assert only(stage_conversion_rate(data, OCTOBER, settings())).denominator == counted


def test_an_empty_period_is_null_not_zero() -> None:
    """Visits that ended in the previous period only: the `all` row is null, with n = 0."""
    history: History = [("s1", "2026-09-01", "2026-09-10"), ("s2", "2026-09-10", None)]
    data = Dataset(stages=STAGES, deals=[deal("d", history=history)])
    rows = stage_conversion_rate(data, OCTOBER, settings())
    assert [(r.segment, r.value, r.n) for r in rows] == [("all", None, 0)]
