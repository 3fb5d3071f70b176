"""Pipeline coverage of a revenue goal: the open deals that may still be won before the goal is
due, against what is left of its target (`docs/kpis.md`, Goals: Coverage).

A sales team reads it as "we have 2.3 times what we still need in the pipeline": the open
amount, unweighted and weighted by each deal's stage probability, divided by the remaining
target. Only the revenue KPIs of the catalog (`KpiSpec.revenue`) have it: their value is the
amount of deals won, which is what open deals become.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from kpis.columns import MISSING, DealColumns, distinct_rows, micros
from kpis.dataset import Dataset
from kpis.deal_index import deal_index
from kpis.money import Converter, round_money
from kpis.results import NONE_SEGMENT
from kpis.segments import ALL_SEGMENT, SegmentKey, label
from kpis.settings import KpiSettings


@dataclass(frozen=True, slots=True)
class OpenPipeline:
    """The open deals counted toward a goal, in the reporting currency, exact.

    `amount` sums the deals with an amount; `weighted` sums amount times stage probability, a
    deal whose stage has no probability adding nothing to it.
    """

    amount: Decimal
    weighted: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Coverage:
    """A revenue goal's open pipeline against its remaining target.

    `remaining` is target - value so far (rounded to cents), None when the goal is met or past
    due; `pipeline` and `weighted` the open amounts (rounded); `ratio` = pipeline ÷ remaining
    and `weighted_ratio` = weighted ÷ remaining, from the exact figures, None without a
    remaining target.
    """

    remaining: Decimal | None
    pipeline: Decimal
    weighted: Decimal
    ratio: float | None
    weighted_ratio: float | None


def coverage(remaining: Decimal | None, pipeline: OpenPipeline) -> Coverage:
    """The coverage of `pipeline` over `remaining` (exact; None when nothing remains)."""
    if remaining is not None and remaining <= 0:
        remaining = None
    return Coverage(
        remaining=None if remaining is None else round_money(remaining),
        pipeline=round_money(pipeline.amount),
        weighted=round_money(pipeline.weighted),
        ratio=None if remaining is None else float(pipeline.amount / remaining),
        weighted_ratio=None if remaining is None else float(pipeline.weighted / remaining),
    )


def open_pipeline(
    data: Dataset, settings: KpiSettings, segment: SegmentKey, due: datetime
) -> OpenPipeline:
    """The deals open now in `segment` whose expected close is before `due`, or unset.

    A deal expected on no date may close any day, so it counts; one whose expected close has
    passed is still open, so it counts too. Segments are those of the KPI rows: all, owner,
    pipeline and lead source (`kpis.segments`), and campaign as `campaign_revenue` names it.
    Raises `CurrencyError` for a deal's currency without a rate.
    """
    deals = data.columns.deals
    expected = deals.expected_close_at
    counted = (
        deals.is_status("open")
        & ((expected == MISSING) | (expected < micros(due)))
        & _in_segment(data, settings, segment)
    )
    positions = np.flatnonzero(counted)
    amounts = Converter.from_settings(settings).values(deals, positions.tolist())
    probabilities = _stage_probabilities(data, deals, positions)
    total, weighted = Decimal(0), Decimal(0)
    for amount, probability in zip(amounts, probabilities, strict=True):
        if amount is None:
            continue
        total += amount
        if probability is not None:
            weighted += amount * probability
    return OpenPipeline(total, weighted)


def _in_segment(data: Dataset, settings: KpiSettings, segment: SegmentKey) -> npt.NDArray[np.bool_]:
    """Which deals are in `segment`, by the names the KPI rows give segments."""
    deals = data.columns.deals
    if segment == ALL_SEGMENT:
        return np.ones(len(deals), dtype=np.bool_)
    segment_by, name = segment
    if segment_by == "campaign":
        # as `kpis.purchases` names campaigns; the last entry is for the deals without one
        named = [label(value) == name for value in deals.campaign.values]
        matches = np.array([*named, name == NONE_SEGMENT], dtype=np.bool_)
        found: npt.NDArray[np.bool_] = matches[deals.campaign.codes]
        return found
    table = deal_index(data, settings).segments
    combinations = np.array([segment in each for each in table.segments], dtype=np.bool_)
    in_segment: npt.NDArray[np.bool_] = combinations[table.combination]
    return in_segment


def _stage_probabilities(
    data: Dataset, deals: DealColumns, positions: npt.NDArray[np.intp]
) -> list[Decimal | None]:
    """Each deal's stage probability as an exact decimal (`str` of a float is its shortest
    repr, so 0.3 is Decimal("0.3")); None for a stage unknown or without one. Each distinct
    stage is looked up once."""
    at, rows = distinct_rows(
        deals.source.codes[positions],
        deals.pipeline_id.codes[positions],
        deals.stage_id.codes[positions],
    )
    table: list[Decimal | None] = []
    for source, pipeline, stage in rows:
        found = data.stage(
            deals.source.values[source],
            deals.pipeline_id.values[pipeline],
            deals.stage_id.values[stage],
        )
        probability = None if found is None else found.probability
        table.append(None if probability is None else Decimal(str(probability)))
    return [table[row] for row in at.tolist()]
