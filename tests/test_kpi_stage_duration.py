"""stage_duration_days(_median): time in each open stage, over visits exited in P."""

from __future__ import annotations

import numpy as np
import pytest

from kpis.catalog import KpiFunction
from kpis.columns import distinct_rows
from kpis.dataset import Dataset
from kpis.stages import stage_duration_days, stage_duration_days_median
from tests.kpi_builders import deal, only, period, settings, stage, values

OCTOBER = period("2026-10")
STAGES = [
    stage("s1", "New"),
    stage("s2", "Demo"),
    stage("won", "Won", closed=True, won=True),
    stage("lost", "Lost", closed=True),
    stage("r1", "Renewal call", pipeline="p2", pipeline_label="Renewals"),
]


def _visits(*days: int, stage_id: str = "s1") -> Dataset:
    deals = [
        deal(f"d{i}", history=[(stage_id, "2026-10-01", f"2026-10-{1 + length:02d}")])
        for i, length in enumerate(days)
    ]
    return Dataset(stages=STAGES, deals=deals)


@pytest.mark.parametrize(
    ("kpi", "days", "expected"),
    [
        (stage_duration_days, (1, 2, 6), 3.0),
        (stage_duration_days_median, (1, 2, 6), 2.0),
        (stage_duration_days, (1, 2, 3, 10), 4.0),
        (stage_duration_days_median, (1, 2, 3, 10), 2.5),
    ],
    ids=["mean-odd", "median-odd", "mean-even", "median-even-is-mean-of-middle-two"],
)
def test_mean_and_median_per_stage(
    kpi: KpiFunction, days: tuple[int, ...], expected: float
) -> None:
    """Visits of 1, 2, 6 days: mean 3, median 2; of 1, 2, 3, 10 days: mean 4, median 2.5."""
    row = only(kpi(_visits(*days), OCTOBER, settings()), "stage", "Sales / New")
    assert (row.value, row.n, row.unit) == (expected, len(days), "days")


def test_closed_stage_visits_make_no_row() -> None:
    """A visit of a won or lost stage, even one the deal left when reopened, is never counted."""
    history = [
        ("s1", "2026-10-01", "2026-10-03"),
        ("won", "2026-10-03", "2026-10-08"),
        ("s2", "2026-10-08", "2026-10-09"),
        ("lost", "2026-10-09", None),
    ]
    data = Dataset(stages=STAGES, deals=[deal("d", history=history)])
    assert values(stage_duration_days(data, OCTOBER, settings())) == {
        ("all", "all"): 1.5,
        ("stage", "Sales / Demo"): 1.0,
        ("stage", "Sales / New"): 2.0,
    }


@pytest.mark.parametrize(
    ("pipeline", "stage_id", "segment"),
    [
        ("p1", "s-x", "Sales / s-x"),
        ("p9", "s9", "p9 / s9"),
        ("p1", "r1", "Renewals / Renewal call"),
    ],
    ids=["unknown-stage-raw-id", "unknown-pipeline-raw-ids", "stage-of-former-pipeline"],
)
def test_stage_segment_names(pipeline: str, stage_id: str, segment: str) -> None:
    """A stage is named `Pipeline / Stage`, with raw ids for what the dataset does not know."""
    history = [(stage_id, "2026-10-01", "2026-10-02")]
    data = Dataset(stages=STAGES, deals=[deal("d", pipeline=pipeline, history=history)])
    rows = stage_duration_days(data, OCTOBER, settings())
    assert [(r.segment_by, r.segment) for r in rows] == [("all", "all"), ("stage", segment)]


@pytest.mark.parametrize(
    ("entered", "exited", "counted"),
    [
        ("2026-09-01", "2026-09-30T22:00Z", True),
        ("2026-10-01", "2026-10-31T23:00Z", False),
        ("2026-10-01", "2026-10-31T22:59Z", True),
        ("2026-10-01", None, False),
        ("2026-10-10", "2026-11-05", False),
    ],
    ids=[
        "exited-at-start-included",
        "exited-at-end-excluded",
        "exited-before-end",
        "still-in-stage",
        "exited-after-p",
    ],
)
def test_visit_counts_in_period_it_was_exited(
    entered: str, exited: str | None, counted: bool
) -> None:
    """A visit counts, with its whole length, in the period that contains its exit."""
    data = Dataset(stages=STAGES, deals=[deal("d", history=[("s1", entered, exited)])])
    assert only(stage_duration_days(data, OCTOBER, settings())).n == (1 if counted else 0)


def test_visit_across_dst_change_lasts_its_real_hours() -> None:
    """Midnight 24 October to midnight 26 October in Berlin spans the DST change: 49 hours."""
    history = [("s1", "2026-10-24T00:00+02:00", "2026-10-26T00:00+01:00")]
    data = Dataset(stages=STAGES, deals=[deal("d", history=history)])
    assert only(stage_duration_days(data, OCTOBER, settings())).value == 49 / 24


@pytest.mark.parametrize(
    "kpi", [stage_duration_days, stage_duration_days_median], ids=["mean", "median"]
)
def test_no_exited_visit_is_null(kpi: KpiFunction) -> None:
    """Without a visit exited in the period there is only the all row, null."""
    data = Dataset(stages=STAGES, deals=[deal("d", history=[("s1", "2026-10-01", None)])])
    assert [(r.segment_by, r.value, r.n) for r in kpi(data, OCTOBER, settings())] == [
        ("all", None, 0)
    ]


@pytest.mark.parametrize(
    ("columns", "numbers", "rows"),
    [
        (([0, 1, 0], [2, -1, 2]), [0, 1, 0], [(0, 2), (1, -1)]),
        (([1, 0], [0, 0]), [1, 0], [(0, 0), (1, 0)]),
        (([-1, -1],), [0, 0], [(-1,)]),
        (([], []), [], []),
    ],
    ids=["repeated-row-and-no-label", "numbered-in-ascending-order", "only-no-label", "empty"],
)
def test_distinct_rows(
    columns: tuple[list[int], ...], numbers: list[int], rows: list[tuple[int, ...]]
) -> None:
    """Each row's number among the distinct rows, and those rows with their codes back."""
    found, distinct = distinct_rows(*(np.array(codes, dtype=np.int32) for codes in columns))
    assert (found.tolist(), distinct) == (numbers, rows)


def test_one_stage_reached_from_two_pipelines_is_one_row() -> None:
    """Visits of r1 by deals of either pipeline count in the one `Renewals / Renewal call` row."""
    deals = [
        deal(f"d-{pipeline}", pipeline=pipeline, history=[("r1", "2026-10-01", exited)])
        for pipeline, exited in (("p1", "2026-10-02"), ("p2", "2026-10-04"))
    ]
    data = Dataset(stages=STAGES, deals=deals)
    row = only(stage_duration_days(data, OCTOBER, settings()), "stage", "Renewals / Renewal call")
    assert (row.value, row.n) == (2.0, 2)
