"""The deals' stretches over time from their versions (`kpis.memory.timeline`)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.schema import Deal
from kpis.columns import MISSING, instant_of, micros
from kpis.dataset import Dataset
from kpis.memory.timeline import FOREVER, LOST, OPEN, WON, Timeline
from kpis.money import Converter
from kpis.settings import KpiSettings
from tests.kpi_builders import at, deal, versioned

Stretch = tuple[str, str | None, int, bool, str | None]
"""start, end (None: for ever), status, recorded, the amount of its state."""


def _stretches(*deals: Deal) -> list[Stretch]:
    timeline = Timeline.of(Dataset(deals=deals).columns)
    found = []
    for start, end, row, status, recorded in zip(
        timeline.start.tolist(),
        timeline.end.tolist(),
        timeline.row.tolist(),
        timeline.status.tolist(),
        timeline.recorded.tolist(),
        strict=True,
    ):
        amount = timeline.states.amount[row]
        found.append(
            (
                _text(start),
                None if end == FOREVER else _text(end),
                status,
                recorded,
                None if amount is None else str(amount),
            )
        )
    return found


def _text(value: int) -> str:
    return instant_of(value).isoformat()


def _iso(text: str) -> str:
    return at(text).isoformat()


CASES = {
    "open, never recorded": (
        deal("d", created="2026-01-01", amount="100"),
        [(_iso("2026-01-01"), None, OPEN, False, "100")],
    ),
    "won, never recorded": (
        deal("d", created="2026-01-01", won="2026-03-01", amount="100"),
        [
            (_iso("2026-01-01"), _iso("2026-03-01"), OPEN, False, "100"),
            (_iso("2026-03-01"), None, WON, False, "100"),
        ],
    ),
    "recorded from the first sync, then changed and won": (
        versioned(
            deal("d", created="2026-01-01", amount="100"),
            ("2026-02-01", {}),
            ("2026-03-01", {"amount": "150"}),
            ("2026-04-10", {"status": "won", "closed_at": "2026-04-03"}),
        ),
        [
            (_iso("2026-01-01"), _iso("2026-02-01"), OPEN, False, "100"),
            (_iso("2026-02-01"), _iso("2026-03-01"), OPEN, True, "100"),
            (_iso("2026-03-01"), _iso("2026-04-03"), OPEN, True, "150"),
            (_iso("2026-04-03"), None, WON, True, "150"),
        ],
    ),
    "first seen closed": (
        versioned(
            deal("d", created="2026-01-01", amount="80"),
            ("2026-05-01", {"status": "lost", "closed_at": "2026-03-01"}),
        ),
        [
            (_iso("2026-01-01"), _iso("2026-03-01"), OPEN, False, "80"),
            (_iso("2026-03-01"), _iso("2026-05-01"), LOST, False, "80"),
            (_iso("2026-05-01"), None, LOST, True, "80"),
        ],
    ),
    "reopened": (
        versioned(
            deal("d", created="2026-01-01", amount="10"),
            ("2026-01-01", {}),
            ("2026-02-01", {"status": "won", "closed_at": "2026-02-01"}),
            ("2026-03-01", {"status": "open", "closed_at": None, "amount": "20"}),
        ),
        [
            (_iso("2026-01-01"), _iso("2026-02-01"), OPEN, True, "10"),
            (_iso("2026-02-01"), _iso("2026-03-01"), WON, True, "10"),
            (_iso("2026-03-01"), None, OPEN, True, "20"),
        ],
    ),
    "a close dated before the version before it": (
        versioned(
            deal("d", created="2026-01-01", amount="10"),
            ("2026-02-01", {}),
            ("2026-03-01", {"status": "won", "closed_at": "2026-01-15"}),
        ),
        [
            (_iso("2026-01-01"), _iso("2026-02-01"), OPEN, False, "10"),
            (_iso("2026-02-01"), None, WON, True, "10"),
        ],
    ),
    "a version recorded before the deal was created": (
        versioned(
            deal("d", created="2026-02-01", amount="10"),
            ("2026-01-01", {}),
            ("2026-03-01", {"amount": "20"}),
        ),
        [
            (_iso("2026-02-01"), _iso("2026-03-01"), OPEN, True, "10"),
            (_iso("2026-03-01"), None, OPEN, True, "20"),
        ],
    ),
}


@pytest.mark.parametrize(("record", "expected"), CASES.values(), ids=CASES.keys())
def test_stretches_cover_a_deals_life(record: Deal, expected: list[Stretch]) -> None:
    assert _stretches(record) == expected


def test_deals_keep_their_own_stretches_in_deal_order() -> None:
    first = deal("a", created="2026-01-01", won="2026-02-01", amount="1")
    second = versioned(deal("b", created="2026-01-15", amount="2"), ("2026-01-20", {}))
    timeline = Timeline.of(Dataset(deals=[first, second]).columns)
    assert timeline.deal.tolist() == [0, 0, 1, 1]
    assert timeline.recorded_since.tolist() == [MISSING, micros(at("2026-01-20"))]


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2025-12-31", []),
        ("2026-01-01", [0]),
        ("2026-02-28T23:59:59", [1]),
        ("2026-03-01", [2]),
        ("2026-04-03", [3]),
    ],
    ids=["before creation", "at creation", "before a change", "at a change", "at the close"],
)
def test_a_state_is_read_at_an_instant_including_a_change_at_it(
    instant: str, expected: list[int]
) -> None:
    record = versioned(
        deal("d", created="2026-01-01", amount="100"),
        ("2026-02-01", {}),
        ("2026-03-01", {"amount": "150"}),
        ("2026-04-10", {"status": "won", "closed_at": "2026-04-03"}),
    )
    timeline = Timeline.of(Dataset(deals=[record]).columns)
    assert timeline.at(micros(at(instant))).tolist() == expected


def test_amounts_are_converted_and_rounded_to_the_cent_one_by_one() -> None:
    record = versioned(
        deal("d", created="2026-01-01", amount="10.005", currency="USD"),
        ("2026-02-01", {}),
        ("2026-03-01", {"amount": None}),
    )
    timeline = Timeline.of(Dataset(deals=[record]).columns)
    settings = KpiSettings(rates={"USD": Decimal("0.5")})
    cents, has = timeline.cents(Converter.from_settings(settings))
    # 10.005 USD is 5.0025 EUR: 500 cents
    assert cents.tolist() == [500, 0]
    assert has.tolist() == [True, False]


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-01-01", []),
        ("2026-01-15", [0]),
        ("2026-02-01", [1]),
        ("2026-02-15", []),
        ("2026-03-01", []),
        ("2026-03-15", [2]),
    ],
    ids=[
        "created at the instant",
        "open",
        "closed at the instant",
        "closed before",
        "reopened at the instant",
        "open again",
    ],
)
def test_the_pipeline_as_of_an_instant_holds_deals_created_before_and_not_closed_before(
    instant: str, expected: list[int]
) -> None:
    record = versioned(
        deal("d", created="2026-01-01", amount="10"),
        ("2026-01-01", {}),
        ("2026-02-01", {"status": "won", "closed_at": "2026-02-01"}),
        ("2026-03-01", {"status": "open", "closed_at": None}),
    )
    timeline = Timeline.of(Dataset(deals=[record]).columns)
    assert timeline.pipeline_at(micros(at(instant))).tolist() == expected
