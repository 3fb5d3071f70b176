"""What happens around a demo contact's core story: tickets, list subscriptions, NPS answers.

Each function draws from a generator of its own, so pulling one kind never draws the
others. Nothing happens before the contact arrives or at or after the demo's now.
"""

from __future__ import annotations

import math
import random
from datetime import datetime

from connectors.demo.catalog import (
    EMAIL_LIST_BONUS,
    LISTS,
    SUPPORT_OWNERS,
    TICKET_PIPELINES,
    ListSpec,
)
from connectors.demo.story import Story
from connectors.demo.timeline import Timeline, after_office_hours, later, office_moment
from connectors.schema import SubscriptionAction, SubscriptionEvent, SurveyResponse, Ticket

PRESALES_TICKET_CHANCE = 0.2
ONBOARDING_TICKET_CHANCE = 0.6
MEAN_DAYS_BETWEEN_TICKETS = 75
MAX_TICKETS = 40
IN_OFFICE_CHANCE = 0.9
NEVER_CLOSED_CHANCE = 0.02
SUPPORT_OWNED_CHANCE = 0.85
ACCOUNT_OWNED_CHANCE = 0.10

RESUBSCRIBE_CHANCE = 0.15
CHURN_UNSUBSCRIBE_CHANCE = 0.5

SURVEY_RESPONSE_CHANCE = 0.6
MAX_SURVEYS = 12
# a customer who will churn within this many days answers like a detractor more often
UNHAPPY_DAYS = 180
HAPPY_MIX = (0.50, 0.30, 0.20)
UNHAPPY_MIX = (0.15, 0.30, 0.55)
DETRACTOR_SCORES = (0, 1, 2, 3, 4, 5, 6)
DETRACTOR_WEIGHTS = (1, 1, 1, 2, 3, 5, 7)


def tickets(rng: random.Random, story: Story, timeline: Timeline) -> list[Ticket]:
    """The support tickets the contact raises: maybe one before buying, more as a customer."""
    support, onboarding = TICKET_PIPELINES
    moments: list[tuple[datetime, str]] = []
    if rng.random() < PRESALES_TICKET_CHANCE:
        moments.append((later(story.contact.created_at, rng.expovariate(1 / 14)), support))
    if story.customer_since is not None and story.leaves_at is not None:
        if rng.random() < ONBOARDING_TICKET_CHANCE:
            moments.append((later(story.customer_since, rng.uniform(0, 14)), onboarding))
        end = min(story.leaves_at, timeline.now)
        moment = later(story.customer_since, rng.expovariate(1 / MEAN_DAYS_BETWEEN_TICKETS))
        while moment < end and len(moments) < MAX_TICKETS:
            moments.append((moment, support))
            moment = later(moment, rng.expovariate(1 / MEAN_DAYS_BETWEEN_TICKETS))
    built = (
        _ticket(rng, story, timeline, n, moment, pipe) for n, (moment, pipe) in enumerate(moments)
    )
    return [ticket for ticket in built if ticket is not None]


def _ticket(
    rng: random.Random,
    story: Story,
    timeline: Timeline,
    number: int,
    moment: datetime,
    pipeline: str,
) -> Ticket | None:
    created = office_moment(rng, moment) if rng.random() < IN_OFFICE_CHANCE else moment
    if created >= timeline.now:
        return None
    work_hours = rng.lognormvariate(math.log(5), 1.1)
    resolved = after_office_hours(created, work_hours)
    stuck = rng.random() < NEVER_CLOSED_CHANCE
    closed = None if stuck or resolved >= timeline.now else resolved
    followups = int(rng.expovariate(1 / (0.6 + work_hours / 10)))
    roll = rng.random()
    if roll < SUPPORT_OWNED_CHANCE:
        owner: str | None = rng.choices(SUPPORT_OWNERS, [o.weight for o in SUPPORT_OWNERS])[0].id
    elif roll < SUPPORT_OWNED_CHANCE + ACCOUNT_OWNED_CHANCE:
        owner = story.lead.owner.id
    else:
        owner = None
    return Ticket(
        source=story.contact.source,
        id=f"{story.contact.id}-{number + 1}",
        created_at=created,
        closed_at=closed,
        owner_id=owner,
        followups=followups,
        pipeline=pipeline,
    )


