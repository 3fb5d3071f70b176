"""The normalized, CRM-independent records every connector yields: the connectors' contract.

Records are immutable and validated when built. Money is `Decimal`, instants are aware
datetimes converted to UTC. A value the KPIs could not make sense of (a score of 11, a
negative amount, a deal closed before it was created) raises `SchemaError`, which names
the record and the field so that a connector can skip the record with a useful warning.

`source` is the connector a record came from; together with `id` it is the record's key.
Every reference between records (a deal's owner, contact, pipeline) points inside the
same source.
"""

from __future__ import annotations

import json
import types
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal, TypeAlias, Union, get_args, get_origin

DealStatus: TypeAlias = Literal["open", "won", "lost"]
DealKind: TypeAlias = Literal["new", "upsell"]
SubscriptionAction: TypeAlias = Literal["subscribe", "unsubscribe"]

DEAL_STATUSES: frozenset[str] = frozenset(get_args(DealStatus))
DEAL_KINDS: frozenset[str] = frozenset(get_args(DealKind))
SUBSCRIPTION_ACTIONS: frozenset[str] = frozenset(get_args(SubscriptionAction))


class SchemaError(ValueError):
    """A record that breaks the schema; names the record kind, its id and the field."""

    def __init__(self, kind: str, record_id: str, field_name: str, reason: str) -> None:
        self.kind = kind
        self.record_id = record_id
        self.field = field_name
        self.reason = reason
        super().__init__(f"{kind} {record_id!r}: {field_name}: {reason}")


def _utc(kind: str, record_id: str, name: str, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise SchemaError(kind, record_id, name, f"timestamp {value.isoformat()} has no UTC offset")
    return value.astimezone(UTC)


def _require(kind: str, record_id: str, name: str, value: object) -> None:
    if value is None or value == "":
        raise SchemaError(kind, record_id, name, "is required")


class _Record:
    """Shared validation helpers; `KIND` names the entity in messages and in the store."""

    KIND: ClassVar[str]
    id: str

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)

    def _fail(self, name: str, reason: str) -> SchemaError:
        return SchemaError(self.KIND, self.id, name, reason)

    def _normalize_times(self, *names: str) -> None:
        for name in names:
            self._set(name, _utc(self.KIND, self.id, name, getattr(self, name)))

    def _check_order(self, earlier: str, later: str) -> None:
        t0, t1 = getattr(self, earlier), getattr(self, later)
        if t0 is not None and t1 is not None and t1 < t0:
            raise self._fail(later, f"{t1.isoformat()} is before {earlier} {t0.isoformat()}")


@dataclass(frozen=True, slots=True)
class Owner(_Record):
    """A CRM user who owns deals or tickets."""

    KIND: ClassVar[str] = "owner"
    source: str
    id: str
    name: str
    email: str | None = None

    def __post_init__(self) -> None:
        _require(self.KIND, self.id, "id", self.id)


@dataclass(frozen=True, slots=True)
class Stage(_Record):
    """One stage of one pipeline, with the pipeline's label and the stage's metadata."""

    KIND: ClassVar[str] = "stage"
    source: str
    pipeline_id: str
    pipeline_label: str
    stage_id: str
    stage_label: str
    stage_order: int = 0
    probability: float | None = None
    is_closed: bool = False
    is_won: bool = False
    id: str = field(init=False)

    def __post_init__(self) -> None:
        self._set("id", stage_key(self.pipeline_id, self.stage_id))
        _require(self.KIND, self.id, "pipeline_id", self.pipeline_id)
        _require(self.KIND, self.id, "stage_id", self.stage_id)
        if self.probability is not None and not 0 <= self.probability <= 1:
            raise self._fail("probability", f"must be between 0 and 1 (got {self.probability})")
        if self.is_won and not self.is_closed:
            raise self._fail("is_won", "a won stage must also be closed")


def field_type(name: str, hint: Any) -> tuple[Any, bool]:
    """A field's annotation without its `| None`, and whether it had one.

    The one reading of the schema's annotations that the store's tables, the KPI columns and
    the CSV layout derive from; a union of two real types is no field type.
    """
    if get_origin(hint) not in (Union, types.UnionType):
        return hint, False
    others = [arg for arg in get_args(hint) if arg is not type(None)]
    if len(others) != 1:
        raise TypeError(f"field {name!r}: {hint!r} is not one type or one type | None")
    return others[0], len(others) < len(get_args(hint))


def stage_key(pipeline_id: str, stage_id: str) -> str:
    """The store key of a stage: stage ids are only unique within their pipeline in most CRMs."""
    return json.dumps([pipeline_id, stage_id])


