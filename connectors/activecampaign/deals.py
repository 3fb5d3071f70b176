"""The deals stream: a pass over the deals updated since the last one, and the id sweep.

Deals are read by offset in creation order (`orders[cdate]=ASC`; deals have no id or
modification order: https://developers.activecampaign.com/reference/list-all-deals), so
deals created during a pass land after it. The mapped custom field values of each page are
side-loaded (`include=dealCustomFieldData`, https://developers.activecampaign.com/reference/sideloading);
a page without them falls back to reading all values once. A full pass also reads the deal
activity log once, for past stage moves and closes (see `history`), keeping it for a resume
(see `activity_log`).

ActiveCampaign has no feed of deleted deals. A full pass read from its start, or else a sweep
once every `sweep_days`, reads every deal id, and the last page names them as the only live
ones; the deals seen there that the store does not hold are added on the way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.activecampaign.activity_log import activity_log, emptied
from connectors.activecampaign.catalog import DEAL_VALUE_KEYS
from connectors.activecampaign.client import ApiPage
from connectors.activecampaign.context import PullContext, logger
from connectors.activecampaign.cursor import Position
from connectors.activecampaign.history import change_of
from connectors.activecampaign.normalize import DealContext, custom_values, deal
from connectors.activecampaign.values import BadValue, modified_at, ref
from connectors.base import Page, Pulled
from connectors.clock import due
from connectors.schema import Deal, SchemaError

STREAM = "deals"
CAMPAIGNS = "campaigns"
ORDER = {"orders[cdate]": "ASC"}


@dataclass
class _Ids:
    """Every deal id one read saw, and whether the collection held still meanwhile."""

    seen: set[str] = field(default_factory=set)
    total: int | None = None

    def add(self, page: ApiPage) -> None:
        self.total = page.total
        for raw in page.records:
            deal_id = _id(raw)
            if deal_id is not None:
                self.seen.add(deal_id)

    def complete(self) -> bool:
        """The last total counts the ids seen: none was deleted while they were read.

        Deals created meanwhile come last in creation order, so the read reaches them; a
        deleted one either was read before (one id too many) or moved the rest up, which the
        offset paging steps back for.
        """
        return self.total is not None and self.total == len(self.seen)


def deal_pages(run: PullContext, position: Position, cursors: Mapping[str, str]) -> Iterator[Page]:
    """The campaign list, then the pages of one pass over the deals from `position` on, then
    a sweep if one is due; `cursors` are the source's, where a full pass keeps its activity
    log (`activity_log`)."""
    yield from campaigns(run)
    full = position.updated_after is None
    changes: Mapping[str, list[dict[str, Any]]] = {}
    log_pages = 0
    if full and run.options.history_from_activities:
        if position.after == 0:
            # the pass on record before its log, so that a resume knows the log is its own
            yield Page(STREAM, Deal.KIND, cursor=position.encode())
        changes, log_pages = yield from activity_log(run, position, cursors)
    ids = _Ids() if full and position.after == 0 else None
    params = _params(run)
    if not full:
        params["filters[updated_after]"] = position.updated_after
    cursor = position
    zone = run.options.timezone
    pages = run.client.offset_pages("/deals", "deals", params, start=position.after)
    for page in pages:
        if ids is not None:
            ids.add(page)
        items = _deals(run, page, page.records, changes)
        cursor = cursor.at(page.after).seen(modified_at(r, "mdate", zone) for r in page.records)
        yield Page(STREAM, Deal.KIND, tuple(items), cursor=cursor.encode())
    swept = ids is not None and ids.complete()
    done = cursor.completed(swept=position.started if swept else None)
    live = frozenset(ids.seen) if ids is not None and swept else None
    yield Page(STREAM, Deal.KIND, live_ids=live, cursor=done.encode())
    yield from emptied(log_pages)
    # a full pass read every deal just now; one that could not vouch for its ids leaves the
    # sweep to the next pull rather than reading every deal twice in a row
    if not full and due(done.swept, run.now, run.options.sweep_days):
        yield from _sweep(run, done)


def _sweep(run: PullContext, position: Position) -> Iterator[Page]:
    ids = _Ids()
    for page in run.client.offset_pages("/deals", "deals", _params(run)):
        ids.add(page)
        unknown = [raw for raw in page.records if _unknown(run, raw)]
        if unknown:
            yield Page(STREAM, Deal.KIND, tuple(_deals(run, page, unknown, {})))
    if not ids.complete():
        logger.warning(
            "%s: deals were added or deleted during the sweep for deleted deals; "
            "it runs again on the next pull",
            run.source,
        )
        return
    done = position.completed(swept=run.now)
    yield Page(STREAM, Deal.KIND, live_ids=frozenset(ids.seen), cursor=done.encode())


def _unknown(run: PullContext, raw: Mapping[str, Any]) -> bool:
    deal_id = _id(raw)
    return deal_id is not None and run.stored_deal(deal_id) is None


def _id(raw: Mapping[str, Any]) -> str | None:
    try:
        return ref(raw, "id")
    except BadValue:
        return None


def _params(run: PullContext) -> dict[str, Any]:
    params: dict[str, Any] = dict(ORDER)
    if run.catalog.deal_fields():
        params["include"] = "dealCustomFieldData"
    return params


def _deals(
    run: PullContext,
    page: ApiPage,
    records: Sequence[Mapping[str, Any]],
    activities: Mapping[str, list[dict[str, Any]]],
) -> list[Pulled]:
    values, data = _values(run, page)
    items: list[Pulled] = []
    zone = run.options.timezone
    for raw in records:
        deal_id = _id(raw) or ""
        own = activities.get(deal_id, [])
        try:
            context = DealContext(
                fields=run.fields,
                zone=zone,
                stage_pipelines=run.catalog.stage_pipelines,
                first_stages=run.catalog.first_stages,
                values=values.get(deal_id, {}),
                changes=[c for c in (change_of(a, zone) for a in own) if c is not None],
                previous=run.stored_deal(deal_id) if deal_id else None,
            )
            record = deal(run.source, raw, context)
        except (BadValue, SchemaError) as error:
            run.skipped("deal", raw.get("id"), error)
            continue
        payload = {"deal": raw, "dealCustomFieldData": data.get(deal_id, []), "dealActivities": own}
        items.append(Pulled(record, payload))
    return items


def _values(
    run: PullContext, page: ApiPage
) -> tuple[Mapping[str, dict[str, str]], Mapping[str, list[Any]]]:
    """The mapped custom field values of the page's deals, and their raw data by deal id."""
    wanted = run.catalog.deal_fields()
    if not wanted:
        return {}, {}
    side_loaded = page.body.get("dealCustomFieldData")
    if not isinstance(side_loaded, list):
        return run.catalog.all_deal_values(), {}
    data: defaultdict[str, list[Any]] = defaultdict(list)
    for datum in side_loaded:
        if isinstance(datum, dict):
            owner = next((datum[k] for k in DEAL_VALUE_KEYS["owner_keys"] if datum.get(k)), "")
            data[str(owner)].append(datum)
    return custom_values(side_loaded, wanted, **DEAL_VALUE_KEYS), data


def campaigns(run: PullContext) -> Iterator[Page]:
    """The account's email campaigns, name by id, when a campaign field is mapped: read whole
    on every pull that reads deals (a call per 100 campaigns), so a renamed campaign's deals
    show its new name at the next load (`sync.store.derived`)."""
    if "campaign" in run.catalog.deal_fields().values():
        yield Page(CAMPAIGNS, Deal.KIND, campaigns=run.catalog.campaign_names())
