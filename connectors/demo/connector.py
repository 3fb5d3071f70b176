"""`DemoConnector`: a deterministic, seedable synthetic CRM that needs no account or network.

Contact `i`'s whole story (the contact, their deals, list subscriptions, tickets and NPS
answers) comes from generators seeded with strings like "7:i" and "7:i:tickets", which are
stable across runs, machines and Python versions. So any stream can start at any contact
in constant time, and memory stays bounded by the page size however large the scale.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import TypeAlias

from connectors.base import Page, Pulled
from connectors.demo.activity import subscriptions, surveys, tickets
from connectors.demo.catalog import owner_records, stage_records
from connectors.demo.paging import START, Stream, decode, pages
from connectors.demo.payload import payload
from connectors.demo.story import Story, Teller
from connectors.demo.timeline import Timeline
from connectors.schema import (
    Contact,
    Deal,
    Owner,
    Record,
    Stage,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
)

CONTACTS_PER_SCALE = 2000

Activity: TypeAlias = Callable[[random.Random, Story, Timeline], Sequence[Record]]

# the streams drawn around each contact's core story, each from a generator of its own
ACTIVITY: tuple[tuple[str, str, Activity], ...] = (
    ("subscriptions", SubscriptionEvent.KIND, subscriptions),
    ("tickets", Ticket.KIND, tickets),
    ("surveys", SurveyResponse.KIND, surveys),
)


class DemoConnector:
    """The demo CRM: about `2000 * scale` contacts over the two years before `anchor`.

    Nothing happens at or after 00:00 UTC of `anchor` except the expected close dates of
    open deals. Streams: owners, stages, contacts, deals, subscriptions, tickets, surveys.
    """

    def __init__(
        self,
        *,
        name: str = "demo",
        seed: int = 7,
        scale: float = 1.0,
        anchor: date,
        page_size: int = 1000,
    ) -> None:
        if not scale > 0:
            raise ValueError(f"demo scale must be positive (got {scale})")
        if page_size < 1:
            raise ValueError(f"demo page_size must be at least 1 (got {page_size})")
        self.name = name
        self.seed = seed
        self.scale = scale
        self.anchor = anchor
        self.page_size = page_size
        self._timeline = Timeline.ending(anchor)
        self._teller = Teller(name, max(1, round(CONTACTS_PER_SCALE * scale)), self._timeline)
        self._generation = f"{seed}/{float(scale)!r}/{anchor.isoformat()}"

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[Page]:
        """Yield each stream's pages from its cursor on; `full` starts every stream over."""
        for stream in self._streams():
            start = START if full else decode(cursors.get(stream.name), self._generation)
            yield from pages(stream, start, self.page_size, self._generation)

    def _streams(self) -> tuple[Stream, ...]:
        owners = _pulled(owner_records(self.name))
        stages = _pulled(stage_records(self.name))
        count = self._teller.count
        return (
            Stream("owners", Owner.KIND, len(owners), lambda i: owners[i : i + 1]),
            Stream("stages", Stage.KIND, len(stages), lambda i: stages[i : i + 1]),
            Stream("contacts", Contact.KIND, count, lambda i: _pulled([self._story(i).contact])),
            Stream("deals", Deal.KIND, count, lambda i: _pulled(self._story(i).deals)),
            *(
                Stream(name, kind, count, self._activity(name, draw))
                for name, kind, draw in ACTIVITY
            ),
        )

    def _story(self, index: int) -> Story:
        return self._teller.tell(self._rng(f"{self.seed}:{index}"), index)

    def _activity(self, name: str, draw: Activity) -> Callable[[int], tuple[Pulled, ...]]:
        def items(index: int) -> tuple[Pulled, ...]:
            rng = self._rng(f"{self.seed}:{index}:{name}")
            return _pulled(draw(rng, self._story(index), self._timeline))

        return items

    @staticmethod
    def _rng(seed: str) -> random.Random:
        # a string seed is hashed with SHA-512, unlike hash(), which is salted per process
        return random.Random(seed)


def _pulled(records: Iterable[Record]) -> tuple[Pulled, ...]:
    return tuple(Pulled(record, payload(record)) for record in records)
