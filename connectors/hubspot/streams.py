"""One object stream's pages: a full pass, an incremental pass, and the sweep of deletions.

- No cursor, or one asking for other properties: a full pass through the list endpoint, 100
  objects a page, or 50 when the stream reads property history (`HISTORY_PAGE_SIZE`). Its
  last page names every id it listed as the only live ones, so records
  deleted in any way (archived, purged, merged away) are marked deleted.
- After a full or incremental pass: an incremental pass through search, 200 a page, for
  records modified since the latest last-modified time HubSpot gave on the records read so
  far, less `overlap` because search indexes changes with a delay
  (https://developers.hubspot.com/docs/api/crm/search#limitations). The start comes from
  the data, never from this machine's clock, which may run ahead of HubSpot's; a pass that
  read nothing leaves it where it was (a stream never read from starts at the epoch).
  Records read twice are upserted twice: harmless.
- Archiving does not change a record's last-modified time and search never returns archived
  records, so after an incremental (or a resumed full) pass the archived records are listed
  with `archived=true` and marked deleted.

Every page carries the cursor that resumes right after it, so a killed pull loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from connectors.base import Page, Pulled
from connectors.hubspot.batches import read_properties, split_properties
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.cursor import Mode, Position, fingerprint
from connectors.hubspot.endpoints import (
    HISTORY_PAGE_SIZE,
    LIST_PAGE_SIZE,
    MAX_PROPERTIES_CHARS,
    ObjectSpec,
)
from connectors.hubspot.paging import list_pages, search_pages
from connectors.hubspot.values import epoch_ms, parse_instant
from connectors.newest import later, latest, newest_text, parse_newest
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

    `list_params` are extra list query parameters; `history` names the properties whose
    change history a list page carries (`propertiesWithHistory`); `after_search` completes a
    searched page (search returns no associations and no history); `companions` yields pages
    of other kinds that belong with a page of this one (a contacts page's subscription
    events), committed before it.
    """

    spec: ObjectSpec
    properties: tuple[str, ...]
    build: Builder
    list_params: Mapping[str, str] = field(default_factory=dict)
    history: tuple[str, ...] = ()
    after_search: Preparer = _unchanged
    companions: Companions = no_companions


class StreamSync:
    """The pages of one stream for one pull."""

    def __init__(
        self,
        api: HubSpotApi,
        source: str,
        stream: ObjectStream,
        *,
        overlap_ms: int,
        run: str | None = None,
    ) -> None:
        self.api = api
        self.run = run
        self.source = source
        self.stream = stream
        self.spec = stream.spec
        self.overlap_ms = overlap_ms
        # asking for history is part of the fingerprint: a cursor from a pass without it
        # starts a full pass, so every stored deal gets its whole journey once
        history = tuple(f"history:{name}" for name in stream.history)
        self.fields = fingerprint((*stream.properties, *history))

    def ended_in(self, cursor: str | None, run: str) -> bool:
        """Whether `cursor` holds a pass of these properties that ended in `run`."""
        position = Position.decode(cursor)
        if position is None or position.mode != "done":
            return False
        return position.fields == self.fields and position.run == run

    def pages(self, cursor: str | None) -> Iterator[Page]:
        position = Position.decode(cursor)
        if cursor is not None and position is None:
            logger.warning(
                "%s: cursor of %s is not one this connector wrote; pulling them all",
                self.source,
                self.spec.stream,
            )
        if position is None or position.fields != self.fields:
            yield from self._listed(Position("list", self.fields), set())
        elif position.mode == "list":
            yield from self._listed(position, None)
        elif position.mode == "search":
            yield from self._searched(position)
        elif position.mode == "sweep":
            yield from self._swept(position)
        else:
            yield from self._searched(replace(position, mode="search", after="0"))

    def _page(self, items: list[Pulled], position: Position, **kw: Any) -> Page:
        return Page(self.spec.stream, self.spec.kind, tuple(items), cursor=position.encode(), **kw)

    def _next(self, position: Position, mode: Mode) -> Position:
        """The position after a pass: from the newest change less the overlap, else as it was."""
        newest = _instant(position.newest)
        since = (position.since or 0) if newest is None else epoch_ms(newest) - self.overlap_ms
        return Position(mode, self.fields, since=since, newest=position.newest)

    def _seen(self, position: Position, objects: list[Raw]) -> Position:
        """`position` with `newest` moved to the latest last-modified time among `objects`."""
        modified = (_modified(raw, self.spec.modified) for raw in objects)
        newest = later(_instant(position.newest), latest(modified))
        return replace(position, newest=None if newest is None else newest_text(newest))

    def _listed(self, position: Position, live: set[str] | None) -> Iterator[Page]:
        """A full pass from `position.after`; `live` collects ids when it began at the start."""
        in_url, overflow = split_properties(self.stream.properties, MAX_PROPERTIES_CHARS)
        params = {
            "limit": HISTORY_PAGE_SIZE if self.stream.history else LIST_PAGE_SIZE,
            "archived": "false",
            "properties": ",".join(in_url),
            **self.stream.list_params,
        }
        if self.stream.history:
            params["propertiesWithHistory"] = ",".join(self.stream.history)
        for page in list_pages(self.api, self.spec.path, params, position.after):
            objects = read_properties(self.api, self.spec.object_type, page.results, overflow)
            items = self._built(objects)
            if live is not None:
                live.update(str(item["id"]) for item in page.results)
            yield from self.stream.companions(items)
            position = self._seen(position, page.results)
            if page.next_after is not None:
                yield self._page(items, replace(position, after=page.next_after))
                continue
            if live is not None:
                done = replace(self._next(position, "done"), run=self.run)
                yield self._page(items, done, live_ids=frozenset(live))
            else:
                swept = self._next(position, "sweep")
                yield self._page(items, swept)
                yield from self._swept(swept)

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
            position = self._seen(position, page.results)
            if page.more:
                yield self._page(items, replace(position, after=page.last_id))
                continue
            swept = self._next(position, "sweep")
            yield self._page(items, swept)
            yield from self._swept(swept)

    def _swept(self, position: Position) -> Iterator[Page]:
        """Mark archived records deleted, then move the cursor to the next incremental pass."""
        params = {"limit": LIST_PAGE_SIZE, "archived": "true", "properties": "hs_object_id"}
        for page in list_pages(self.api, self.spec.path, params):
            gone = tuple(str(item["id"]) for item in page.results)
            if gone:
                yield Page(self.spec.stream, self.spec.kind, deleted=gone)
        yield self._page([], replace(position, mode="done", after=None, run=self.run))

    def _built(self, objects: list[Raw]) -> list[Pulled]:
        items = []
        for raw in objects:
            try:
                record = self.stream.build(raw)
            except SchemaError as error:
                logger.warning("%s: %s; record skipped", self.source, error)
                continue
            if record is not None:
                changed_at = _modified(raw, self.spec.modified)
                items.append(Pulled(record, raw, changed_at=changed_at))
        return items


def _modified(raw: Raw, name: str) -> datetime | None:
    properties = raw.get("properties")
    value = properties.get(name) if isinstance(properties, dict) else None
    return parse_instant(str(value).strip()) if value else None


def _instant(text: str | None) -> datetime | None:
    return None if text is None else parse_newest(text).astimezone(UTC)


def _known(value: int | None) -> int:
    """A time `Position.decode` guaranteed for the position's mode."""
    assert value is not None
    return value
