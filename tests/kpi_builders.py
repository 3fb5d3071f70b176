"""Terse builders of records, periods and settings for the KPI tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from connectors.schema import Contact, Deal, DealKind, DealStatus, Owner, Stage, StageVisit
from kpis.periods import Period, parse_period
from kpis.results import ALL, ResultRow
from kpis.settings import KpiSettings

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


def only(rows: Iterable[ResultRow], segment_by: str = ALL, segment: str = ALL) -> ResultRow:
    """The one row of a segment; fails when there is none or more than one."""
    (found,) = [r for r in rows if (r.segment_by, r.segment) == (segment_by, segment)]
    return found


def values(rows: Iterable[ResultRow]) -> dict[tuple[str, str], object]:
    """Each row's value by `(segment_by, segment)`."""
    return {(r.segment_by, r.segment): r.value for r in rows}
