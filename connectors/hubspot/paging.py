"""The two ways through a HubSpot collection: list pages by `after`, search pages by object id.

List endpoints page with an opaque `paging.next.after` token, and `paging` is absent on the
last page (https://developers.hubspot.com/docs/guides/crm/using-object-apis). Search stops
at 10,000 results per query and answers 400 past that
(https://developers.hubspot.com/docs/api/crm/search#limitations); when thousands of records
share one last-modified timestamp (a bulk update), sorting by it cannot get past them. So
every search page here is a fresh query for ids above the last one seen, sorted by id: no
query ever pages, the cap is never reached, and equal timestamps cannot loop.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.http import FatalError
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.endpoints import SEARCH_PAGE_SIZE
from connectors.hubspot.errors import API
from connectors.paging import pages

Raw = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ListPage:
    """One list page; `next_after` is None on the last page."""

    results: list[Raw]
    next_after: str | None


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One search page; `last_id` is the highest id read so far, `more` whether ids follow."""

    results: list[Raw]
    last_id: str
    more: bool


def results(body: Any, call: str) -> list[Raw]:
    """The `results` of a collection response, each an object with an `id`."""
    found = body.get("results") if isinstance(body, dict) else None
    if not isinstance(found, list) or not all(
        isinstance(item, dict) and item.get("id") is not None for item in found
    ):
        raise FatalError(f"{API} {call}: the response has no list of results with ids")
    return found


def _next_after(body: Mapping[str, Any]) -> str | None:
    paging = body.get("paging")
    following = paging.get("next") if isinstance(paging, dict) else None
    after = following.get("after") if isinstance(following, dict) else None
    return str(after) if after else None


def list_pages(
    api: HubSpotApi, path: str, params: Mapping[str, Any], after: str | None = None
) -> Iterator[ListPage]:
    """Every page of a list endpoint from `after` on (from the start when None)."""
    call = f"GET {path}"

    def fetch(after: str | None) -> tuple[ListPage, str | None]:
        body = api.get(path, {**params, "after": after} if after else dict(params))
        page = ListPage(results(body, call), _next_after(body))
        return page, page.next_after

    return pages(fetch, after, api=API, call=call)


def search_body(
    modified: str, since_ms: int, after_id: str, properties: Sequence[str]
) -> dict[str, Any]:
    """Records modified at or after `since_ms` with ids above `after_id`, lowest id first.

    Times in filters are epoch milliseconds
    (https://developers.hubspot.com/docs/faq/how-should-timestamps-be-formatted-for-hubspots-apis).
    """
    filters = [
        {"propertyName": modified, "operator": "GTE", "value": str(since_ms)},
        {"propertyName": "hs_object_id", "operator": "GT", "value": after_id},
    ]
    return {
        "filterGroups": [{"filters": filters}],
        "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        "properties": list(properties),
        "limit": SEARCH_PAGE_SIZE,
    }


def search_pages(
    api: HubSpotApi,
    object_type: str,
    modified: str,
    since_ms: int,
    properties: Sequence[str],
    after_id: str = "0",
) -> Iterator[SearchPage]:
    """Every record modified since `since_ms` with an id above `after_id`, a page at a time."""
    call = f"POST /crm/v3/objects/{object_type}/search"

    def fetch(after_id: str) -> tuple[SearchPage, str | None]:
        body = api.search(object_type, search_body(modified, since_ms, after_id, properties))
        found = results(body, call)
        if not found:
            return SearchPage(found, after_id, more=False), None
        last_id = found[-1]["id"]
        if int(last_id) <= int(after_id):
            raise FatalError(
                f"{API} search of {object_type}: ids did not increase past {after_id!r}"
            )
        more = bool(body.get("paging"))
        return SearchPage(found, str(last_id), more), str(last_id) if more else None

    return pages(fetch, after_id, api=API, call=call)
