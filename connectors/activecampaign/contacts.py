"""The contacts stream: contacts, their custom fields and their list memberships.

Contacts are read in id order with `id_greater` (offsets get slow on large accounts:
https://developers.activecampaign.com/reference/pagination), side-loading the field values
and list memberships of each page (`include=fieldValues,contactLists`, the mechanism of
https://developers.activecampaign.com/reference/sideloading), so a page of 100 contacts is one
call. Each API page becomes two pages: the contacts, then their subscription events with the
cursor after them. Every `contact_sweep_days` all contacts are read again (see `_sweep`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from connectors.activecampaign.catalog import CONTACT_VALUE_KEYS
from connectors.activecampaign.client import ApiPage
from connectors.activecampaign.context import PullContext
from connectors.activecampaign.cursor import Position
from connectors.activecampaign.normalize import contact, custom_values, subscriptions
from connectors.activecampaign.values import BadValue, flag, modified_at, ref
from connectors.base import Page, Pulled
from connectors.clock import due
from connectors.schema import Contact, SchemaError, SubscriptionEvent

STREAM = "contacts"


def contact_pages(run: PullContext, position: Position) -> Iterator[Page]:
    """The pages of one pass over the contacts from `position` on, then a sweep if one is due."""
    full = position.updated_after is None
    params = _params(run)
    if not full:
        # "greater than or equal to" the date
        params["filters[updated_after]"] = position.updated_after
    pages = run.client.keyset_pages("/contacts", "contacts", params, after=position.after)
    zone = run.options.timezone
    for page in pages:
        contacts, events = _page(run, page)
        done = len(page.records) < run.client.page_size
        position = position.at(page.after).seen(modified_at(r, "udate", zone) for r in page.records)
        if done:
            # a full pass has read every membership and field value: it counts as a sweep
            position = position.completed(position.started if full else None)
        yield contacts
        yield replace(events, cursor=position.encode())
    if position.complete and due(position.swept, run.now, run.options.contact_sweep_days):
        yield from _sweep(run, position)


def _sweep(run: PullContext, position: Position) -> Iterator[Page]:
    """Every contact again, with its list memberships and field values: an unsubscription
    is not documented to move the contact's `udate`, nor a field value's change, so the
    incremental pass may miss them. The cursor moves on only once all are read."""
    for page in run.client.keyset_pages("/contacts", "contacts", _params(run)):
        yield from _page(run, page)
    yield Page(STREAM, SubscriptionEvent.KIND, cursor=position.completed(run.now).encode())


def _params(run: PullContext) -> dict[str, Any]:
    wanted = run.catalog.contact_fields()
    return {"include": "contactLists,fieldValues" if wanted else "contactLists"}


def _page(run: PullContext, page: ApiPage) -> tuple[Page, Page]:
    """An API page as its contacts, then their subscription events."""
    values = _values(run, page, run.catalog.contact_fields())
    contacts, deleted = _contacts(run, page, values)
    events = _subscriptions(run, page.body.get("contactLists"), frozenset(deleted))
    return (
        Page(STREAM, Contact.KIND, tuple(contacts), deleted=tuple(deleted)),
        Page(STREAM, SubscriptionEvent.KIND, tuple(events)),
    )


def _values(
    run: PullContext, page: ApiPage, wanted: Mapping[str, str]
) -> Mapping[str, dict[str, str]]:
    if not wanted:
        return {}
    side_loaded = page.body.get("fieldValues")
    if isinstance(side_loaded, list):
        return custom_values(side_loaded, wanted, **CONTACT_VALUE_KEYS)
    return run.catalog.all_contact_values()


def _contacts(
    run: PullContext, page: ApiPage, values: Mapping[str, dict[str, str]]
) -> tuple[list[Pulled], list[str]]:
    items: list[Pulled] = []
    deleted: list[str] = []
    zone = run.options.timezone
    for raw in page.records:
        contact_id = raw.get("id")
        try:
            if flag(raw, "deleted"):
                deleted.append(str(ref(raw, "id")))
                continue
            own = values.get(str(ref(raw, "id")), {})
            record = contact(run.source, raw, own, zone)
        except (BadValue, SchemaError) as error:
            run.skipped("contact", contact_id, error)
            continue
        items.append(Pulled(record, {"contact": raw, "fieldValues": own}))
    return items, deleted


def _subscriptions(run: PullContext, memberships: object, deleted: frozenset[str]) -> list[Pulled]:
    if not isinstance(memberships, list) or not memberships:
        return []
    names = run.catalog.list_names()
    events: dict[str, Pulled] = {}
    for raw in memberships:
        if not isinstance(raw, dict) or str(raw.get("contact")) in deleted:
            continue
        try:
            found = subscriptions(run.source, raw, names, run.options.timezone)
        except (BadValue, SchemaError) as error:
            run.skipped("list membership", raw.get("id"), error)
            continue
        for event in found:
            events[event.id] = Pulled(event, {"contactList": raw})
    return list(events.values())
