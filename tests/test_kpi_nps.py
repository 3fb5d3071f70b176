"""nps: 100 x (promoters - detractors) ÷ responses over the responses submitted in P."""

from __future__ import annotations

import pytest

from kpis.catalog import KPIS
from kpis.columns import micros
from kpis.dataset import Dataset
from kpis.service import nps, survey_index
from tests.kpi_builders import at, only, period, settings, survey

OCTOBER = period("2026-10")


def _scores(*scores: int, submitted: str = "2026-10-15") -> Dataset:
    return Dataset(
        surveys=[survey(f"r{i}", score, submitted=submitted) for i, score in enumerate(scores)]
    )


def test_worked_example() -> None:
    """docs/kpis.md: 50 promoters, 30 passives and 20 detractors give an NPS of 30."""
    # 100 x (50 - 20) / 100 = 30
    data = _scores(*[10] * 25, *[9] * 25, *[8] * 15, *[7] * 15, *[0] * 10, *[6] * 10)
    row = only(nps(data, OCTOBER, settings()))
    assert (row.value, row.unit, row.n, row.numerator, row.denominator) == (
        30.0,
        "score",
        100,
        30,
        100,
    )


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ((0,), -100.0),
        ((6,), -100.0),
        ((7,), 0.0),
        ((8,), 0.0),
        ((9,), 100.0),
        ((10,), 100.0),
        ((9, 7, 8), 100 / 3),
        ((0, 0, 0, 10), -50.0),
    ],
    ids=[
        "0-detractor",
        "6-detractor",
        "7-passive",
        "8-passive",
        "9-promoter",
        "10-promoter",
        "passives-dilute-unrounded",
        "negative",
    ],
)
def test_score_bands(scores: tuple[int, ...], expected: float) -> None:
    """0-6 detract, 7-8 count only in the denominator, 9-10 promote; the value is unrounded."""
    # 1 promoter of 3 = 33.33...; 1 promoter and 3 detractors of 4 = 100 x -2 / 4 = -50
    assert only(nps(_scores(*scores), OCTOBER, settings())).value == expected


def test_numerator_is_net_promoters() -> None:
    """The numerator is promoters - detractors, which can be negative."""
    # 1 promoter - 2 detractors = -1 of 4 responses: 100 x -1 / 4 = -25
    row = only(nps(_scores(10, 3, 5, 7), OCTOBER, settings()))
    assert (row.value, row.numerator, row.denominator, row.n) == (-25.0, -1, 4, 4)


@pytest.mark.parametrize(
    ("submitted", "counted"),
    [
        ("2026-09-30T21:59:59Z", False),
        ("2026-09-30T22:00Z", True),
        ("2026-10-31T22:59:59Z", True),
        ("2026-10-31T23:00Z", False),
    ],
    ids=["before-berlin-start", "at-start", "last-second", "at-end"],
)
def test_only_responses_submitted_in_period(submitted: str, counted: bool) -> None:
    """A response counts in the period its submission instant falls in, by Berlin midnights."""
    data = Dataset(surveys=[survey("in", 10), survey("edge", 0, submitted=submitted)])
    # the promoter alone is 100; with the detractor 100 x (1 - 1) / 2 = 0
    assert only(nps(data, OCTOBER, settings())).value == (0.0 if counted else 100.0)


def test_every_response_counts() -> None:
    """Three answers from one contact are three responses, not one."""
    data = Dataset(surveys=[survey(f"r{i}", s, contact="c1") for i, s in enumerate((10, 0, 10))])
    # 2 promoters - 1 detractor of 3: 100 x 1 / 3
    row = only(nps(data, OCTOBER, settings()))
    assert (row.value, row.n) == (100 / 3, 3)


def test_no_response_is_null() -> None:
    """Without a response in the period the NPS is null, not 0, and only the all row exists."""
    rows = nps(_scores(10, submitted="2026-11-02"), OCTOBER, settings())
    assert [(r.segment_by, r.segment, r.value, r.n, r.numerator, r.denominator) for r in rows] == [
        ("all", "all", None, 0, 0, 0)
    ]


def test_index_counts_promoters_and_detractors_so_far() -> None:
    """Responses by submission, ties in dataset order, with running counts from 0."""
    data = Dataset(
        surveys=[
            survey("late", 0, submitted="2026-10-20"),
            survey("tie-1", 10, submitted="2026-10-02"),
            survey("early", 7, submitted="2026-10-01"),
            survey("tie-2", 3, submitted="2026-10-02"),
        ]
    )
    index = survey_index(data, settings())
    # in order: 7 (passive), 10 (promoter), 3 (detractor), 0 (detractor)
    assert (
        index.submitted_at.tolist(),
        index.promoters.tolist(),
        index.detractors.tolist(),
    ) == (
        [micros(at(d)) for d in ("2026-10-01", "2026-10-02", "2026-10-02", "2026-10-20")],
        [0, 0, 1, 1, 1],
        [0, 0, 0, 1, 2],
    )


def test_registered_under_its_id() -> None:
    """The engine publishes the NPS under the id `nps`."""
    assert KPIS["nps"].function is nps
