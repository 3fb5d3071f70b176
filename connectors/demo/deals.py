"""One demo deal: its walk through a pipeline's stages, its price, and the `Deal` record.

A deal enters the first open stage when it is created, stays a random while in each stage,
then is lost, steps back one stage (a re-visit), or moves on; past the last open stage it
is won. The walk stops at a horizon: at "now" the deal is still open; at a customer's churn
it is lost for that reason.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from connectors.demo.catalog import (
    LOST_REASONS,
    STALLED_REASON,
    UPSELL_CAMPAIGN_CHANCE,
    UPSELL_CAMPAIGNS,
    CurrencySpec,
    LeadSource,
    OwnerSpec,
    PipelineSpec,
)
from connectors.demo.timeline import Timeline, later
from connectors.schema import Deal, DealKind, DealStatus, StageVisit

REVISIT_CHANCE = 0.08
NO_REASON_CHANCE = 0.2
NO_AMOUNT_CHANCE = 0.05
DEAL_PROBABILITY_CHANCE = 0.3
# a deal that has wandered this long is given up
MAX_VISITS = 20
CENTS = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Lead:
    """The contact a deal is for, with the traits its deals share."""

    contact_id: str
    company: str
    source: LeadSource
    owner: OwnerSpec
    currency: CurrencySpec


@dataclass(frozen=True, slots=True)
class Horizon:
    """Where a walk stops: open at `at`, or, with a `reason`, lost at `at` for it."""

    at: datetime
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Walk:
    """The result of a walk: the final stage and status, and every stage visit."""

    status: DealStatus
    stage_id: str
    visits: tuple[StageVisit, ...]
    closed_at: datetime | None = None
    lost_reason: str | None = None


def walk(
    rng: random.Random,
    pipeline: PipelineSpec,
    created: datetime,
    horizon: Horizon,
    lose_factor: float,
) -> Walk:
    """Move a deal created at `created` (before the horizon) through `pipeline`."""
    visits: list[StageVisit] = []
    position = 0
    entered = created
    for _ in range(MAX_VISITS):
        stage = pipeline.open_stages[position]
        left = later(entered, rng.lognormvariate(math.log(stage.median_days), 0.6))
        if left >= horizon.at:
            if horizon.reason is None:
                visits.append(StageVisit(stage.id, entered, None))
                return Walk("open", stage.id, tuple(visits))
            visits.append(StageVisit(stage.id, entered, horizon.at))
            return _closed(pipeline, visits, "lost", horizon.at, horizon.reason)
        visits.append(StageVisit(stage.id, entered, left))
        entered = left
        roll = rng.random()
        if roll < stage.lose_chance * lose_factor:
            return _closed(pipeline, visits, "lost", left, _lost_reason(rng))
        if position > 0 and roll > 1 - REVISIT_CHANCE:
            position -= 1
        elif position + 1 < len(pipeline.open_stages):
            position += 1
        else:
            return _closed(pipeline, visits, "won", left, None)
    return _closed(pipeline, visits, "lost", entered, STALLED_REASON)


def _closed(
    pipeline: PipelineSpec,
    visits: list[StageVisit],
    status: DealStatus,
    at: datetime,
    reason: str | None,
) -> Walk:
    # closed stages are entered and never exited
    stage_id = pipeline.won_id if status == "won" else pipeline.lost_id
    visits.append(StageVisit(stage_id, at, None))
    return Walk(status, stage_id, tuple(visits), at, reason)


def _lost_reason(rng: random.Random) -> str | None:
    if rng.random() < NO_REASON_CHANCE:
        return None
    return rng.choices([r for r, _ in LOST_REASONS], [w for _, w in LOST_REASONS])[0]


def build_deal(
    rng: random.Random,
    *,
    source: str,
    deal_id: str,
    lead: Lead,
    pipeline: PipelineSpec,
    kind: DealKind,
    created: datetime,
    horizon: Horizon,
    timeline: Timeline,
) -> Deal:
    """A deal of `lead` in `pipeline`, created at `created`, walked up to `horizon`."""
    progress = timeline.progress(created)
    # sales get better over the span: the before/after report should show it
    lose_factor = lead.owner.lose_factor * lead.source.lose_factor * (1.15 - 0.3 * progress)
    plan = rng.choices(pipeline.plans, [p.weight for p in pipeline.plans])[0]
    price = plan.price * lead.currency.price_factor * Decimal(1 + 0.25 * progress)
    amount = (price * Decimal(rng.uniform(0.8, 1.25))).quantize(CENTS)
    result = walk(rng, pipeline, created, horizon, lose_factor)
    expected = later(created, rng.uniform(14, 90)) if result.status == "open" else None
    probability = None
    if result.status == "open" and rng.random() < DEAL_PROBABILITY_CHANCE:
        probability = round(rng.uniform(0.1, 0.9), 2)
    return Deal(
        source=source,
        id=deal_id,
        pipeline_id=pipeline.id,
        stage_id=result.stage_id,
        status=result.status,
        created_at=created,
        name=f"{lead.company} - {plan.name}",
        amount=None if rng.random() < NO_AMOUNT_CHANCE else amount,
        currency=lead.currency.code,
        owner_id=lead.owner.id,
        contact_id=lead.contact_id,
        lead_source=lead.source.name,
        kind=kind,
        lost_reason=result.lost_reason,
        campaign=_campaign(rng, lead, kind),
        closed_at=result.closed_at,
        expected_close_at=expected,
        probability=probability,
        stage_history=result.visits,
    )


def _campaign(rng: random.Random, lead: Lead, kind: DealKind) -> str | None:
    if kind == "upsell":
        campaigns, chance = UPSELL_CAMPAIGNS, UPSELL_CAMPAIGN_CHANCE
    else:
        campaigns, chance = lead.source.campaigns, lead.source.campaign_chance
    return rng.choice(campaigns) if rng.random() < chance else None