@dataclass(frozen=True, slots=True)
class Contact(_Record):
    """A person in the CRM; a customer once one of their deals is won."""

    KIND: ClassVar[str] = "contact"
    source: str
    id: str
    created_at: datetime
    email: str | None = None
    lead_source: str | None = None
    churned_at: datetime | None = None

    def __post_init__(self) -> None:
        _require(self.KIND, self.id, "id", self.id)
        _require(self.KIND, self.id, "created_at", self.created_at)
        self._normalize_times("created_at", "churned_at")


@dataclass(frozen=True, slots=True)
class StageVisit:
    """A deal's stay in one stage; `exited_at` is None while the deal is still there."""

    stage_id: str
    entered_at: datetime
    exited_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DealVersion:
    """One state of a deal, from `valid_from` until `valid_to` (None while it is the state).

    The fields are those whose change makes a version (`docs/kpis.md`, The pipeline's
    memory), with `closed_at` beside `status`. A deal's versions are its recorded history:
    the store adds one when a sync sees these fields change, and a connector whose API keeps
    property history (HubSpot) gives the versions from before the first sync.
    """

    valid_from: datetime
    valid_to: datetime | None
    pipeline_id: str
    stage_id: str
    status: DealStatus
    amount: Decimal | None = None
    currency: str | None = None
    owner_id: str | None = None
    closed_at: datetime | None = None
    expected_close_at: datetime | None = None
    probability: float | None = None

    def state(self) -> tuple[object, ...]:
        """What a new version must differ in: every field but the validity."""
        return (
            self.pipeline_id,
            self.stage_id,
            self.status,
            self.amount,
            self.currency,
            self.owner_id,
            self.closed_at,
            self.expected_close_at,
            self.probability,
        )


@dataclass(frozen=True, slots=True)
class Deal(_Record):
    """An opportunity in a pipeline.

    `closed_at` is set exactly when the deal is won or lost. `probability` is the deal's own
    when the CRM has one; the KPIs fall back to the stage's.
    """

    KIND: ClassVar[str] = "deal"
    source: str
    id: str
    pipeline_id: str
    stage_id: str
    status: DealStatus
    created_at: datetime
    name: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    owner_id: str | None = None
    contact_id: str | None = None
    lead_source: str | None = None
    kind: DealKind = "new"
    lost_reason: str | None = None
    campaign: str | None = None
    closed_at: datetime | None = None
    expected_close_at: datetime | None = None
    probability: float | None = None
    stage_history: tuple[StageVisit, ...] = ()
    versions: tuple[DealVersion, ...] = ()

    def __post_init__(self) -> None:
        _require(self.KIND, self.id, "id", self.id)
        _require(self.KIND, self.id, "pipeline_id", self.pipeline_id)
        _require(self.KIND, self.id, "stage_id", self.stage_id)
        _require(self.KIND, self.id, "created_at", self.created_at)
        if self.status not in DEAL_STATUSES:
            raise self._fail("status", f"must be one of open, won, lost (got {self.status!r})")
        if self.kind not in DEAL_KINDS:
            raise self._fail("kind", f"must be new or upsell (got {self.kind!r})")
        self._normalize_times("created_at", "closed_at", "expected_close_at")
        if self.status == "open" and self.closed_at is not None:
            raise self._fail("closed_at", "an open deal has no close date")
        if self.status != "open" and self.closed_at is None:
            raise self._fail("closed_at", f"is required for a {self.status} deal")
        self._check_order("created_at", "closed_at")
        self._check_money()
        if self.probability is not None and not 0 <= self.probability <= 1:
            raise self._fail("probability", f"must be between 0 and 1 (got {self.probability})")
        self._set("stage_history", tuple(self._checked_visits()))
        self._set("versions", tuple(self._checked_versions()))

    def version(self, valid_from: datetime) -> DealVersion:
        """The deal's present state as a version starting at `valid_from`."""
        return DealVersion(
            valid_from=valid_from,
            valid_to=None,
            pipeline_id=self.pipeline_id,
            stage_id=self.stage_id,
            status=self.status,
            amount=self.amount,
            currency=self.currency,
            owner_id=self.owner_id,
            closed_at=self.closed_at,
            expected_close_at=self.expected_close_at,
            probability=self.probability,
        )

    def _checked_versions(self) -> list[DealVersion]:
        """The versions in UTC and in order, each ending where the next starts, the last open."""
        checked: list[DealVersion] = []
        for version in sorted(self.versions, key=lambda v: v.valid_from):
            kind, key = self.KIND, self.id
            start = _utc(kind, key, "versions.valid_from", version.valid_from)
            end = _utc(kind, key, "versions.valid_to", version.valid_to)
            assert start is not None
            if end is not None and end < start:
                raise self._fail(
                    "versions",
                    f"a version ends {end.isoformat()} before it starts {start.isoformat()}",
                )
            if checked and checked[-1].valid_to != start:
                raise self._fail(
                    "versions",
                    f"the version from {start.isoformat()} does not start where "
                    "the one before it ends",
                )
            if version.status not in DEAL_STATUSES:
                raise self._fail(
                    "versions.status", f"must be open, won or lost (got {version.status!r})"
                )
            checked.append(
                replace(
                    version,
                    valid_from=start,
                    valid_to=end,
                    closed_at=_utc(kind, key, "versions.closed_at", version.closed_at),
                    expected_close_at=_utc(
                        kind, key, "versions.expected_close_at", version.expected_close_at
                    ),
                )
            )
        if checked and checked[-1].valid_to is not None:
            raise self._fail("versions", "the last version must still hold (no valid_to)")
        return checked

    def _check_money(self) -> None:
        if self.currency is not None:
            code = self.currency.strip().upper()
            if len(code) != 3 or not code.isalpha():
                raise self._fail("currency", f"must be an ISO 4217 code (got {self.currency!r})")
            self._set("currency", code)
        if self.amount is None:
            return
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise self._fail("amount", f"must be a finite Decimal (got {self.amount!r})")
        if self.amount < 0:
            raise self._fail("amount", f"must not be negative (got {self.amount})")

    def _checked_visits(self) -> list[StageVisit]:
        visits = []
        for visit in self.stage_history:
            entered = _utc(self.KIND, self.id, "stage_history.entered_at", visit.entered_at)
            exited = _utc(self.KIND, self.id, "stage_history.exited_at", visit.exited_at)
            assert entered is not None
            if exited is not None and exited < entered:
                raise self._fail(
                    "stage_history",
                    f"stage {visit.stage_id!r} exited {exited.isoformat()} "
                    f"before it was entered {entered.isoformat()}",
                )
            visits.append(StageVisit(visit.stage_id, entered, exited))
        visits.sort(key=lambda v: v.entered_at)
        return visits


