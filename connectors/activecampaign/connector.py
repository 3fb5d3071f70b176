"""`ActiveCampaignConnector`: one ActiveCampaign account as pages of normalized records.

Streams, in order: `owners` (users) and `stages` (pipelines and their stages), read whole on
every pull (a few calls); `contacts` (with their list memberships as subscription events);
`deals`. Contacts and deals are read incrementally, see `cursor`; deal close dates and stage
history are derived, see `history`. The connector holds no state between pulls: what it
needs from earlier pulls comes from the cursors and from `lookup`, the store read-only. A
pull that resumes one a kill interrupted reads again only what that one did not commit
(`resume`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from connectors.activecampaign.catalog import Catalog
from connectors.activecampaign.client import AccountClient
from connectors.activecampaign.contacts import STREAM as CONTACTS
from connectors.activecampaign.contacts import contact_pages
from connectors.activecampaign.context import Lookup, PullContext, no_lookup
from connectors.activecampaign.cursor import plan
from connectors.activecampaign.deals import STREAM as DEALS
from connectors.activecampaign.deals import deal_pages
from connectors.activecampaign.normalize import owner, stages
from connectors.activecampaign.resume import OWNERS, PARTS, STAGES, ended_in
from connectors.activecampaign.settings import FieldMap, Options
from connectors.activecampaign.values import BadValue
from connectors.base import Page, Pulled
from connectors.resume import Run, keep, parts_kept, resumed
from connectors.schema import Owner, SchemaError, Stage

Raws = list[dict[str, Any]]


class ActiveCampaignConnector:
    """Pulls the account behind `client`; `name` is the source of every record.

    `now` is the start of the pull (the next incremental pass reads from there); `lookup`
    gives the records stored by earlier pulls, to tell stage and status changes. A deal has
    no lead source of its own: the store reads its contact's; nor is it an upsell by its
    pipeline's title until the store reads that title, nor does it name its email campaign
    until the store reads the campaign list (`derived`, `upsell_pipelines`).
    """

    derived = frozenset({"lead_source", "kind", "campaign"})

    def __init__(
        self,
        client: AccountClient,
        *,
        now: datetime,
        name: str = "activecampaign",
        fields: FieldMap | None = None,
        options: Options | None = None,
        lookup: Lookup = no_lookup,
    ) -> None:
        self.client = client
        self.name = name
        self.now = now
        self.fields = fields or FieldMap()
        self.options = options or Options()
        self.lookup = lookup

    @property
    def upsell_pipelines(self) -> frozenset[str]:
        """The pipeline titles whose deals are upsells (`connectors.base.upsell_pipelines`)."""
        return frozenset(self.fields.upsell_pipelines)

    def check_access(self) -> Mapping[str, Any]:
        """The user the API key belongs to; `AccessError` saying what to fix."""
        return self.client.check_access()

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[Page]:
        """Yield every stream's pages from its cursor on; `full` reads everything again."""
        run = PullContext(
            source=self.name,
            client=self.client,
            catalog=Catalog(self.client, self.fields),
            fields=self.fields,
            options=self.options,
            lookup=self.lookup,
            now=self.now,
        )
        interrupted = None if full else resumed(cursors.get(OWNERS), self.now)
        this = interrupted or Run(self.now)
        if interrupted is None:
            yield from _owners(run, this.encode())
        kept = None if interrupted is None else parts_kept(cursors.get(STAGES), this, list, *PARTS)
        groups, raws = kept or _read_stages(run)
        # built either way: building it fills the run's pipeline catalog
        stages_page = _stages(run, groups, raws, keep(this, PARTS, (groups, raws)))
        if kept is None:
            yield stages_page

        def ended(stream: str, sweep_days: int) -> bool:
            cursor = cursors.get(stream)
            return interrupted is not None and ended_in(cursor, interrupted, self.now, sweep_days)

        if not ended(CONTACTS, self.options.contact_sweep_days):
            yield from contact_pages(run, plan(cursors.get(CONTACTS), full=full, now=self.now))
        if not ended(DEALS, self.options.sweep_days):
            deals = plan(cursors.get(DEALS), full=full, now=self.now)
            yield from deal_pages(run, deals, cursors)
        yield Page(OWNERS, Owner.KIND, cursor=this.done().encode())


def _owners(run: PullContext, cursor: str) -> Iterator[Page]:
    """The users, page by page; the last page names them all, so removed users leave, and
    carries `cursor`."""
    seen: set[str] = set()
    total: int | None = None
    for page in run.client.offset_pages("/users", "users"):
        total = page.total
        items = []
        for raw in page.records:
            try:
                record = owner(run.source, raw)
            except (BadValue, SchemaError) as error:
                run.skipped("user", raw.get("id"), error)
                continue
            seen.add(record.id)
            items.append(Pulled(record, raw))
        yield Page("owners", Owner.KIND, tuple(items))
    whole = total is None or total == len(seen)
    live = frozenset(seen) if whole and seen else None
    yield Page(OWNERS, Owner.KIND, live_ids=live, cursor=cursor)


def _read_stages(run: PullContext) -> tuple[Raws, Raws]:
    """The pipelines (deal groups) and their stages, as ActiveCampaign sends them."""
    groups = [
        raw for page in run.client.offset_pages("/dealGroups", "dealGroups") for raw in page.records
    ]
    raws = [
        raw for page in run.client.offset_pages("/dealStages", "dealStages") for raw in page.records
    ]
    return groups, raws


def _stages(run: PullContext, groups: Raws, raws: Raws, cursor: str) -> Page:
    """Every pipeline's stages in one page, which names them all; the run's catalog learns
    which stage is in which pipeline, and each pipeline's first stage."""
    catalog = run.catalog
    items = []
    for raw in raws:
        try:
            (record,) = stages(run.source, groups, [raw])
        except (BadValue, SchemaError) as error:
            run.skipped("stage", raw.get("id"), error)
            continue
        catalog.stage_pipelines[record.stage_id] = record.pipeline_id
        items.append(Pulled(record, raw))
    first: dict[str, Stage] = {}
    for item in items:
        stage = item.record
        assert isinstance(stage, Stage)
        current = first.get(stage.pipeline_id)
        if current is None or _order(stage) < _order(current):
            first[stage.pipeline_id] = stage
    catalog.first_stages.update(stage.stage_id for stage in first.values())
    live = frozenset(item.record.id for item in items) if items else None
    return Page(STAGES, Stage.KIND, tuple(items), live_ids=live, cursor=cursor)


def _order(stage: Stage) -> tuple[int, int | str]:
    return stage.stage_order, int(stage.stage_id) if stage.stage_id.isdigit() else stage.stage_id
