"""A demo contact's core story: who they are, their deals, whether and when they churn.

Everything is drawn from the one generator passed in, in a fixed order, so a story depends
only on its seed string. A contact may get a new-business deal soon after arriving and, if
it is lost, try again later; once a deal is won the contact is a customer, may buy upsells
in the Expansion pipeline, and may churn.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from connectors.demo.catalog import (
    CHURNED_REASON,
    COMPANY_KINDS,
    COMPANY_STEMS,
    CURRENCIES,
    EXPANSION,
    FIRST_NAMES,
    LAST_NAMES,
    LEAD_SOURCES,
    SALES,
    SALES_OWNERS,
)
from connectors.demo.deals import Horizon, Lead, build_deal
from connectors.demo.timeline import Timeline, later
from connectors.schema import Contact, Deal, DealKind

RETRY_CHANCE = 0.3
MAX_NEW_DEALS = 3
MAX_UPSELLS = 4
MEAN_DAYS_TO_DEAL = 7
MEAN_DAYS_TO_RETRY = 90
MEAN_DAYS_TO_UPSELL = 365
MEAN_DAYS_AS_CUSTOMER = 900


@dataclass(frozen=True, slots=True)
class Story:
    """A contact and their deals; `leaves_at` is when a customer churns, even after now."""

    contact: Contact
    deals: tuple[Deal, ...]
    lead: Lead
    customer_since: datetime | None = None
    leaves_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Teller:
    """Tells the stories of `count` contacts of one demo source over `timeline`."""

    source: str
    count: int
    timeline: Timeline

    def tell(self, rng: random.Random, index: int) -> Story:
        """The core story of contact `index`, drawn from `rng`."""
        lead, email = self._lead(rng, index)
        created = self.timeline.contact_created(index, self.count, rng.random())
        deals, since = self._new_business(rng, lead, created)
        leaves_at = None
        if since is not None:
            leaves_at = later(since, rng.expovariate(1 / MEAN_DAYS_AS_CUSTOMER))
            deals += self._upsells(rng, lead, since, leaves_at, len(deals))
        churned = leaves_at if leaves_at is not None and leaves_at < self.timeline.now else None
        contact = Contact(
            source=self.source,
            id=lead.contact_id,
            created_at=created,
            email=email,
            lead_source=lead.source.name,
            churned_at=churned,
        )
        return Story(contact, tuple(deals), lead, since, leaves_at)

    def _lead(self, rng: random.Random, index: int) -> tuple[Lead, str]:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        stem, kind = rng.choice(COMPANY_STEMS), rng.choice(COMPANY_KINDS)
        lead = Lead(
            contact_id=str(index + 1),
            company=f"{stem} {kind}",
            source=rng.choices(LEAD_SOURCES, [s.weight for s in LEAD_SOURCES])[0],
            owner=rng.choices(SALES_OWNERS, [o.weight for o in SALES_OWNERS])[0],
            currency=rng.choices(CURRENCIES, [c.weight for c in CURRENCIES])[0],
        )
        # the index keeps addresses unique however many contacts share a name
        email = f"{first}.{last}{index + 1}@{stem}-{kind}.example".lower()
        return lead, email

    def _new_business(
        self, rng: random.Random, lead: Lead, created: datetime
    ) -> tuple[list[Deal], datetime | None]:
        deals: list[Deal] = []
        chance = lead.source.deal_chance
        start = later(created, rng.expovariate(1 / MEAN_DAYS_TO_DEAL))
        while start < self.timeline.now and len(deals) < MAX_NEW_DEALS and rng.random() < chance:
            deal = self._deal(rng, lead, len(deals), "new", start, Horizon(self.timeline.now))
            deals.append(deal)
            if deal.status == "won":
                return deals, deal.closed_at
            if deal.closed_at is None:
                break
            chance = RETRY_CHANCE
            start = later(deal.closed_at, rng.expovariate(1 / MEAN_DAYS_TO_RETRY))
        return deals, None

    def _upsells(
        self, rng: random.Random, lead: Lead, since: datetime, leaves_at: datetime, done: int
    ) -> list[Deal]:
        now = self.timeline.now
        horizon = Horizon(leaves_at, CHURNED_REASON) if leaves_at < now else Horizon(now)
        deals: list[Deal] = []
        start = later(since, rng.expovariate(1 / MEAN_DAYS_TO_UPSELL))
        while start < horizon.at and len(deals) < MAX_UPSELLS:
            deals.append(self._deal(rng, lead, done + len(deals), "upsell", start, horizon))
            start = later(start, rng.expovariate(1 / MEAN_DAYS_TO_UPSELL))
        return deals

    def _deal(
        self,
        rng: random.Random,
        lead: Lead,
        number: int,
        kind: DealKind,
        created: datetime,
        horizon: Horizon,
    ) -> Deal:
        return build_deal(
            rng,
            source=self.source,
            deal_id=f"{lead.contact_id}-{number + 1}",
            lead=lead,
            pipeline=SALES if kind == "new" else EXPANSION,
            kind=kind,
            created=created,
            horizon=horizon,
            timeline=self.timeline,
        )