def subscriptions(rng: random.Random, story: Story, timeline: Timeline) -> list[SubscriptionEvent]:
    """The contact's joins and departures of each email list, in list order then time."""
    events: list[SubscriptionEvent] = []
    for spec in LISTS:
        joined = _joined(rng, story, spec)
        while joined is not None and joined < timeline.now:
            events.append(_event(story, spec, "subscribe", joined))
            left = _left(rng, story, spec, joined)
            if left >= timeline.now:
                break
            events.append(_event(story, spec, "unsubscribe", left))
            joined = None
            if rng.random() < RESUBSCRIBE_CHANCE:
                joined = later(left, rng.expovariate(1 / spec.mean_stay_days))
    return events


def _joined(rng: random.Random, story: Story, spec: ListSpec) -> datetime | None:
    chance = spec.join_chance
    if spec.audience == "customers":
        if story.customer_since is None:
            return None
        start = story.customer_since
    else:
        start = story.contact.created_at
        if story.contact.lead_source == "Email":
            chance += EMAIL_LIST_BONUS
    if rng.random() >= chance:
        return None
    return later(start, rng.expovariate(1 / spec.mean_delay_days))


def _left(rng: random.Random, story: Story, spec: ListSpec, joined: datetime) -> datetime:
    left = later(joined, rng.expovariate(1 / spec.mean_stay_days))
    churned = story.contact.churned_at
    if spec.audience != "customers" or churned is None or churned <= joined:
        return left
    # half of the customers who leave also stop reading about the product
    if rng.random() < CHURN_UNSUBSCRIBE_CHANCE:
        return min(left, later(churned, rng.uniform(0, 3)))
    return left


def _event(
    story: Story, spec: ListSpec, action: SubscriptionAction, at: datetime
) -> SubscriptionEvent:
    return SubscriptionEvent(
        source=story.contact.source,
        contact_id=story.contact.id,
        list=spec.name,
        action=action,
        at=at,
    )


def surveys(rng: random.Random, story: Story, timeline: Timeline) -> list[SurveyResponse]:
    """The customer's NPS answers to a survey sent about every quarter while they stay."""
    if story.customer_since is None or story.leaves_at is None:
        return []
    answers: list[SurveyResponse] = []
    end = min(story.leaves_at, timeline.now)
    sent = later(story.customer_since, rng.uniform(30, 90))
    for _ in range(MAX_SURVEYS):
        if sent >= end:
            break
        if rng.random() < SURVEY_RESPONSE_CHANCE:
            unhappy = (story.leaves_at - sent).days < UNHAPPY_DAYS
            score = _score(rng, unhappy)
            submitted = later(sent, rng.uniform(0, 5))
            if submitted >= end:
                break
            answers.append(
                SurveyResponse(
                    source=story.contact.source,
                    id=f"{story.contact.id}-{len(answers) + 1}",
                    score=score,
                    submitted_at=submitted,
                    contact_id=story.contact.id,
                )
            )
        sent = later(sent, rng.uniform(80, 100))
    return answers


def _score(rng: random.Random, unhappy: bool) -> int:
    mix = UNHAPPY_MIX if unhappy else HAPPY_MIX
    group = rng.choices(("promoter", "passive", "detractor"), mix)[0]
    if group == "promoter":
        return rng.choice((9, 10))
    if group == "passive":
        return rng.choice((7, 8))
    return rng.choices(DETRACTOR_SCORES, DETRACTOR_WEIGHTS)[0]
