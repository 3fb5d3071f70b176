"""What a page of objects needs beyond the page itself, read in one batch call per page.

- Properties that do not fit in a list URL, read with `POST /crm/v3/objects/{type}/batch/read`
  (the body has no length limit).
- Deals' contacts after a search, which returns no associations
  (https://developers.hubspot.com/docs/api/crm/search), from the v4 association batch read.
- Deals' property history (stage history and versions) after a search, which cannot return
  it: the object batch read with `propertiesWithHistory`, 50 inputs a call
  (`HISTORY_PAGE_SIZE`).
- Contacts' email subscription statuses, from the v4 status batch read.

A batch answers 207 when some inputs failed (an object deleted since the page was read, a
deal with no contact); the rest of the batch is used and the failures are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.endpoints import (
    ASSOCIATION_BATCH_SIZE,
    BATCH_READ_SIZE,
    DEAL_CONTACTS_PATH,
    HISTORY_PAGE_SIZE,
    SUBSCRIPTIONS_PATH,
)
from connectors.hubspot.errors import API

logger = logging.getLogger(__name__)

Raw = dict[str, Any]
T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def split_properties(properties: Sequence[str], budget: int) -> tuple[list[str], list[str]]:
    """The properties that fit in `budget` characters of a URL-encoded list, and the rest."""
    fitting: list[str] = []
    rest: list[str] = []
    used = 0
    for name in properties:
        # a comma is sent as %2C: three characters
        cost = len(quote(name, safe="")) + (3 if fitting else 0)
        if not rest and used + cost <= budget:
            fitting.append(name)
            used += cost
        else:
            rest.append(name)
    return fitting, rest


def _batch_results(body: Any, call: str, level: int = logging.WARNING) -> list[Raw]:
    """The results of a batch response, logging at `level` the inputs it reported failed (207)."""
    if not isinstance(body, dict):
        return []
    for error in body.get("errors") or ():
        if not isinstance(error, dict):
            continue
        logger.log(
            level,
            "%s %s: %s (%s)",
            API,
            call,
            error.get("message") or "an input failed",
            ", ".join(str(value) for value in (error.get("context") or {}).get("ids") or ()),
        )
    return [item for item in body.get("results") or () if isinstance(item, dict)]


def read_properties(
    api: HubSpotApi, object_type: str, objects: list[Raw], properties: Sequence[str]
) -> list[Raw]:
    """`objects` with `properties` added to each, read by id in batches."""
    if not properties or not objects:
        return objects
    path = f"/crm/v3/objects/{object_type}/batch/read"
    extra: dict[str, Mapping[str, Any]] = {}
    for batch in chunks(objects, BATCH_READ_SIZE):
        body = {"inputs": [{"id": item["id"]} for item in batch], "properties": list(properties)}
        for item in _batch_results(api.post(path, body), f"POST {path}"):
            extra[str(item.get("id"))] = item.get("properties") or {}
    return [
        {**item, "properties": {**(item.get("properties") or {}), **extra.get(str(item["id"]), {})}}
        for item in objects
    ]


def with_contacts(api: HubSpotApi, deals: list[Raw]) -> list[Raw]:
    """`deals` with their contacts under `associations`, shaped as the list endpoint shows them.

    A result with more contacts than one answer holds carries its own `paging`; its next page
    is asked for with `after` beside the deal's id, with the other deals still to finish
    (https://developers.hubspot.com/docs/api-reference/legacy/crm/associations/associate-records/batch/get-associations:
    "The 'paging' field will only be present if there are more pages").
    """
    if not deals:
        return deals
    contacts: dict[str, list[dict[str, str]]] = {}
    pending: list[dict[str, str]] = [{"id": str(item["id"])} for item in deals]
    asked: set[tuple[str, str]] = set()
    while pending:
        following: list[dict[str, str]] = []
        for batch in chunks(pending, ASSOCIATION_BATCH_SIZE):
            # a deal without contacts is reported as a failed input: usual, so only logged in -v
            answer = api.post(DEAL_CONTACTS_PATH, {"inputs": list(batch)})
            for item in _batch_results(answer, f"POST {DEAL_CONTACTS_PATH}", logging.DEBUG):
                deal_id = str((item.get("from") or {}).get("id"))
                contacts.setdefault(deal_id, []).extend(
                    {"id": str(to["toObjectId"]), "type": "deal_to_contact"}
                    for to in item.get("to") or ()
                    if isinstance(to, dict) and "toObjectId" in to
                )
                after = _next_after(item)
                if after is None:
                    continue
                if (deal_id, after) in asked:
                    logger.warning(
                        "%s POST %s: deal %s's contacts repeat page %r; stopped there",
                        API,
                        DEAL_CONTACTS_PATH,
                        deal_id,
                        after,
                    )
                    continue
                asked.add((deal_id, after))
                following.append({"id": deal_id, "after": after})
        pending = following
    return [
        {**item, "associations": {"contacts": {"results": contacts[str(item["id"])]}}}
        if str(item["id"]) in contacts
        else item
        for item in deals
    ]


def _next_after(result: Raw) -> str | None:
    """The `after` token of a batch result's next page; None on its last page."""
    following = (result.get("paging") or {}).get("next") or {}
    after = following.get("after") if isinstance(following, dict) else None
    return str(after) if after else None


def with_history(
    api: HubSpotApi, object_type: str, properties: Sequence[str], objects: list[Raw]
) -> list[Raw]:
    """`objects` with the history of `properties` under `propertiesWithHistory`, as a list
    page shows it; an object the batch could not read (deleted since) is left as it was."""
    if not properties or not objects:
        return objects
    path = f"/crm/v3/objects/{object_type}/batch/read"
    history: dict[str, Any] = {}
    for batch in chunks(objects, HISTORY_PAGE_SIZE):
        body = {
            "inputs": [{"id": str(item["id"])} for item in batch],
            "properties": [],
            "propertiesWithHistory": list(properties),
        }
        for item in _batch_results(api.post(path, body), f"POST {path}"):
            if isinstance(item.get("propertiesWithHistory"), dict):
                history[str(item.get("id"))] = item["propertiesWithHistory"]
    return [
        {**item, "propertiesWithHistory": history[str(item["id"])]}
        if str(item["id"]) in history
        else item
        for item in objects
    ]


def subscription_statuses(api: HubSpotApi, emails: Sequence[str]) -> list[Raw]:
    """The email subscription statuses of each address, one batch call per 100 addresses."""
    statuses: list[Raw] = []
    for batch in chunks(emails, BATCH_READ_SIZE):
        body = api.post(SUBSCRIPTIONS_PATH, {"inputs": list(batch)}, params={"channel": "EMAIL"})
        statuses.extend(_batch_results(body, f"POST {SUBSCRIPTIONS_PATH}"))
    return statuses
