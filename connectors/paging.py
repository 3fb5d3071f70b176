"""One loop for every paged collection: read a page at a cursor, go on at the cursor it names.

HubSpot's list and search pages and ActiveCampaign's offset and keyset pages differ only in
what a cursor is and how a page names the next one; each supplies a `Fetch` and `pages`
walks it. A server that hands back a cursor already read would be followed for ever, so a
cursor met twice in one pass stops the pass with a `FatalError` naming the API, the call and
the cursor (the loop guard of meltano's singer-sdk `BaseAPIPaginator.advance`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import TypeVar

from connectors.http import FatalError

Cursor = TypeVar("Cursor", bound=Hashable)
PageT = TypeVar("PageT")

# the page at a cursor, and the cursor of the page after it (None after the last page)
Fetch = Callable[[Cursor], tuple[PageT, Cursor | None]]


def pages(fetch: Fetch[Cursor, PageT], first: Cursor, *, api: str, call: str) -> Iterator[PageT]:
    """Each page from the one at `first` on, until a page names no next cursor.

    A page is yielded before its next cursor is checked, so what was read before a repeated
    cursor is kept.
    """
    seen = {first}
    cursor = first
    while True:
        page, following = fetch(cursor)
        yield page
        if following is None:
            return
        if following in seen:
            raise FatalError(f"{api} {call}: the next page's cursor {following!r} came back")
        seen.add(following)
        cursor = following
