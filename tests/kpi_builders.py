"""Terse builders of records, periods and settings for the KPI tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from connectors.schema import (
    Contact,
    Deal,
    DealKind,
    DealStatus,
    DealVersion,
    Owner,
    Stage,
    StageVisit,
    SubscriptionAction,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
)
from kpis.periods import Period, parse_period
from kpis.results import ALL, ResultRow
from kpis.settings import KpiSettings, MonthlySpend

BERLIN = ZoneInfo("Europe/Berlin")
SOURCE = "crm"


def at(text: str) -> datetime:
    """An instant from ISO text; text without an offset is UTC."""
    instant = datetime.fromisoformat(text)
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def period(label: str, tz: ZoneInfo = BERLIN) -> Period:
    return parse_period(label, tz)


def settings(
    *, rates: dict[str, str] | None = None, window: int = 365, currency: str = "EUR"
) -> KpiSettings:
    return KpiSettings(
        timezone=BERLIN,
        currency=currency,
        rates={code: Decimal(rate) for code, rate in (rates or {}).items()},
        new_customer_window_days=window,
    )


def deal(
    deal_id: str,
    *,
    created: str = "2020-01-01",
    won: str | None = None,
    lost: str | None = None,
    amount: str | None = None,
    currency: str | None = None,
    owner: str | None = None,
    contact: str | None = None,
    lead_source: str | None = None,
    kind: DealKind = "new",
    pipeline: str = "p1",
    stage: str = "s1",
    history: Sequence[tuple[str, str, str | None]] = (),
) -> Deal:
    """A deal, open unless `won` or `lost` gives its close instant; history is (stage, in, out)."""
    closed = won or lost
    status: DealStatus = "won" if won else "lost" if lost else "open"
    return Deal(
        source=SOURCE,
        id=deal_id,
        pipeline_id=pipeline,
        stage_id=stage,
        status=status,
        created_at=at(created),
        amount=None if amount is None else Decimal(amount),
        currency=currency,
        owner_id=owner,
        contact_id=contact,
        lead_source=lead_source,
        kind=kind,
        closed_at=None if closed is None else at(closed),
        stage_history=tuple(
            StageVisit(stage_id, at(entered), None if exited is None else at(exited))
            for stage_id, entered, exited in history
        ),
    )


def contact(contact_id: str, *, churned: str | None = None) -> Contact:
    return Contact(
        source=SOURCE,
        id=contact_id,
        created_at=at("2020-01-01"),
        churned_at=None if churned is None else at(churned),
    )


def owner(owner_id: str, name: str) -> Owner:
    return Owner(source=SOURCE, id=owner_id, name=name)


def stage(
    stage_id: str,
    label: str,
    *,
    pipeline: str = "p1",
    pipeline_label: str = "Sales",
    closed: bool = False,
    won: bool = False,
) -> Stage:
    return Stage(
        source=SOURCE,
        pipeline_id=pipeline,
        pipeline_label=pipeline_label,
        stage_id=stage_id,
        stage_label=label,
        is_closed=closed,
        is_won=won,
    )


def ticket(
    ticket_id: str,
    *,
    created: str = "2026-10-01",
    closed: str | None = None,
    owner: str | None = None,
    followups: int = 0,
) -> Ticket:
    """A ticket, open unless `closed` gives the instant it was closed."""
    return Ticket(
        source=SOURCE,
        id=ticket_id,
        created_at=at(created),
        closed_at=None if closed is None else at(closed),
        owner_id=owner,
        followups=followups,
    )


def survey(
    survey_id: str, score: int, *, submitted: str = "2026-10-15", contact: str | None = None
) -> SurveyResponse:
    return SurveyResponse(
        source=SOURCE, id=survey_id, score=score, submitted_at=at(submitted), contact_id=contact
    )


def with_campaign(campaign: str | None, *deals: Deal) -> list[Deal]:
    """The deals, attributed to `campaign`."""
    return [replace(d, campaign=campaign) for d in deals]


def subscription(
    contact_id: str, list_name: str, action: SubscriptionAction, when: str
) -> SubscriptionEvent:
    return SubscriptionEvent(
        source=SOURCE, contact_id=contact_id, list=list_name, action=action, at=at(when)
    )


def spend(month_label: str, amount: str, currency: str | None = None) -> MonthlySpend:
    """The spend of the month `2026-10`."""
    year, month_number = month_label.split("-")
    return MonthlySpend(date(int(year), int(month_number), 1), Decimal(amount), currency)


def only(rows: Iterable[ResultRow], segment_by: str = ALL, segment: str = ALL) -> ResultRow:
    """The one row of a segment; fails when there is none or more than one."""
    (found,) = [r for r in rows if (r.segment_by, r.segment) == (segment_by, segment)]
    return found


def values(rows: Iterable[ResultRow]) -> dict[tuple[str, str], object]:
    """Each row's value by `(segment_by, segment)`."""
    return {(r.segment_by, r.segment): r.value for r in rows}


def details(
    built: Deal,
    *,
    name: str | None = None,
    expected: str | None = None,
    probability: float | None = None,
    reason: str | None = None,
) -> Deal:
    """`built` with a name, an expected close instant, a probability and a lost reason."""
    return replace(
        built,
        name=name,
        expected_close_at=None if expected is None else at(expected),
        probability=probability,
        lost_reason=reason,
    )


def versioned(base: Deal, *changes: tuple[str, dict[str, object]]) -> Deal:
    """`base` with recorded versions: each change is (valid_from, the fields it sets).

    Fields carry on from one version to the next, starting from `base`'s; text instants
    (`closed_at`, `expected_close_at`) and amounts are given as text. The deal's present
    fields are its last version's.
    """
    state: dict[str, object] = {
        name: getattr(base, name)
        for name in (
            "pipeline_id",
            "stage_id",
            "status",
            "amount",
            "currency",
            "owner_id",
            "closed_at",
            "expected_close_at",
            "probability",
        )
    }
    versions: list[DealVersion] = []
    for valid_from, fields in changes:
        for name, value in fields.items():
            if isinstance(value, str) and name in {"closed_at", "expected_close_at"}:
                value = at(value)
            elif isinstance(value, str) and name == "amount":
                value = Decimal(value)
            state[name] = value
        start = at(valid_from)
        if versions:
            versions[-1] = replace(versions[-1], valid_to=start)
        versions.append(DealVersion(valid_from=start, valid_to=None, **state))  # type: ignore[arg-type]
    return replace(base, **state, versions=tuple(versions))  # type: ignore[arg-type]
