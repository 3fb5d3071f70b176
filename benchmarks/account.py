"""A synthetic CRM account at benchmark scale, drawn record by record from a few distributions.

The demo connector plays out each customer's story, a few thousand records a second; this
draws every record directly, so that committing them to the store is what takes the time.
It speaks the demo's vocabulary (its two pipelines and their stages, lead sources,
campaigns, currencies, lost reasons) so that the numbers look like the demo's. Three years
of contacts end at `END`; the deals, tickets and surveys of the last two years follow them.
Same size and seed, same account.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from benchmarks.basis import DAY, DEALS_START, END, SOURCE, START, growing, instant
from benchmarks.deals import NO_OWNER, DealDraws, SalesRep
from connectors.demo.catalog import (
    EXPANSION,
    FIRST_NAMES,
    LAST_NAMES,
    LEAD_SOURCES,
    SALES,
    TICKET_PIPELINES,
    LeadSource,
    stage_records,
)
from connectors.schema import (
    Contact,
    Deal,
    Owner,
    Stage,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
)

EXPANSION_SHARE = 0.2
NO_CONTACT = 0.03
CHURN_CHANCE = 0.3
# (list, chance a contact joins, mean days until joining, mean days subscribed)
LISTS: tuple[tuple[str, float, float, float], ...] = (
    ("Newsletter", 0.25, 2, 400),
    ("Webinars", 0.06, 30, 200),
)
PRODUCT_UPDATES = ("Product updates", 0.6, 3, 600)
"""The list customers join after their first purchase."""
SCORES = tuple(range(11))
SCORE_WEIGHTS = (2, 1, 1, 2, 2, 4, 6, 12, 18, 24, 28)


@dataclass(frozen=True)
class AccountSize:
    """How many records of each kind to draw, and the seed that makes them reproducible."""

    contacts: int = 1_000_000
    deals: int = 250_000
    tickets: int = 250_000
    surveys: int = 200_000
    sales_owners: int = 40
    support_owners: int = 12
    seed: int = 7

    def scaled(self, factor: float) -> AccountSize:
        """The same account with every record count multiplied by `factor` (owners stay)."""
        return replace(
            self,
            contacts=round(self.contacts * factor),
            deals=round(self.deals * factor),
            tickets=round(self.tickets * factor),
            surveys=round(self.surveys * factor),
        )


class Account:
    """Draws the records of one account; call the methods in the order the store needs."""

    def __init__(self, size: AccountSize) -> None:
        self.size = size
        self._rng = random.Random(size.seed)
        rng = self._rng
        start, end = START.timestamp(), END.timestamp()
        self._created = sorted(growing(rng, start, end) for _ in range(size.contacts))
        self._lead = rng.choices(LEAD_SOURCES, [s.weight for s in LEAD_SOURCES], k=size.contacts)
        self._reps = [
            SalesRep(str(9_100_001 + n), rng.uniform(0.8, 1.25)) for n in range(size.sales_owners)
        ]
        self._rep_weights = [rng.paretovariate(2.0) for _ in self._reps]
        self._agents = [str(9_200_001 + n) for n in range(size.support_owners)]
        self._draws = DealDraws(rng, self._reps, self._rep_weights)
        self._customer_since: dict[int, float] = {}

    def owners(self) -> list[Owner]:
        """Sales reps, then support agents, named from the demo's first and last names."""
        ids = [rep.owner_id for rep in self._reps] + self._agents
        owners = []
        for n, owner_id in enumerate(ids):
            first = FIRST_NAMES[n % len(FIRST_NAMES)]
            last = LAST_NAMES[(n // len(FIRST_NAMES) + n) % len(LAST_NAMES)]
            email = f"{first}.{last}.{n}@acme.example".lower()
            owners.append(Owner(SOURCE, owner_id, f"{first} {last}", email))
        return owners

    def stages(self) -> tuple[Stage, ...]:
        return stage_records(SOURCE)

    def deals(self) -> Iterator[Deal]:
        """New-business deals first, then upsells to the customers they made.

        Drawing upsells last lets them go to contacts who already bought, as they do.
        """
        rng = self._rng
        expansion = round(self.size.deals * EXPANSION_SHARE)
        for n in range(self.size.deals - expansion):
            index = rng.randrange(self.size.contacts) if self.size.contacts else None
            if index is None or rng.random() < NO_CONTACT:
                created = growing(rng, DEALS_START.timestamp(), END.timestamp())
                yield self._draws.deal(n, None, self._lead_of(None), created, SALES)
                continue
            # a contact from before the deals' two years comes back some time within them
            signed_up = self._created[index]
            if signed_up < DEALS_START.timestamp():
                signed_up = growing(rng, DEALS_START.timestamp(), END.timestamp())
            created = self._after(signed_up, 20)
            deal = self._draws.deal(n, index, self._lead[index], created, SALES)
            if deal.status == "won" and deal.closed_at is not None:
                since = deal.closed_at.timestamp()
                self._customer_since[index] = min(since, self._customer_since.get(index, since))
            yield deal
        customers = sorted(self._customer_since)
        for n in range(self.size.deals - expansion, self.size.deals):
            index = rng.choice(customers) if customers else None
            since = DEALS_START.timestamp() if index is None else self._customer_since[index]
            lead = self._lead_of(index)
            yield self._draws.deal(n, index, lead, self._after(since, 120), EXPANSION)

    def _lead_of(self, index: int | None) -> LeadSource:
        if index is None:
            return self._rng.choices(LEAD_SOURCES, [s.weight for s in LEAD_SOURCES])[0]
        return self._lead[index]

    def _after(self, start: float, mean_days: float) -> float:
        """A time after `start` (mean `mean_days` later), before `END`."""
        end = END.timestamp()
        at = start + self._rng.expovariate(1 / mean_days) * DAY
        return at if at < end else self._rng.uniform(start, end)

    def contacts(self) -> Iterator[Contact]:
        """Every contact; some customers churn some time after their first purchase."""
        rng = self._rng
        end = END.timestamp()
        for index, created in enumerate(self._created):
            churned = None
            since = self._customer_since.get(index)
            if since is not None and rng.random() < CHURN_CHANCE:
                at = since + rng.expovariate(1 / 300) * DAY
                churned = instant(at) if at < end else None
            contact_id = str(1_000_001 + index)
            yield Contact(
                source=SOURCE,
                id=contact_id,
                created_at=instant(created),
                email=None if rng.random() < 0.04 else f"contact{contact_id}@example.com",
                lead_source=self._lead[index].name,
                churned_at=churned,
            )

    def subscriptions(self) -> Iterator[SubscriptionEvent]:
        """Contacts join lists after they sign up (customers: after they buy), some leave."""
        for index, created in enumerate(self._created):
            contact_id = str(1_000_001 + index)
            for spec in LISTS:
                yield from self._subscription(contact_id, created, spec)
            since = self._customer_since.get(index)
            if since is not None:
                yield from self._subscription(contact_id, since, PRODUCT_UPDATES)

    def _subscription(
        self, contact_id: str, start: float, spec: tuple[str, float, float, float]
    ) -> Iterator[SubscriptionEvent]:
        rng = self._rng
        name, chance, delay, stay = spec
        if rng.random() >= chance:
            return
        joined = start + rng.expovariate(1 / delay) * DAY
        if joined >= END.timestamp():
            return
        yield SubscriptionEvent(SOURCE, contact_id, name, "subscribe", instant(joined))
        left = joined + rng.expovariate(1 / stay) * DAY
        if left < END.timestamp():
            yield SubscriptionEvent(SOURCE, contact_id, name, "unsubscribe", instant(left))

    def tickets(self) -> Iterator[Ticket]:
        """Tickets of the last two years, most solved within a day or two."""
        rng = self._rng
        end = END.timestamp()
        for n in range(self.size.tickets):
            created = growing(rng, DEALS_START.timestamp(), end)
            closed = created + rng.lognormvariate(math.log(18), 1.1) * 3600
            yield Ticket(
                source=SOURCE,
                id=str(7_000_000_001 + n),
                created_at=instant(created),
                closed_at=instant(closed) if closed < end else None,
                owner_id=rng.choice(self._agents) if rng.random() > NO_OWNER else None,
                followups=int(rng.expovariate(0.5)),
                pipeline=TICKET_PIPELINES[0] if rng.random() < 0.8 else TICKET_PIPELINES[1],
            )

    def surveys(self) -> Iterator[SurveyResponse]:
        """NPS answers of the last two years, most from a known contact."""
        rng = self._rng
        scores: Sequence[int] = rng.choices(SCORES, SCORE_WEIGHTS, k=self.size.surveys)
        for n, score in enumerate(scores):
            contact = rng.randrange(self.size.contacts) if self.size.contacts else None
            yield SurveyResponse(
                source=SOURCE,
                id=str(8_000_000_001 + n),
                score=score,
                submitted_at=instant(growing(rng, DEALS_START.timestamp(), END.timestamp())),
                contact_id=None
                if contact is None or rng.random() < 0.05
                else str(1_000_001 + contact),
            )
