"""One object stream's pages: a full pass, an incremental pass, and the sweep of deletions.

- No cursor, or one asking for other properties: a full pass through the list endpoint, 100
  objects a page. Its last page names every id it listed as the only live ones, so records
  deleted in any way (archived, purged, merged away) are marked deleted.
- After a full or incremental pass: an incremental pass through search, 200 a page, for
  records modified since the previous pass began, less `overlap` because search indexes
  changes with a delay (https://developers.hubspot.com/docs/api/crm/search#limitations).
  Records read twice are upserted twice: harmless.
- Archiving does not change a record's last-modified time and search never returns archived
  records, so after an incremental (or a resumed full) pass the archived records are listed
  with `archived=true` and marked deleted.

Every page carries the cursor that resumes right after it, so a killed pull loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.base import Page, Pulled
from connectors.hubspot.batches import read_properties, split_properties
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.cursor import Position, fingerprint
from connectors.hubspot.endpoints import LIST_PAGE_SIZE, MAX_PROPERTIES_CHARS, ObjectSpec
from connectors.hubspot.paging import list_pages, search_pages
from connectors.schema import Record, SchemaError

logger = logging.getLogger(__name__)

Raw = dict[str, Any]
Builder = Callable[[Raw], Record | None]
Preparer = Callable[[list[Raw]], list[Raw]]
Companions = Callable[[list[Pulled]], Iterator[Page]]


def _unchanged(objects: list[Raw]) -> list[Raw]:
    return objects


def no_companions(items: list[Pulled]) -> Iterator[Page]:
    return iter(())


@dataclass(frozen=True)
class ObjectStream:
    """How one object is read and built.

    `list_params` are extra list query parameters; `after_search` completes a searched page
    (search returns no associations); `companions` yields pages of other kinds that belong
    with a page of this one (a contacts page's subscription events), committed before it.
    """

    spec: ObjectSpec
    properties: tuple[str, ...]
    build: Builder
    list_params: Mapping[str, str] = field(default_factory=dict)
    after_search: Preparer = _unchanged
    companions: Companions = no_companions


class StreamSync:
    """The pages of one stream for one pull; `now_ms` is when the pull began."""

    def __init__(
        self, api: HubSpotApi, source: str, stream: ObjectStream, *, overlap_ms: int, now_ms: int
    ) -> None:
        self.api = api
        self.source = source
        self.stream = stream
        self.spec = stream.spec
        self.overlap_ms = overlap_ms
        self.now_ms = now_ms
        self.fields = fingerprint(stream.properties)

    def pages(self, cursor: str | None) -> Iterator[Page]:
        position = Position.decode(cursor)
        if cursor is not None and position is None:
            logger.warning(
                "%s: cursor of %s is not one this connector wrote; pulling them all",
                self.source,
                self.spec.stream,
            )
        if position is None or position.fields != self.fields:
            yield from self._listed(Position("list", self.fields, started=self.now_ms), set())
        elif position.mode == "list":
            yield from self._listed(position, None)
        elif position.mode == "search":
            yield from self._searched(position)
        elif position.mode == "sweep":
            yield from self._swept(_known(position.since))
        else:
            since = _known(position.since)
            start = Position("search", self.fields, since=since, started=self.now_ms, after="0")
            yield from self._searched(start)

    def _page(self, items: list[Pulled], position: Position, **kw: Any) -> Page:
        return Page(self.spec.stream, self.spec.kind, tuple(items), cursor=position.encode(), **kw)

    def _next_since(self, position: Position) -> int:
        return _known(position.started) - self.overlap_ms

    def _listed(self, position: Position, live: set[str] | None) -> Iterator[Page]:
        """A full pass from `position.after`; `live` collects ids when it began at the start."""
        in_url, overflow = split_properties(self.stream.properties, MAX_PROPERTIES_CHARS)
        params = {
            "limit": LIST_PAGE_SIZE,
            "archived": "false",
            "properties": ",".join(in_url),
            **self.stream.list_params,
        }
        for page in list_pages(self.api, self.spec.path, params, position.after):
            objects = read_properties(self.api, self.spec.object_type, page.results, overflow)
            items = self._built(objects)
            if live is not None:
                live.update(str(item["id"]) for item in page.results)
            yield from self.stream.companions(items)
            if page.next_after is not None:
                following = Position("list", self.fields, started=position.started)
                yield self._page(items, _after(following, page.next_after))
                continue
            since = self._next_since(position)
            if live is not None:
                done = Position("done", self.fields, since=since)
                yield self._page(items, done, live_ids=frozenset(live))
            else:
                yield self._page(items, Position("sweep", self.fields, since=since))
                yield from self._swept(since)

    def _searched(self, position: Position) -> Iterator[Page]:
        pages = search_pages(
            self.api,
            self.spec.object_type,
            self.spec.modified,
            _known(position.since),
            self.stream.properties,
            position.after or "0",
        )
        for page in pages:
            items = self._built(self.stream.after_search(page.results))
            yield from self.stream.companions(items)
            if page.more:
                yield self._page(items, _after(position, page.last_id))
                continue
            since = self._next_since(position)
            yield self._page(items, Position("sweep", self.fields, since=since))
            yield from self._swept(since)

    def _swept(self, since: int) -> Iterator[Page]:
        """Mark archived records deleted, then move the cursor to the next incremental pass."""
        params = {"limit": LIST_PAGE_SIZE, "archived": "true", "properties": "hs_object_id"}
        for page in list_pages(self.api, self.spec.path, params):
            gone = tuple(str(item["id"]) for item in page.results)
            if gone:
                yield Page(self.spec.stream, self.spec.kind, deleted=gone)
        yield self._page([], Position("done", self.fields, since=since))

    def _built(self, objects: list[Raw]) -> list[Pulled]:
        items = []
        for raw in objects:
            try:
                record = self.stream.build(raw)
            except SchemaError as error:
                logger.warning("%s: %s; record skipped", self.source, error)
                continue
            if record is not None:
                items.append(Pulled(record, raw))
        return items


def _after(position: Position, after: str) -> Position:
    return Position(position.mode, position.fields, position.since, position.started, after)


def _known(value: int | None) -> int:
    """A time `Position.decode` guaranteed for the position's mode."""
    assert value is not None
    return value
