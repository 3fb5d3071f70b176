"""Deals of the synthetic account: amounts, owners, outcomes and 3 to 6 stage visits each."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from benchmarks.basis import DAY, END, SOURCE, instant
from connectors.demo.catalog import (
    CURRENCIES,
    EXPANSION,
    LOST_REASONS,
    UPSELL_CAMPAIGN_CHANCE,
    UPSELL_CAMPAIGNS,
    LeadSource,
    PipelineSpec,
)
from connectors.schema import Deal, StageVisit

NO_OWNER = 0.02
NO_AMOUNT = 0.05
NO_LOST_REASON = 0.1
OWN_PROBABILITY = 0.15
WIN_CHANCE = 0.36
BACK_A_STAGE = 0.12


@dataclass(frozen=True, slots=True)
class SalesRep:
    """An owner of deals; `lose_factor` divides their chance to win."""

    owner_id: str
    lose_factor: float


class DealDraws:
    """Draws one deal at a time from the account's random generator and sales reps."""

    def __init__(
        self, rng: random.Random, reps: Sequence[SalesRep], weights: Sequence[float]
    ) -> None:
        self._rng = rng
        self._reps = reps
        self._weights = weights

    def deal(
        self,
        n: int,
        contact: int | None,
        lead: LeadSource,
        created: float,
        pipeline: PipelineSpec,
    ) -> Deal:
        """Deal number `n` of `pipeline`, created at `created` (POSIX seconds).

        It closes after a lognormal cycle (median 35 days) unless that is after `END`, won or
        lost by chances the lead source and the owner shift; `contact` is the index of its
        contact, None for a deal without one.
        """
        rng = self._rng
        rep = rng.choices(self._reps, self._weights)[0]
        cycle = rng.lognormvariate(math.log(35), 0.7) * DAY
        closed = created + cycle
        status = "open"
        if closed < END.timestamp():
            win = WIN_CHANCE / (lead.lose_factor * rep.lose_factor)
            status = "won" if rng.random() < win else "lost"
        visits = self._visits(pipeline, status, created, closed)
        upsell = pipeline is EXPANSION
        campaigns, chance = (
            (UPSELL_CAMPAIGNS, UPSELL_CAMPAIGN_CHANCE)
            if upsell
            else (lead.campaigns, lead.campaign_chance)
        )
        currency = rng.choices(CURRENCIES, [c.weight for c in CURRENCIES])[0]
        plan = rng.choices(pipeline.plans, [p.weight for p in pipeline.plans])[0]
        cents = int(plan.price * currency.price_factor * 100 * Decimal(rng.uniform(0.8, 1.0)))
        return Deal(
            source=SOURCE,
            id=str(5_000_000_001 + n),
            pipeline_id=pipeline.id,
            stage_id=visits[-1].stage_id,
            status=status,  # type: ignore[arg-type]
            created_at=instant(created),
            name=f"{plan.name} #{n + 1}",
            amount=None if rng.random() < NO_AMOUNT else Decimal(cents).scaleb(-2),
            currency=currency.code,
            owner_id=None if rng.random() < NO_OWNER else rep.owner_id,
            contact_id=None if contact is None else str(1_000_001 + contact),
            lead_source=lead.name,
            kind="upsell" if upsell else "new",
            lost_reason=self._lost_reason() if status == "lost" else None,
            campaign=rng.choice(campaigns) if rng.random() < chance else None,
            closed_at=None if status == "open" else instant(closed),
            expected_close_at=instant(created + rng.lognormvariate(math.log(40), 0.5) * DAY),
            probability=round(rng.random(), 2) if rng.random() < OWN_PROBABILITY else None,
            stage_history=visits,
        )

    def _lost_reason(self) -> str | None:
        if self._rng.random() < NO_LOST_REASON:
            return None
        return self._rng.choices(LOST_REASONS, [w for _, w in LOST_REASONS])[0][0]

    def _visits(
        self, pipeline: PipelineSpec, status: str, created: float, closed: float
    ) -> tuple[StageVisit, ...]:
        """3 to 6 visits: open stages in order (now and then a step back), then the close.

        An open deal's last visit is its current stage, not yet exited.
        """
        rng = self._rng
        stages = pipeline.open_stages
        count = rng.randint(2, 5) if status != "open" else rng.randint(3, 6)
        path = [0]
        while len(path) < count:
            at = path[-1]
            back = at == len(stages) - 1 or (at > 0 and rng.random() < BACK_A_STAGE)
            path.append(at - 1 if back else at + 1)
        weights = [stages[i].median_days * rng.expovariate(1) for i in path]
        span = (closed if status != "open" else END.timestamp()) - created
        # an open deal's current visit takes a share too, so that it was entered before END
        total = sum(weights) if status != "open" else sum(weights) + weights[-1]
        bounds = [created]
        for weight in weights:
            bounds.append(bounds[-1] + span * weight / total)
        if status != "open":
            bounds[-1] = closed  # exactly, so that the closing visit starts at closed_at
        times = [instant(bound) for bound in bounds]
        visits = [StageVisit(stages[i].id, times[k], times[k + 1]) for k, i in enumerate(path)]
        if status == "open":
            visits[-1] = StageVisit(visits[-1].stage_id, visits[-1].entered_at)
        else:
            final = pipeline.won_id if status == "won" else pipeline.lost_id
            visits.append(StageVisit(final, times[-1]))
        return tuple(visits)