@dataclass(frozen=True, slots=True)
class Ticket(_Record):
    """A support ticket; `followups` counts agent replies and outbound touches after creation."""

    KIND: ClassVar[str] = "ticket"
    source: str
    id: str
    created_at: datetime
    closed_at: datetime | None = None
    owner_id: str | None = None
    followups: int = 0
    pipeline: str | None = None

    def __post_init__(self) -> None:
        _require(self.KIND, self.id, "id", self.id)
        _require(self.KIND, self.id, "created_at", self.created_at)
        self._normalize_times("created_at", "closed_at")
        self._check_order("created_at", "closed_at")
        if self.followups < 0:
            raise self._fail("followups", f"must not be negative (got {self.followups})")


@dataclass(frozen=True, slots=True)
class SubscriptionEvent(_Record):
    """A contact joining or leaving an email list; keyed by its content, which is unique."""

    KIND: ClassVar[str] = "subscription"
    source: str
    contact_id: str
    list: str
    action: SubscriptionAction
    at: datetime
    id: str = field(init=False)

    def __post_init__(self) -> None:
        at = _utc(self.KIND, self.contact_id, "at", self.at)
        self._set(
            "id", json.dumps([self.contact_id, self.list, self.action, at and at.isoformat()])
        )
        _require(self.KIND, self.id, "contact_id", self.contact_id)
        _require(self.KIND, self.id, "list", self.list)
        _require(self.KIND, self.id, "at", at)
        if self.action not in SUBSCRIPTION_ACTIONS:
            raise self._fail("action", f"must be subscribe or unsubscribe (got {self.action!r})")
        self._set("at", at)


@dataclass(frozen=True, slots=True)
class SurveyResponse(_Record):
    """An NPS answer: how likely, from 0 to 10, the contact is to recommend us."""

    KIND: ClassVar[str] = "survey"
    source: str
    id: str
    score: int
    submitted_at: datetime
    contact_id: str | None = None

    def __post_init__(self) -> None:
        _require(self.KIND, self.id, "id", self.id)
        _require(self.KIND, self.id, "submitted_at", self.submitted_at)
        if isinstance(self.score, bool) or not isinstance(self.score, int):
            raise self._fail("score", f"must be a whole number (got {self.score!r})")
        if not 0 <= self.score <= 10:
            raise self._fail("score", f"must be between 0 and 10 (got {self.score})")
        self._normalize_times("submitted_at")


Record: TypeAlias = Owner | Stage | Contact | Deal | Ticket | SubscriptionEvent | SurveyResponse

RECORD_TYPES: tuple[type[Record], ...] = (
    Owner,
    Stage,
    Contact,
    Deal,
    Ticket,
    SubscriptionEvent,
    SurveyResponse,
)
