"""Paging over a stream of stories, and the cursors that resume it.

A stream is `count` stories, each yielding zero or more records of the stream's kind. A
position is (story, item): the next record to yield is item `item` of story `story`, so a
pull resumes in the middle of a story by regenerating that one story. A cursor is the
position plus the generation (seed, scale, anchor) that wrote it: a cursor of another
generation, or one the demo did not write, restarts the stream from the beginning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from connectors.base import Page, Pulled

START = (0, 0)


@dataclass(frozen=True, slots=True)
class Stream:
    """One cursor's worth of records: `items(story)` are the records of that story."""

    name: str
    kind: str
    count: int
    items: Callable[[int], Sequence[Pulled]]


def encode(position: tuple[int, int], generation: str) -> str:
    """The cursor of `position` in the stream of `generation`."""
    return f"{position[0]}:{position[1]}@{generation}"


def decode(cursor: str | None, generation: str) -> tuple[int, int]:
    """The position a cursor names; the start for no cursor or one of another generation."""
    if cursor is None:
        return START
    where, _, written_by = cursor.partition("@")
    story, _, item = where.partition(":")
    if written_by != generation or not story.isdecimal() or not item.isdecimal():
        return START
    return int(story), int(item)


def pages(
    stream: Stream, start: tuple[int, int], page_size: int, generation: str
) -> Iterator[Page]:
    """Pages of at most `page_size` records from `start` to the end of the stream.

    Nothing when `start` is already at the end; otherwise the last page carries the end
    cursor, even when it has no records. The first page of a pass from the very start
    names its ids as the only live ones, so records a previous generation (another seed,
    scale or anchor) made and this one does not are marked deleted; the pages that follow
    revive what this generation makes again.
    """
    first, item = start
    end = encode((stream.count, 0), generation)
    cursor = None
    batch: list[Pulled] = []
    sweep = start == START

    def page(records: list[Pulled], cursor: str) -> Page:
        nonlocal sweep
        live = frozenset(pulled.record.id for pulled in records) if sweep else None
        sweep = False
        return Page(stream.name, stream.kind, tuple(records), live_ids=live, cursor=cursor)

    for story in range(first, stream.count):
        items = stream.items(story)
        while item < len(items):
            taken = items[item : item + page_size - len(batch)]
            batch.extend(taken)
            item += len(taken)
            if len(batch) == page_size:
                cursor = encode((story, item) if item < len(items) else (story + 1, 0), generation)
                yield page(batch, cursor)
                batch = []
        item = 0
    if first < stream.count and cursor != end:
        yield page(batch, end)
