"""HubSpot objects as normalized records: functions of the raw payload and the mapping.

Each builder raises `SchemaError` (naming the object, its id and the property) for a value
it cannot use; the stream skips that record with a warning. A builder returning None means
the object is not one the KPIs count (a survey answer that is not NPS). They have no side
effect: a deal in a stage its pipeline does not list (an archived stage) is built all the
same, and the pull names it (`sync.references`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.base import Pulled
from connectors.hubspot import journeys
from connectors.hubspot.endpoints import DEALS
from connectors.hubspot.options import HubSpotOptions
from connectors.hubspot.pipelines import Pipelines
from connectors.hubspot.status import deal_status
from connectors.hubspot.values import Props, parse_instant
from connectors.hubspot.versions import deal_versions
from connectors.schema import (
    Contact,
    Deal,
    Owner,
    SchemaError,
    SubscriptionAction,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
)

Raw = Mapping[str, Any]

# v4 subscription statuses; NOT_SPECIFIED says nothing either way and makes no event
# (https://developers.hubspot.com/docs/api-reference/communication-preferences-subscriptions-v4/subscription-status/post-communication-preferences-v4-statuses-batch-read)
SUBSCRIPTION_ACTIONS: dict[str, SubscriptionAction] = {
    "SUBSCRIBED": "subscribe",
    "UNSUBSCRIBED": "unsubscribe",
}


def owner(source: str, raw: Raw) -> Owner:
    """A CRM user; archived (deactivated) owners too, so their deals keep a name."""
    name = " ".join(str(raw.get(part) or "").strip() for part in ("firstName", "lastName")).strip()
    email = str(raw.get("email") or "").strip() or None
    return Owner(source=source, id=str(raw["id"]), name=name, email=email)


def _created(props: Props, raw: Raw, name: str = "createdate") -> datetime:
    """The creation property, else the object's own `createdAt`; one of them is required."""
    created = props.instant(name) or parse_instant(str(raw.get("createdAt") or ""))
    if created is None:
        raise props.bad(name, "is required")
    return created


def contact(source: str, raw: Raw, options: HubSpotOptions) -> Contact:
    props = Props(Contact.KIND, raw)
    return Contact(
        source=source,
        id=props.id,
        created_at=_created(props, raw),
        email=props.text("email"),
        lead_source=props.text(options.lead_source_property),
        churned_at=props.instant(options.churn_date_property),
    )


def primary_contact(raw: Raw) -> str | None:
    """The deal's contact: the lowest id among its associated contacts (the first added)."""
    associations = raw.get("associations") or {}
    found = (associations.get("contacts") or {}).get("results") or ()
    ids = {str(item["id"]) for item in found if isinstance(item, Mapping) and "id" in item}
    return min(ids, key=lambda i: (len(i), i)) if ids else None


def deal(
    source: str, raw: Raw, pipelines: Pipelines, stage_ids: Sequence[str], options: HubSpotOptions
) -> Deal:
    props = Props(Deal.KIND, raw)
    pipeline_id = props.need("pipeline")
    stage_id = props.need("dealstage")
    # as the stage says now; the store re-reads the stage's flags when the KPIs read the
    # deal, so a stage closed or reopened later moves its deals (`sync.store.derived`); a
    # deal in a stage the pipelines response lacks (archived) stays, with its stage id, and
    # the pull names it in a warning (`sync.references`)
    status = deal_status(pipelines, props, pipeline_id, stage_id)
    history = journeys.visits(raw, props, stage_ids, current=stage_id)
    close_date = props.instant("closedate")
    closed_at = None
    if status != "open":
        # a closed deal without a close date closed when it last entered its closed stage
        entered = [visit.entered_at for visit in history if visit.stage_id == stage_id]
        closed_at = close_date or (entered[-1] if entered else None)
    return Deal(
        source=source,
        id=props.id,
        name=props.text("dealname"),
        pipeline_id=pipeline_id,
        stage_id=stage_id,
        status=status,
        created_at=_created(props, raw),
        amount=props.decimal("amount"),
        currency=props.text("deal_currency_code") or options.company_currency,
        owner_id=props.text("hubspot_owner_id"),
        contact_id=primary_contact(raw),
        lead_source=props.text(options.lead_source_property),
        kind="upsell" if props.text("dealtype") in options.upsell_deal_types else "new",
        lost_reason=props.text(options.lost_reason_property) if status == "lost" else None,
        campaign=props.text(options.campaign_property),
        closed_at=closed_at,
        expected_close_at=close_date,
        probability=props.fraction(options.deal_probability_property),
        stage_history=history,
        versions=deal_versions(
            raw, props, pipelines, options, changed_at=props.instant(DEALS.modified)
        ),
    )


