"""The sales performance report: per owner, by stage, status, currency and pipeline for P."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from kpis.dataset import Dataset
from kpis.reports.performance import (
    CurrencyCount,
    OwnerPerformance,
    PipelinePerformance,
    StageValue,
    StatusCount,
    sales_performance,
)
from tests.kpi_builders import deal, owner, period, settings, stage

OCTOBER = period("2026-10")
SETTINGS = settings(rates={"USD": "0.92"})
OWNERS = [owner("u1", "Ada"), owner("u2", "Grace"), owner("u3", "Lin")]


def test_per_owner_won_and_open() -> None:
    """Won in P, their value and average over deals with an amount, and deals open at P.end."""
    data = Dataset(
        owners=OWNERS,
        deals=[
            deal("w1", won="2026-10-05", amount="1000", owner="u1"),
            deal("w2", won="2026-10-20", amount="200", currency="USD", owner="u1"),
            deal("w3", won="2026-10-21", owner="u1"),
            deal("won-in-nov", created="2026-10-10", won="2026-11-05", amount="400", owner="u1"),
            deal("w4", won="2026-10-10", amount="500", owner="u2"),
            deal("o1", created="2026-09-01", amount="300", owner="u2"),
            deal("lost", lost="2026-10-12", amount="50", owner="u3"),
            deal("won-in-sep", won="2026-09-10", amount="9000", owner="u1"),
            deal("created-in-nov", created="2026-11-02", amount="9000", owner="u1"),
        ],
    )
    # Ada: won 1000 + 200 * 0.92 = 1184 over 3 deals, average 1184 / 2 with amounts = 592;
    # open at the end of October: the deal won in November (400)
    assert sales_performance(data, OCTOBER, SETTINGS).owners == (
        OwnerPerformance("Ada", 3, Decimal("1184.00"), Decimal("592.00"), 1, Decimal("400.00")),
        OwnerPerformance("Grace", 1, Decimal("500.00"), Decimal("500.00"), 1, Decimal("300.00")),
        OwnerPerformance("Lin", 0, None, None, 0, None),
    )


def test_owners_rank_by_won_value_then_count_then_name() -> None:
    """Highest won value first; equal values by more won deals, then by name; no value last."""
    data = Dataset(
        owners=OWNERS,
        deals=[
            deal("a", won="2026-10-05", amount="100", owner="u1"),
            deal("g1", won="2026-10-05", amount="60", owner="u2"),
            deal("g2", won="2026-10-06", amount="40", owner="u2"),
            deal("l", won="2026-10-05", amount="100", owner="u3"),
            deal("none", won="2026-10-07"),
            deal("big", won="2026-10-05", amount="101", owner="zed"),
        ],
    )
    # zed 101; Grace 100 in 2 deals; Ada and Lin 100 in 1 deal, by name; (none) has no value
    names = [o.owner for o in sales_performance(data, OCTOBER, SETTINGS).owners]
    assert names == ["zed", "Grace", "Ada", "Lin", "(none)"]


def test_statuses_partition_the_deals_in_the_pipeline() -> None:
    """Open at P.end, won in P and lost in P: always all three, adding up to the pipeline."""
    data = Dataset(
        deals=[
            deal("open", amount="10"),
            deal("closed-later", lost="2026-11-01", amount="20"),
            deal("won", won="2026-10-31T22:59Z", amount="30"),
            deal("lost", lost="2026-10-01", amount=None),
            deal("closed-before", won="2026-09-30T21:59Z", amount="99"),
        ]
    )
    # Berlin: 2026-10-31T22:59Z is 23:59 on Oct 31 (won in P); 2026-09-30T21:59Z is September
    assert sales_performance(data, OCTOBER, SETTINGS).statuses == (
        StatusCount("open", 2, Decimal("30.00")),
        StatusCount("won", 1, Decimal("30.00")),
        StatusCount("lost", 1, None),
    )


def test_open_pipeline_by_stage_at_period_end_in_stage_order() -> None:
    """Open value by stage at P.end: a visit spanning P.end wins, else the current stage."""
    data = Dataset(
        stages=[
            replace(stage("s2", "Proposal"), stage_order=2),
            replace(stage("s1", "Qualified"), stage_order=1),
            stage("won", "Won", closed=True, won=True),
            replace(stage("a1", "Intro", pipeline="p2", pipeline_label="Alpha"), stage_order=5),
        ],
        deals=[
            # in s1 until 2026-11-03, in s2 since: at the end of October it was in s1
            deal(
                "moved",
                stage="s2",
                amount="100",
                history=[("s1", "2026-10-01", "2026-11-03"), ("s2", "2026-11-03", None)],
            ),
            deal("current", stage="s2", amount="200"),
            deal("alpha", pipeline="p2", stage="a1", amount="50"),
            deal("won-since", stage="won", won="2026-11-05", amount="400"),
            deal("unknown-stage", stage="s9", amount=None),
        ],
    )
    # Alpha sorts before Sales; in Sales, stage order 1 then 2, then unknown stages
    assert sales_performance(data, OCTOBER, SETTINGS).stages == (
        StageValue("Alpha / Intro", 1, Decimal("50.00")),
        StageValue("Sales / Qualified", 1, Decimal("100.00")),
        StageValue("Sales / Proposal", 1, Decimal("200.00")),
        StageValue("Sales / (none)", 1, Decimal("400.00")),
        StageValue("Sales / s9", 1, None),
    )


def test_deals_by_currency_keep_original_and_converted_sums() -> None:
    """Per currency: deals, the sum in that currency and the converted sum; none is EUR."""
    data = Dataset(
        deals=[
            deal("eur", won="2026-10-02", amount="100"),
            deal("eur-explicit", amount="50", currency="eur"),
            deal("usd-1", amount="200", currency="USD"),
            deal("usd-2", lost="2026-10-09", amount="100", currency="USD"),
            deal("usd-3", currency="USD"),
        ]
    )
    # USD: 200 + 100 = 300 USD, * 0.92 = 276 EUR
    assert sales_performance(data, OCTOBER, SETTINGS).currencies == (
        CurrencyCount("EUR", 2, Decimal("150.00"), Decimal("150.00")),
        CurrencyCount("USD", 3, Decimal("300.00"), Decimal("276.00")),
    )


def test_deals_by_pipeline() -> None:
    """Per pipeline label: deals, won, lost and open counts, won and open values."""
    data = Dataset(
        stages=[stage("s1", "New"), stage("a1", "Intro", pipeline="p2", pipeline_label="Alpha")],
        deals=[
            deal("w", won="2026-10-02", amount="100"),
            deal("l", lost="2026-10-03", amount="70"),
            deal("o", amount="30"),
            deal("o2", amount="20"),
            deal("a", pipeline="p2", stage="a1", won="2026-10-04"),
        ],
    )
    assert sales_performance(data, OCTOBER, SETTINGS).pipelines == (
        PipelinePerformance("Alpha", 1, 1, 0, 0, None, None),
        PipelinePerformance("Sales", 4, 1, 1, 2, Decimal("100.00"), Decimal("50.00")),
    )


def test_empty_period_has_only_zero_statuses() -> None:
    """With no deal in the pipeline, every table is empty and each status counts 0."""
    report = sales_performance(Dataset(), OCTOBER, SETTINGS)
    assert (report.owners, report.stages, report.currencies, report.pipelines) == ((), (), (), ())
    assert [(s.status, s.deals, s.value) for s in report.statuses] == [
        ("open", 0, None),
        ("won", 0, None),
        ("lost", 0, None),
    ]


@pytest.mark.parametrize(
    ("created", "lost", "status"),
    [
        ("2026-10-31T23:00Z", None, None),
        ("2026-10-01", "2026-10-31T23:00Z", "open"),
        ("2026-09-01", "2026-09-30T22:00Z", "lost"),
        ("2026-09-01", "2026-09-30T21:59Z", None),
    ],
    ids=[
        "created-at-end-is-out",
        "closed-at-end-is-open",
        "closed-at-start-is-in",
        "closed-before",
    ],
)
def test_status_at_the_local_period_bounds(
    created: str, lost: str | None, status: str | None
) -> None:
    """October in Berlin is [2026-09-30T22:00Z, 2026-10-31T23:00Z): the status each bound gives."""
    data = Dataset(deals=[deal("d", created=created, lost=lost)])
    statuses = sales_performance(data, OCTOBER, SETTINGS).statuses
    assert [s.status for s in statuses if s.deals] == ([] if status is None else [status])


def test_visit_left_exactly_at_period_end_is_the_stage_at_end() -> None:
    """A deal that left s1 at the first instant after P is reported in s1 for P."""
    data = Dataset(
        stages=[stage("s1", "Qualified"), stage("s2", "Proposal")],
        deals=[
            deal(
                "d",
                stage="s2",
                history=[
                    ("s1", "2026-10-01", "2026-10-31T23:00Z"),
                    ("s2", "2026-10-31T23:00Z", None),
                ],
            )
        ],
    )
    stages = sales_performance(data, OCTOBER, SETTINGS).stages
    assert [s.stage for s in stages] == ["Sales / Qualified"]


def test_owners_with_the_same_name_are_one_row() -> None:
    """Two owner records named Ada (one per account, say) add up in one row, as segments do."""
    data = Dataset(
        owners=[*OWNERS, owner("u4", "Ada")],
        deals=[
            deal("a1", won="2026-10-05", amount="100", owner="u1"),
            deal("a4", won="2026-10-06", amount="50", owner="u4"),
        ],
    )
    assert sales_performance(data, OCTOBER, SETTINGS).owners == (
        OwnerPerformance("Ada", 2, Decimal("150.00"), Decimal("75.00"), 0, None),
    )


def test_last_visit_spanning_period_end_is_the_stage_at_end() -> None:
    """Of two overlapping visits that both span P.end, the later one in the history wins."""
    history = [("s1", "2026-10-01", "2026-11-02"), ("s2", "2026-10-15", "2026-11-03")]
    data = Dataset(
        stages=[stage("s1", "Qualified"), stage("s2", "Proposal"), stage("s3", "Contract")],
        deals=[deal("d", stage="s3", history=history)],
    )
    stages = sales_performance(data, OCTOBER, SETTINGS).stages
    assert [s.stage for s in stages] == ["Sales / Proposal"]


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        ("s1", ["Sales / Qualified", "Sales / Proposal"]),
        ("Qualified", ["Sales / Proposal", "Sales / Qualified"]),
    ],
    ids=["known-stage-first-sorts-by-stage-order", "unknown-id-first-sorts-after-known"],
)
def test_stage_label_shared_by_known_and_unknown_stage_sorts_as_its_first_deal(
    first: str, expected: list[str]
) -> None:
    """Stage s1 is labelled Qualified; an unknown stage id `Qualified` gets the same label."""
    data = Dataset(
        stages=[
            replace(stage("s1", "Qualified"), stage_order=1),
            replace(stage("s2", "Proposal"), stage_order=2),
        ],
        deals=[
            deal("first", stage=first),
            deal("proposal", stage="s2"),
            deal("other", stage="Qualified" if first == "s1" else "s1"),
        ],
    )
    stages = sales_performance(data, OCTOBER, SETTINGS).stages
    assert [(s.stage, s.open_deals) for s in stages] == [
        (name, 2 if name == "Sales / Qualified" else 1) for name in expected
    ]
