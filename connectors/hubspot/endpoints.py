"""What the HubSpot connector reads: the objects, their paths, scopes and properties. Data only.

Facts and their sources are in docs/hubspot.md; the numbers below each cite the page that
states them.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.schema import Contact, Deal, SurveyResponse, Ticket

BASE_URL = "https://api.hubapi.com"
TOKEN_VARIABLE = "HUBSPOT_TOKEN"  # noqa: S105 - the variable's name, not a token

# list endpoints return at most 100 objects a page and are not capped in total
# (https://developers.hubspot.com/docs/guides/crm/using-object-apis)
LIST_PAGE_SIZE = 100
# reads that ask for property history hold fewer objects: the spec says only that
# `propertiesWithHistory` "will reduce the maximum number of objects that can be read by a
# single request"; HubSpot's Python SDK pages them at 50 (`PROPERTY_HISTORY_MAX_SIZE` in
# hubspot-api-python `hubspot/utils/objects.py`), for list pages and batch reads alike
HISTORY_PAGE_SIZE = 50
# search returns up to 200 a page and at most 10,000 per query
# (https://developers.hubspot.com/docs/api/crm/search#limitations)
SEARCH_PAGE_SIZE = 200
# object batch read: 100 inputs, as peers and HubSpot's SDKs use (not stated on a HubSpot page
# we found); association batch read: 1,000
# (https://developers.hubspot.com/changelog/bug-fix-batch-read-limit-for-hubspot-associations-api)
BATCH_READ_SIZE = 100
ASSOCIATION_BATCH_SIZE = 1000
# a long `properties=` query fails with 414 somewhere past 8,000 characters (Airbyte #33528,
# dlt PR #311); what does not fit in this many characters is read by POST batch/read instead
MAX_PROPERTIES_CHARS = 2000

# private apps: 100 requests per 10 seconds on Free and Starter, more on higher tiers, as
# the X-HubSpot-RateLimit-* headers announce; search has its own 5 per second and is exempt
# from the 10-second bucket
# (https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details)
GENERAL_LIMIT = 100
GENERAL_INTERVAL = 10.0
SEARCH_LIMIT = 5
SEARCH_INTERVAL = 1.0

OWNERS_PATH = "/crm/v3/owners"
OWNERS_SCOPE = "crm.objects.owners.read"
SUBSCRIPTIONS_PATH = "/communication-preferences/v4/statuses/batch/read"
SUBSCRIPTIONS_SCOPE = "communication_preferences.statuses.batch.read"
DEAL_CONTACTS_PATH = "/crm/v4/associations/deals/contacts/batch/read"


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """One CRM object the connector syncs.

    `stream` names the cursor; `modified` is the last-modified property incremental search
    filters on; `properties` are the stock properties always requested (the mapping in
    `HubSpotOptions` adds the account-specific ones).
    """

    stream: str
    object_type: str
    kind: str
    scope: str
    needed_for: str
    modified: str
    properties: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"/crm/v3/objects/{self.object_type}"


CONTACTS = ObjectSpec(
    stream="contacts",
    object_type="contacts",
    kind=Contact.KIND,
    scope="crm.objects.contacts.read",
    needed_for="contacts",
    # contacts are the one object whose last-modified property has no hs_ prefix
    modified="lastmodifieddate",
    properties=("email", "createdate", "lastmodifieddate"),
)
DEALS = ObjectSpec(
    stream="deals",
    object_type="deals",
    kind=Deal.KIND,
    scope="crm.objects.deals.read",
    needed_for="deals and deal pipelines",
    modified="hs_lastmodifieddate",
    properties=(
        "dealname",
        "amount",
        "deal_currency_code",
        "pipeline",
        "dealstage",
        "dealtype",
        "hubspot_owner_id",
        "createdate",
        "closedate",
        "hs_lastmodifieddate",
        # "Is closed" and "Is closed won": a deal in a stage the pipelines response lacks
        # (archived) is read from these
        "hs_is_closed",
        "hs_is_closed_won",
    ),
)
TICKETS = ObjectSpec(
    stream="tickets",
    object_type="tickets",
    kind=Ticket.KIND,
    scope="tickets",
    needed_for="tickets and ticket pipelines",
    modified="hs_lastmodifieddate",
    properties=(
        "hs_pipeline",
        "hs_pipeline_stage",
        "hubspot_owner_id",
        "createdate",
        "closed_date",
        "hs_lastmodifieddate",
    ),
)
# NPS answers (https://developers.hubspot.com/docs/api/crm/feedback-submissions): read-only,
# Service Hub Professional; `hs_value` holds the answer, `hs_survey_type` tells NPS apart
SURVEYS = ObjectSpec(
    stream="surveys",
    object_type="feedback_submissions",
    kind=SurveyResponse.KIND,
    scope="crm.objects.feedback_submissions.read",
    needed_for="NPS survey responses",
    modified="hs_lastmodifieddate",
    properties=(
        "hs_survey_type",
        "hs_value",
        "hs_contact_id",
        "hs_submission_timestamp",
        "hs_createdate",
        "hs_lastmodifieddate",
    ),
)

OBJECTS: tuple[ObjectSpec, ...] = (CONTACTS, DEALS, TICKETS, SURVEYS)

# which scope a path needs, for the message of a 403 (the first fragment found wins)
PATH_SCOPES: tuple[tuple[str, str, str], ...] = (
    (OWNERS_PATH, OWNERS_SCOPE, "owners"),
    ("/communication-preferences/", SUBSCRIPTIONS_SCOPE, "email subscription statuses"),
    # deals before contacts: the deal-to-contact association path names both
    *((f"/{spec.object_type}", spec.scope, spec.needed_for) for spec in (DEALS, *OBJECTS)),
)


def pipelines_path(object_type: str) -> str:
    """Deal or ticket pipelines with their stages, in one unpaged response."""
    return f"/crm/v3/pipelines/{object_type}"


def scope_for(path: str) -> tuple[str, str] | None:
    """The scope a path needs and what it reads, when the path is one the connector calls."""
    for fragment, scope, needed_for in PATH_SCOPES:
        if fragment in path:
            return scope, needed_for
    return None
