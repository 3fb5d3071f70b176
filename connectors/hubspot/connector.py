"""`HubSpotConnector`: a HubSpot account's owners, pipelines, contacts, deals, tickets and NPS.

A pull checks every scope first (nothing is stored when one is missing), then reads owners
and pipelines whole (they are small), then each object stream from its cursor: contacts
(with their email subscription events), deals (with their contact, stage history and
versions, `versions.py`), tickets and NPS feedback submissions. See `streams.py` for full
and incremental passes, and `resume.py` for what a pull resumed after a kill does not read
again.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from functools import partial
from typing import Any

import requests
from pydantic import SecretStr

from connectors.base import Page, Pulled
from connectors.clock import Monotonic
from connectors.http import Pacers
from connectors.hubspot import access, batches, records, resume
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.endpoints import (
    BASE_URL,
    CONTACTS,
    DEALS,
    LIST_PAGE_SIZE,
    OWNERS_PATH,
    SURVEYS,
    TICKETS,
    pipelines_path,
)
from connectors.hubspot.journeys import entered_properties, timing_properties
from connectors.hubspot.options import DEFAULTS, HubSpotOptions
from connectors.hubspot.paging import list_pages
from connectors.hubspot.pipelines import Pipelines
from connectors.hubspot.resume import OWNERS, PIPELINES, STAGES
from connectors.hubspot.streams import ObjectStream, StreamSync, no_companions
from connectors.hubspot.sweep import STREAM as SWEEP_STREAM
from connectors.hubspot.sweep import sweep_pages
from connectors.hubspot.versions import history_properties
from connectors.resume import Run, keep, parts_kept, resumed
from connectors.schema import Contact, Owner, Stage, SubscriptionEvent

__all__ = ["HubSpotConnector"]

logger = logging.getLogger(__name__)

Raw = dict[str, Any]


def _with(base: tuple[str, ...], *more: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*base, *more)))


class HubSpotConnector:
    """Pulls one HubSpot account; `name` is the source of every record.

    `session` is the run's HTTP session; `sleep` and `monotonic` are injectable so tests do
    not wait; the connector reads no wall clock (every cursor comes from HubSpot's own
    modification times, see `streams.py`); `now`, the pull's start, schedules the
    subscription sweep (`sweep.py`) and names the run a killed pull resumes (`resume.py`);
    None never sweeps and keeps nothing for a resume; `pacers` keeps the account's pacing
    across runs (see `HubSpotApi`). A deal's status, and so its close time, follows its
    stage's closed and won flags as the store holds them when the KPIs read it (`derived`).
    """

    derived = frozenset({"status"})

    def __init__(
        self,
        token: SecretStr,
        session: requests.Session,
        *,
        name: str = "hubspot",
        options: HubSpotOptions = DEFAULTS,
        base_url: str = BASE_URL,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Monotonic = time.monotonic,
        pacers: Pacers | None = None,
        now: datetime | None = None,
    ) -> None:
        self.name = name
        self.now = now
        self.options = options
        self.api = HubSpotApi(
            token, session, base_url=base_url, sleep=sleep, clock=monotonic, pacers=pacers
        )

    def __repr__(self) -> str:
        return f"HubSpotConnector(name={self.name!r})"

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[Page]:
        """Yield every stream's pages from its cursor on; `full` re-reads everything.

        A pull that resumes an interrupted one (`resume.py`) reads again only what that one
        did not commit.
        """
        checked = resume.scopes(access.probes(self.options))
        run = None if full or self.now is None else resumed(cursors.get(OWNERS), self.now, checked)
        if run is None:
            access.require(self.api, self.options)
            run = None if self.now is None else Run(self.now, checked)
            yield from self._owners(None if run is None else run.encode())
        kept = None if run is None else parts_kept(cursors.get(STAGES), run, dict, *PIPELINES)
        deals, tickets = kept or (
            self.api.get(pipelines_path(DEALS.object_type)),
            self.api.get(pipelines_path(TICKETS.object_type)),
        )
        deal_pipelines, ticket_pipelines = Pipelines(deals), Pipelines(tickets)
        if kept is None:
            stages = tuple(deal_pipelines.records(self.name))
            cursor = None if run is None else keep(run, PIPELINES, (deals, tickets))
            yield Page(STAGES, Stage.KIND, stages, live_ids=frozenset(), cursor=cursor)
        overlap_ms = self.options.search_overlap_minutes * 60_000
        mark = None if run is None else run.mark
        for stream in self._streams(deal_pipelines, ticket_pipelines):
            sync = StreamSync(self.api, self.name, stream, overlap_ms=overlap_ms, run=mark)
            cursor = None if full else cursors.get(stream.spec.stream)
            if mark is not None and sync.ended_in(cursor, mark):
                continue
            yield from sync.pages(cursor)
        if self.options.email_subscriptions and self.now is not None:
            yield from sweep_pages(
                self.api,
                cursors.get(SWEEP_STREAM),
                now=self.now,
                days=self.options.subscription_sweep_days,
                listed_all=full or CONTACTS.stream not in cursors,
                statuses=self._statuses,
            )
        if run is not None:
            yield Page(OWNERS, Owner.KIND, cursor=run.done().encode())

    def _owners(self, cursor: str | None) -> Iterator[Page]:
        """Active and archived owners; the last page names them all as the live ones, and
        carries `cursor`."""
        live: set[str] = set()
        for archived in ("false", "true"):
            params = {"limit": LIST_PAGE_SIZE, "archived": archived}
            for page in list_pages(self.api, OWNERS_PATH, params):
                items = tuple(Pulled(records.owner(self.name, raw), raw) for raw in page.results)
                live.update(item.record.id for item in items)
                yield Page(OWNERS, Owner.KIND, items)
        yield Page(OWNERS, Owner.KIND, live_ids=frozenset(live), cursor=cursor)

    def _streams(
        self, deal_pipelines: Pipelines, ticket_pipelines: Pipelines
    ) -> list[ObjectStream]:
        options = self.options
        stage_ids = deal_pipelines.stage_ids()
        streams = [
            ObjectStream(
                CONTACTS,
                _with(
                    CONTACTS.properties, options.lead_source_property, options.churn_date_property
                ),
                partial(records.contact, self.name, options=options),
                companions=self._subscriptions if options.email_subscriptions else no_companions,
            ),
            ObjectStream(
                DEALS,
                _with(
                    DEALS.properties,
                    options.lead_source_property,
                    options.lost_reason_property,
                    options.campaign_property,
                    options.deal_probability_property,
                    *timing_properties(stage_ids),
                ),
                partial(
                    records.deal,
                    self.name,
                    pipelines=deal_pipelines,
                    stage_ids=stage_ids,
                    options=options,
                ),
                list_params={"associations": "contacts"},
                history=history_properties(options),
                after_search=self._searched_deals,
            ),
            ObjectStream(
                TICKETS,
                _with(
                    TICKETS.properties,
                    options.followups_property,
                    *entered_properties(ticket_pipelines.stage_ids()),
                ),
                partial(records.ticket, self.name, pipelines=ticket_pipelines, options=options),
            ),
        ]
        if options.nps_surveys:
            streams.append(
                ObjectStream(SURVEYS, SURVEYS.properties, partial(records.survey, self.name))
            )
        return streams

    def _searched_deals(self, deals: list[Raw]) -> list[Raw]:
        """Searched deals with their contacts and their property history, which search
        returns neither of; without the history a changed deal would keep its latest visit
        of each stage only and no versions from before the sync (docs/hubspot.md, Stage
        history and Deal versions)."""
        with_contacts = batches.with_contacts(self.api, deals)
        history = history_properties(self.options)
        return batches.with_history(self.api, DEALS.object_type, history, with_contacts)

    def _subscriptions(self, contacts: list[Pulled]) -> Iterator[Page]:
        """The subscription events of a page of contacts, as a page committed before it."""
        by_email: defaultdict[str, list[str]] = defaultdict(list)
        for item in contacts:
            if isinstance(item.record, Contact) and item.record.email:
                by_email[item.record.email.strip().lower()].append(item.record.id)
        yield from self._statuses(by_email)

    def _statuses(self, by_email: Mapping[str, list[str]]) -> Iterator[Page]:
        """The subscription events of the contacts of these addresses, as one page."""
        if not by_email:
            return
        statuses = batches.subscription_statuses(self.api, list(by_email))
        events, problems = records.subscription_events(self.name, statuses, by_email)
        for problem in problems:
            logger.warning("%s: %s; event skipped", self.name, problem)
        if events:
            yield Page("subscriptions", SubscriptionEvent.KIND, tuple(events))