def ticket(source: str, raw: Raw, pipelines: Pipelines, options: HubSpotOptions) -> Ticket:
    """A ticket; its stage's `ticketState` says whether it is closed, not `closed_date`.

    A ticket in an open stage is open whatever `closed_date` still says. One in a closed
    stage without `closed_date` closed when it last entered that stage; without that time
    either, at its last modification, the latest it can have closed by what HubSpot says.
    """
    props = Props(Ticket.KIND, raw)
    pipeline_id = props.text("hs_pipeline")
    stage_id = props.text("hs_pipeline_stage") or ""
    stage = pipelines.stage(pipeline_id or "", stage_id)
    closed = props.instant("closed_date")
    if stage is not None and not stage.is_closed:
        closed = None
    elif stage is not None and closed is None:
        closed = journeys.entered_at(props, stage_id) or props.instant("hs_lastmodifieddate")
    followups = props.whole(options.followups_property)
    return Ticket(
        source=source,
        id=props.id,
        created_at=_created(props, raw),
        closed_at=closed,
        owner_id=props.text("hubspot_owner_id"),
        followups=followups or 0,
        pipeline=pipelines.labels.get(pipeline_id, pipeline_id) if pipeline_id else None,
    )


def survey(source: str, raw: Raw) -> SurveyResponse | None:
    """An NPS answer; other surveys (CSAT, CES, custom) are not the KPIs' business."""
    props = Props(SurveyResponse.KIND, raw)
    if (props.text("hs_survey_type") or "").upper() != "NPS":
        return None
    submitted = props.instant("hs_submission_timestamp") or _created(props, raw, "hs_createdate")
    score = props.whole("hs_value")
    if score is None:
        raise props.bad("hs_value", "is required")
    return SurveyResponse(
        source=source,
        id=props.id,
        score=score,
        submitted_at=submitted,
        contact_id=props.text("hs_contact_id"),
    )


def subscription_events(
    source: str, statuses: Iterable[Raw], contacts_by_email: Mapping[str, Sequence[str]]
) -> tuple[list[Pulled], list[SchemaError]]:
    """The events of a v4 status batch, and the statuses that could not be read.

    Each status is the latest change of one subscription of one email address. NOT_SPECIFIED,
    a status without a timestamp and an email of no contact on the page make no event.
    """
    events: list[Pulled] = []
    problems: list[SchemaError] = []
    for result in statuses:
        email = str(result.get("subscriberIdString") or "").strip().lower()
        for status in result.get("statuses") or ():
            action = SUBSCRIPTION_ACTIONS.get(str(status.get("status") or "").upper())
            stamp = str(status.get("timestamp") or "")
            if action is None or not stamp:
                continue
            at = parse_instant(stamp)
            name = status.get("subscriptionName") or f"subscription {status.get('subscriptionId')}"
            for contact_id in contacts_by_email.get(email, ()):
                if at is None:
                    problems.append(
                        SchemaError(
                            SubscriptionEvent.KIND,
                            contact_id,
                            "timestamp",
                            f"{stamp!r} is not a time",
                        )
                    )
                    continue
                event = SubscriptionEvent(source, contact_id, str(name), action, at)
                events.append(Pulled(event, {"subscriberIdString": email, "status": dict(status)}))
    return events, problems
