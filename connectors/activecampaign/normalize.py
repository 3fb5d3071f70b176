"""ActiveCampaign records as normalized records: pure functions, no I/O.

Each function takes one record as the API sent it and what it needs from elsewhere (custom
field values, pipeline titles, the stored deal), and returns schema records or raises
`BadValue`/`SchemaError` naming the field, so the caller can skip that record with a warning.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from connectors.activecampaign.history import Change, DealState, timeline
from connectors.activecampaign.settings import FieldMap
from connectors.activecampaign.values import (
    BadValue,
    cents,
    flag,
    instant,
    options,
    ref,
    status,
    text,
    utc_instant,
    whole,
)
from connectors.schema import (
    Contact,
    Deal,
    Owner,
    Stage,
    SubscriptionEvent,
)

Raw = Mapping[str, Any]


def need(record: Raw, field_name: str, value: Any) -> Any:
    if value is None:
        raise BadValue(field_name, "is missing")
    return value


def owner(source: str, user: Raw) -> Owner:
    """A user (https://developers.activecampaign.com/reference/list-all-users) as an owner."""
    first, last = text(user, "firstName"), text(user, "lastName")
    name = " ".join(part for part in (first, last) if part) or text(user, "username") or ""
    return Owner(source, need(user, "id", ref(user, "id")), name, text(user, "email"))


def stages(source: str, groups: Sequence[Raw], deal_stages: Sequence[Raw]) -> Iterator[Stage]:
    """Each stage of each pipeline (`dealGroups` and their `dealStages`).

    ActiveCampaign stages have no win probability and no closed stages: a deal is won or lost
    by its status, whatever stage it is in.
    """
    titles = {ref(group, "id"): text(group, "title") for group in groups}
    for raw in deal_stages:
        pipeline_id = need(raw, "group", ref(raw, "group"))
        stage_id = need(raw, "id", ref(raw, "id"))
        yield Stage(
            source=source,
            pipeline_id=pipeline_id,
            pipeline_label=titles.get(pipeline_id) or pipeline_id,
            stage_id=stage_id,
            stage_label=text(raw, "title") or stage_id,
            stage_order=whole(raw, "order") or 0,
        )


def contact(source: str, raw: Raw, values: Mapping[str, str], zone: tzinfo) -> Contact:
    """A contact; its creation time from `cdate`, its source and churn date from custom fields.

    `cdate` carries an offset. `created_utc_timestamp` is read only without it: in the API's
    own examples it holds the wall-clock time of `cdate` (`udate` "…13:50:18-05:00" beside
    `updated_utc_timestamp` "…13:50:18",
    https://developers.activecampaign.com/reference/list-all-contacts), so it may be hours off.
    """
    created = (
        instant(raw, "cdate", zone)
        or utc_instant(raw, "created_utc_timestamp")
        or instant(raw, "created_timestamp", zone)
    )
    churn = values.get("churn_date")
    return Contact(
        source=source,
        id=need(raw, "id", ref(raw, "id")),
        created_at=need(raw, "cdate", created),
        email=text(raw, "email"),
        lead_source=values.get("source"),
        churned_at=instant({"churn_date": churn}, "churn_date", zone) if churn else None,
    )


def subscriptions(
    source: str, membership: Raw, list_names: Mapping[str, str], zone: tzinfo
) -> list[SubscriptionEvent]:
    """A contact's membership of a list as its subscribe and unsubscribe events.

    Status 1 is subscribed since `sdate`; 2 (unsubscribed) and 3 (bounced) have left at
    `udate`; 0 (unconfirmed) has not joined yet (community answer quoted in the project's
    reference: https://community.activecampaign.com/t/retrieve-opt-ins-opt-outs-or-bounces-since-a-specific-date/17698).
    """
    contact_id = need(membership, "contact", ref(membership, "contact"))
    list_id = need(membership, "list", ref(membership, "list"))
    name = list_names.get(list_id, list_id)
    code = whole(membership, "status")
    joined = instant(membership, "sdate", zone)
    events = []
    if code in (1, 2, 3) and joined is not None:
        events.append(SubscriptionEvent(source, contact_id, name, "subscribe", joined))
    if code in (2, 3):
        left = instant(membership, "udate", zone) or instant(membership, "updated_timestamp", zone)
        if left is not None:
            events.append(SubscriptionEvent(source, contact_id, name, "unsubscribe", left))
    return events


@dataclass(frozen=True)
class DealContext:
    """What a deal needs beside its own payload."""

    fields: FieldMap
    zone: tzinfo
    stage_pipelines: Mapping[str, str]
    first_stages: Collection[str]
    values: Mapping[str, str] = field(default_factory=dict)
    changes: Sequence[Change] = ()
    previous: Deal | None = None


def deal(source: str, raw: Raw, context: DealContext) -> Deal:
    """A deal (https://developers.activecampaign.com/reference/deal), with its close date and
    stage history derived as `history` explains."""
    deal_id = need(raw, "id", ref(raw, "id"))
    if flag(raw, "isDisabled") and ref(raw, "stage") is None:
        # "without pipeline permission" the API returns only id, title and isDisabled
        raise BadValue("isDisabled", "this API key has no permission on the deal's pipeline")
    stage_id = need(raw, "stage", ref(raw, "stage"))
    pipeline_id = ref(raw, "group") or need(raw, "group", context.stage_pipelines.get(stage_id))
    created = need(raw, "cdate", instant(raw, "cdate", context.zone))
    now = DealState(
        stage_id=stage_id,
        status=status(raw),
        created_at=created,
        modified_at=instant(raw, "mdate", context.zone) or created,
        first_stage=stage_id in context.first_stages,
    )
    history = timeline(now, context.changes, context.previous)
    values = context.values
    return Deal(
        source=source,
        id=deal_id,
        name=text(raw, "title"),
        pipeline_id=pipeline_id,
        stage_id=stage_id,
        status=now.status,
        created_at=created,
        amount=_amount(raw),
        currency=text(raw, "currency"),
        owner_id=ref(raw, "owner"),
        contact_id=ref(raw, "contact"),
        # a deal has no source of its own: the store derives its contact's when the KPIs
        # read it, so a source filled in later still counts (`sync.store.derived`)
        lead_source=None,
        # the deal's own kind: the store makes a deal of an upsell pipeline an upsell when the
        # KPIs read it, so a renamed pipeline's deals follow (`sync.store.derived`)
        kind="upsell" if context.fields.is_upsell(None, values.get("upsell")) else "new",
        lost_reason=values.get("lost_reason") if now.status == "lost" else None,
        # the field's value, an email campaign's id or a name: the store names the campaign
        # of an id when the KPIs read it, so a renamed campaign's deals follow
        # (`sync.store.derived`)
        campaign=values.get("campaign"),
        closed_at=history.closed_at,
        expected_close_at=_date_value(values.get("expected_close"), context.zone),
        probability=_probability(raw),
        stage_history=history.visits,
    )


def _amount(raw: Raw) -> Decimal | None:
    # the value is required when a deal is made, so 0 is what an unvalued deal carries: it
    # counts as "no amount", which keeps it out of sums and averages of value
    value = cents(raw, "value")
    return None if value is None or value == 0 else value


def _date_value(value: str | None, zone: tzinfo) -> datetime | None:
    return instant({"value": value}, "value", zone) if value else None


def _probability(raw: Raw) -> float | None:
    # `winProbability` is an integer percentage, null where win probability is not enabled
    percent = whole(raw, "winProbability")
    if percent is None or not 0 <= percent <= 100:
        return None
    return percent / 100


def custom_values(
    data: Sequence[Raw],
    wanted: Mapping[str, str],
    owner_keys: Sequence[str],
    field_keys: Sequence[str],
    value_keys: Sequence[str],
) -> dict[str, dict[str, str]]:
    """Custom field values by owner (deal or contact) id, then role, for the `wanted` field ids.

    `wanted` maps a field id to its role. The keys of a value differ between endpoints and
    between side-loaded and listed values, so each is looked up under the names given, the
    first present one counting.
    """
    found: dict[str, dict[str, str]] = {}
    for datum in data:
        try:
            field_id = _first(datum, field_keys)
            owner_id = _first(datum, owner_keys)
            value = next((v for key in value_keys if (v := text(datum, key))), None)
        except BadValue:
            continue
        role = wanted.get(field_id or "")
        if role is None or owner_id is None or value is None:
            continue
        found.setdefault(owner_id, {})[role] = options(value)
    return found


def _first(datum: Raw, keys: Sequence[str]) -> str | None:
    return next((value for key in keys if (value := ref(datum, key))), None)
