"""stuck_deals: open deals in their stage longer than its threshold, at P.end or now."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from connectors.schema import Deal
from kpis.dataset import Dataset
from kpis.settings import KpiSettings
from kpis.stuck import stuck_deals, stuck_report
from tests.kpi_builders import at, deal, only, owner, period, settings, stage

OCTOBER = period("2026-10")
END = OCTOBER.end  # 2026-10-31T23:00Z: Berlin is back on UTC+1
STAGES = [stage("s1", "New"), stage("s2", "Demo"), stage("won", "Won", closed=True, won=True)]
NEW = "Sales / New"
Summary = tuple[str, object, int]
"""A row's segment, value and n."""


def _left(count: int, *, exited: str = "2026-10-20") -> list[Deal]:
    """`count` deals won on `exited` after 1, 2, ... `count` days in New."""
    return [
        deal(
            f"past{days}",
            history=[
                ("s1", (at(exited) - timedelta(days=days)).isoformat(), exited),
                ("won", exited, None),
            ],
            won=exited,
        )
        for days in range(1, count + 1)
    ]


def _open(deal_id: str, days: float, *, stage_id: str = "s1") -> Deal:
    """A deal that entered `stage_id` `days` before the end of October and is still in it."""
    entered = (END - timedelta(days=days)).isoformat()
    return deal(deal_id, stage=stage_id, history=[(stage_id, entered, None)])


def _rows(deals: list[Deal], kpi_settings: KpiSettings | None = None) -> set[Summary]:
    data = Dataset(stages=STAGES, deals=deals, owners=[owner("o1", "Ada")])
    rows = stuck_deals(data, OCTOBER, kpi_settings or settings())
    return {(r.segment, r.value, r.n) for r in rows}


def test_the_threshold_is_numpys_linear_90th_percentile() -> None:
    """Visits of 1..10 days: rank 0.9 * 9 = 8.1, so 9 + 0.1 * (10 - 9) = 9.1 days.

    Open in New at the end for 9, 9.2 and 12 days: the last two are stuck, of 3 open.
    """
    assert np.percentile(np.arange(1, 11), 90) == pytest.approx(9.1)
    deals = [*_left(10), _open("a", 9), _open("b", 9.2), _open("c", 12)]
    assert _rows(deals) == {("all", 2, 3), (NEW, 2, 3)}


def test_fewer_than_ten_visits_give_no_threshold_and_no_row() -> None:
    """Nine visits left New: no threshold, no stage row, and the `all` row is null, not 0."""
    assert _rows([*_left(9), _open("c", 40)]) == {("all", None, 0)}


def test_visits_left_before_the_window_do_not_count() -> None:
    """The window is the 365 local days ending 2026-10-31: one of ten visits left before it."""
    deals = [*_left(9), *_left(1, exited="2025-10-31T22:00:00"), _open("c", 40)]
    assert _rows(deals) == {("all", None, 0)}
    deals = [*_left(9), *_left(1, exited="2025-10-31T23:00:00"), _open("c", 40)]
    assert _rows(deals) == {("all", 1, 1), (NEW, 1, 1)}


def test_configured_days_need_no_visits() -> None:
    """`kpis.stuck_days` gives New a threshold of 5 days though no visit ever left it."""
    configured = replace(settings(), stuck_days={NEW: 5})
    assert _rows([_open("a", 4), _open("b", 6)], configured) == {("all", 1, 2), (NEW, 1, 2)}


def test_configured_days_win_over_the_percentile() -> None:
    """With ten visits (9.1 days) and 20 days set, a deal 12 days in New is not stuck."""
    configured = replace(settings(), stuck_days={NEW: 20})
    assert _rows([*_left(10), _open("c", 12)], configured) == {("all", 0, 1), (NEW, 0, 1)}


def test_only_deals_open_at_the_end_count() -> None:
    """A deal won after October was open at its end and counts; one won before does not."""
    configured = replace(settings(), stuck_days={NEW: 5})
    deals = [
        deal("later", won="2026-11-03", history=[("s1", "2026-10-01", "2026-11-03")]),
        deal("before", won="2026-10-30", history=[("s1", "2026-10-01", "2026-10-30")]),
    ]
    assert _rows(deals, configured) == {("all", 1, 1), (NEW, 1, 1)}


def test_a_running_period_is_measured_now() -> None:
    """Now is 2026-10-15T00:00Z: a deal in New since 10-01T00:00Z has 14 days, not 31."""
    configured = replace(settings(), stuck_days={NEW: 10}, now=at("2026-10-15"))
    data = Dataset(
        stages=STAGES,
        owners=[owner("o1", "Ada")],
        deals=[
            deal("long", owner="o1", history=[("s1", "2026-10-01", None)]),
            deal("short", history=[("s1", "2026-10-08", None)]),
        ],
    )
    report = stuck_report(data, OCTOBER, configured)
    assert report.at == at("2026-10-15")
    assert [(d.deal_id, d.stage, d.owner, d.days_in_stage) for d in report.deals] == [
        ("long", NEW, "Ada", 14.0)
    ]
    assert only(stuck_deals(data, OCTOBER, configured), "stage", NEW).value == 1


def test_the_list_is_longest_first() -> None:
    """Stuck deals of every stage, longest in stage first, each with its threshold."""
    configured = replace(settings(), stuck_days={NEW: 5, "Sales / Demo": 1})
    data = Dataset(
        stages=STAGES,
        deals=[_open("a", 6), _open("b", 30, stage_id="s2"), _open("c", 8), _open("d", 2)],
    )
    report = stuck_report(data, OCTOBER, configured)
    assert [(d.deal_id, d.days_in_stage, d.threshold_days) for d in report.deals] == [
        ("b", 30.0, 1.0),
        ("c", 8.0, 5.0),
        ("a", 6.0, 5.0),
    ]


@pytest.mark.parametrize(
    ("deals", "stuck_days", "note"),
    [
        ([_open("a", 6)], {NEW: 5}, "threshold 5 days: kpis.stuck_days"),
        (
            [*_left(10), _open("c", 12)],
            {},
            "threshold 9.1 days: the 90th percentile of 10 visits left in 2025-11-01..2026-10-31",
        ),
    ],
    ids=["configured", "percentile"],
)
def test_the_stage_row_notes_its_threshold(
    deals: list[Deal], stuck_days: dict[str, float], note: str
) -> None:
    """Each stage row says what its threshold is and where it comes from."""
    data = Dataset(stages=STAGES, deals=deals)
    kpi_settings = replace(settings(), stuck_days=stuck_days)
    assert only(stuck_deals(data, OCTOBER, kpi_settings), "stage", NEW).note == note
