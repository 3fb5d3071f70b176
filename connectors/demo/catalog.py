"""The fixed cast and vocabulary of the demo CRM: owners, pipelines, sources, lists, names.

Data, and the owner and stage records built from it. The numbers (chances, medians,
factors) are tuned so that every KPI of `docs/kpis.md` has something plausible to show: a win
rate around a third, a bottleneck stage, owners and lead sources that differ, a churn rate
of a few percent a month."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from connectors.schema import Owner, Stage


@dataclass(frozen=True, slots=True)
class OwnerSpec:
    """A CRM user; `lose_factor` scales the chance that their deals are lost at each stage."""

    id: str
    name: str
    email: str
    weight: float
    lose_factor: float = 1.0


@dataclass(frozen=True, slots=True)
class StageSpec:
    """An open stage: its median stay and the chance a deal is lost when it leaves."""

    id: str
    label: str
    probability: float
    median_days: float
    lose_chance: float


@dataclass(frozen=True, slots=True)
class Plan:
    """What a deal sells, at a list price in EUR."""

    name: str
    price: Decimal
    weight: float


@dataclass(frozen=True, slots=True)
class PipelineSpec:
    """A deal pipeline: open stages in order, then its won and lost stages."""

    id: str
    label: str
    open_stages: tuple[StageSpec, ...]
    won_id: str
    lost_id: str
    plans: tuple[Plan, ...]


@dataclass(frozen=True, slots=True)
class LeadSource:
    """Where contacts come from, how often they get a deal, and which campaigns bring them."""

    name: str
    weight: float
    deal_chance: float
    lose_factor: float
    campaigns: tuple[str, ...]
    campaign_chance: float


@dataclass(frozen=True, slots=True)
class CurrencySpec:
    """A deal currency; `price_factor` turns EUR list prices into local price points."""

    code: str
    weight: float
    price_factor: Decimal


@dataclass(frozen=True, slots=True)
class ListSpec:
    """An email list; `audience` says whether contacts join at sign-up or on purchase."""

    name: str
    audience: Literal["everyone", "customers"]
    join_chance: float
    mean_delay_days: float
    mean_stay_days: float


SALES_OWNERS: tuple[OwnerSpec, ...] = (
    OwnerSpec("8100001", "Anna Becker", "anna.becker@acme.example", 0.30, 1.00),
    OwnerSpec("8100002", "Jonas Weber", "jonas.weber@acme.example", 0.30, 1.15),
    OwnerSpec("8100003", "Sofia Rossi", "sofia.rossi@acme.example", 0.25, 0.85),
    OwnerSpec("8100004", "Liam Murphy", "liam.murphy@acme.example", 0.15, 0.95),
)
SUPPORT_OWNERS: tuple[OwnerSpec, ...] = (
    OwnerSpec("8100005", "Mia Schulz", "mia.schulz@acme.example", 0.55),
    OwnerSpec("8100006", "Noah Fischer", "noah.fischer@acme.example", 0.45),
)
OWNERS: tuple[OwnerSpec, ...] = SALES_OWNERS + SUPPORT_OWNERS

SALES = PipelineSpec(
    id="default",
    label="Sales",
    open_stages=(
        StageSpec("appointmentscheduled", "Appointment scheduled", 0.2, 4, 0.30),
        StageSpec("qualifiedtobuy", "Qualified to buy", 0.4, 7, 0.20),
        StageSpec("presentationscheduled", "Presentation scheduled", 0.6, 6, 0.15),
        # the bottleneck the Pipeline tab should point at
        StageSpec("decisionmakerboughtin", "Decision maker bought-in", 0.8, 16, 0.15),
        StageSpec("contractsent", "Contract sent", 0.9, 5, 0.10),
    ),
    won_id="closedwon",
    lost_id="closedlost",
    plans=(
        Plan("Starter plan", Decimal(2400), 0.50),
        Plan("Professional plan", Decimal(9600), 0.35),
        Plan("Enterprise plan", Decimal(36000), 0.15),
    ),
)
EXPANSION = PipelineSpec(
    id="expansion",
    label="Expansion",
    open_stages=(
        StageSpec("expansiondiscovery", "Discovery", 0.3, 5, 0.20),
        StageSpec("expansionproposal", "Proposal sent", 0.6, 8, 0.15),
        StageSpec("expansionnegotiation", "Negotiation", 0.8, 10, 0.10),
    ),
    won_id="expansionwon",
    lost_id="expansionlost",
    plans=(
        Plan("Additional seats", Decimal(1800), 0.55),
        Plan("Premium support", Decimal(3000), 0.30),
        Plan("Enterprise upgrade", Decimal(12000), 0.15),
    ),
)
PIPELINES: tuple[PipelineSpec, ...] = (SALES, EXPANSION)

LEAD_SOURCES: tuple[LeadSource, ...] = (
    LeadSource("Organic search", 0.30, 0.50, 1.00, ("Webinar series",), 0.25),
    LeadSource("Paid social", 0.20, 0.45, 1.20, ("LinkedIn ads", "Meta retargeting"), 0.70),
    LeadSource("Referral", 0.15, 0.75, 0.70, ("Referral programme",), 0.50),
    LeadSource("Events", 0.15, 0.60, 0.90, ("Trade fair", "Partner roadshow"), 0.60),
    LeadSource("Email", 0.20, 0.40, 1.10, ("Monthly newsletter", "Black Friday offer"), 0.55),
)
UPSELL_CAMPAIGNS: tuple[str, ...] = ("Upgrade offer",)
UPSELL_CAMPAIGN_CHANCE = 0.35

# the example config has rates for USD and GBP only: any other code would stop the KPIs
CURRENCIES: tuple[CurrencySpec, ...] = (
    CurrencySpec("EUR", 0.80, Decimal(1)),
    CurrencySpec("USD", 0.12, Decimal("1.1")),
    CurrencySpec("GBP", 0.08, Decimal("0.85")),
)

LOST_REASONS: tuple[tuple[str, float], ...] = (
    ("Price too high", 0.30),
    ("Chose a competitor", 0.25),
    ("No budget", 0.20),
    ("Bad timing", 0.15),
    ("No decision", 0.10),
)
CHURNED_REASON = "Customer churned"
STALLED_REASON = "No decision"

LISTS: tuple[ListSpec, ...] = (
    ListSpec("Newsletter", "everyone", 0.45, 1, 500),
    ListSpec("Product updates", "customers", 0.60, 2, 700),
    ListSpec("Webinars", "everyone", 0.20, 30, 250),
)
EMAIL_LIST_BONUS = 0.35

TICKET_PIPELINES: tuple[str, str] = ("Support", "Onboarding")

FIRST_NAMES: tuple[str, ...] = (
    "Ada", "Ben", "Clara", "David", "Elif", "Finn", "Grace", "Hugo", "Ines", "Jakob",
    "Katja", "Luca", "Maya", "Nils", "Olivia", "Paul", "Rosa", "Samir", "Tessa", "Yusuf",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Andersen", "Bauer", "Costa", "Dubois", "Evans", "Fontaine", "Garcia", "Hansen",
    "Ivanova", "Jansen", "Keller", "Lindqvist", "Moreau", "Novak", "Okafor", "Peters",
    "Quinn", "Richter", "Silva", "Young",
)  # fmt: skip
COMPANY_STEMS: tuple[str, ...] = (
    "Nordwind", "Bluepeak", "Ironleaf", "Sunbridge", "Clearwater", "Redfox", "Silverline",
    "Oakridge", "Brightpath", "Greenhill", "Northstar", "Westbrook",
)  # fmt: skip
COMPANY_KINDS: tuple[str, ...] = (
    "Logistics", "Software", "Consulting", "Foods", "Health", "Studios", "Energy", "Retail",
)  # fmt: skip


def owner_records(source: str) -> tuple[Owner, ...]:
    """Every demo owner, sales and support."""
    return tuple(Owner(source, spec.id, spec.name, spec.email) for spec in OWNERS)


def stage_records(source: str) -> tuple[Stage, ...]:
    """Every stage of both pipelines: the open ones in order, then won, then lost."""
    stages: list[Stage] = []
    for pipeline in PIPELINES:
        rows = [
            (spec.id, spec.label, spec.probability, False, False) for spec in pipeline.open_stages
        ]
        rows.append((pipeline.won_id, "Closed won", 1.0, True, True))
        rows.append((pipeline.lost_id, "Closed lost", 0.0, True, False))
        stages.extend(
            Stage(source, pipeline.id, pipeline.label, stage_id, label, order, chance, closed, won)
            for order, (stage_id, label, chance, closed, won) in enumerate(rows)
        )
    return tuple(stages)
