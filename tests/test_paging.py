"""The one page loop: follows each page's next cursor, ends on none, stops on one met again."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses
from pydantic import SecretStr

from connectors.http import FatalError
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.paging import list_pages
from connectors.paging import pages
from tests.fakes import FakeClock

BASE = "https://api.hubapi.test"
TOKEN = SecretStr("pat-na1-11111111-2222-3333-4444-555555555555")
DEALS = "/crm/v3/objects/deals"


def _chain(links: dict[str, str | None]) -> tuple[list[str], Any]:
    """A fetch that reads page `cursor` and names `links[cursor]` next; the cursors read."""
    read: list[str] = []

    def fetch(cursor: str) -> tuple[str, str | None]:
        read.append(cursor)
        return f"page {cursor}", links[cursor]

    return read, fetch


def test_the_loop_follows_the_cursors_until_a_page_names_none() -> None:
    """Each page is read once, in the order the cursors name them, and the last ends it."""
    read, fetch = _chain({"a": "b", "b": "c", "c": None})
    assert list(pages(fetch, "a", api="Test", call="GET /x")) == ["page a", "page b", "page c"]
    assert read == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("links", "read", "repeated"),
    [
        ({"a": "b", "b": "b"}, ["a", "b"], "b"),
        ({"a": "b", "b": "c", "c": "a"}, ["a", "b", "c"], "a"),
    ],
    ids=["same-cursor-twice", "cycle-back-to-the-first"],
)
def test_a_cursor_met_again_stops_the_loop_after_yielding_its_page(
    links: dict[str, str | None], read: list[str], repeated: str
) -> None:
    """A server that sends a cursor back would be followed for ever: the loop raises instead,
    naming the API, the call and the cursor, once the pages read so far were yielded."""
    seen, fetch = _chain(links)
    got: list[str] = []
    with pytest.raises(FatalError, match=rf"^Test GET /x: .*cursor '{repeated}' came back"):
        got.extend(pages(fetch, "a", api="Test", call="GET /x"))
    assert seen == read
    assert got == [f"page {cursor}" for cursor in read]


@responses.activate
def test_a_hubspot_list_whose_next_token_repeats_stops() -> None:
    """HubSpot answering the same `paging.next.after` twice stops the list after two calls."""
    page = {"results": [{"id": "1"}], "paging": {"next": {"after": "tok"}}}
    responses.get(f"{BASE}{DEALS}", json=page)
    clock = FakeClock()
    api = HubSpotApi(TOKEN, requests.Session(), base_url=BASE, sleep=clock.sleep, clock=clock)
    with pytest.raises(FatalError, match=f"HubSpot GET {DEALS}: .*'tok' came back"):
        list(list_pages(api, DEALS, {"limit": 100}))
    assert [call.request.params.get("after") for call in responses.calls] == [None, "tok"]
