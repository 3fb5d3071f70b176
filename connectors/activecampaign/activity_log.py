"""The deal activity log a full pass over the deals reads first, kept page by page for a resume.

The log has no date filter (https://developers.activecampaign.com/reference/list-all-deal-activities),
so a full pass reads it whole before its first deal; `exclude` leaves out the e-mail
activities, which are most of it and never a stage or status change. Each page read is
committed at once as a cursor of its own, `deal_activities/<n>`, holding the stage and
status changes it found, the offset after it, and the pass it belongs to (the deals
cursor's `started`, committed before the log's first page); a closing cursor says the log is
read. A pass resumed after a kill takes the pages committed and reads on from the last
offset, so it loses at most the page in flight, however long the log. Once the pass has
read every deal its log cursors are emptied: the changes are in the deals' payloads by then.
An account whose key may not read the log still syncs, with the fallback dates.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Generator, Mapping
from typing import Any

from connectors.activecampaign.context import PullContext, logger
from connectors.activecampaign.cursor import Position
from connectors.activecampaign.history import change_of
from connectors.base import Page
from connectors.http import FatalError
from connectors.schema import Deal

PREFIX = "deal_activities/"
EMPTY = "{}"
PARAMS = {"exclude": "email,connection_email,LinkData"}

Changes = dict[str, list[dict[str, Any]]]


def stream(number: int) -> str:
    return f"{PREFIX}{number}"


def _kept(cursors: Mapping[str, str], position: Position) -> tuple[Changes, int, int | None]:
    """The changes of the pass's committed log pages, how many there are, and the offset to
    read on from (None once the log is read)."""
    found: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    mark = position.started.isoformat()
    number, offset = 0, 0
    while True:
        try:
            data = json.loads(cursors.get(stream(number)) or EMPTY)
            if data.get("pass") != mark:
                return dict(found), number, offset
            changes, following = data["changes"], data["next"]
        except (ValueError, TypeError, KeyError, AttributeError):
            return dict(found), number, offset
        for deal_id, raws in dict(changes).items():
            found[str(deal_id)].extend(raws)
        number += 1
        if following is None:
            return dict(found), number, None
        offset = int(following)


def _chunk(position: Position, number: int, changes: Changes, following: int | None) -> Page:
    text = json.dumps({"pass": position.started.isoformat(), "next": following, "changes": changes})
    return Page(stream(number), Deal.KIND, cursor=text)


def activity_log(
    run: PullContext, position: Position, cursors: Mapping[str, str]
) -> Generator[Page, None, tuple[Changes, int]]:
    """Yield the log's pages as cursors; return the changes by deal id and how many log
    cursors the pass committed, to empty them once it is done."""
    found, number, offset = _kept(cursors, position)
    if offset is None:
        return found, number
    try:
        for page in run.client.offset_pages("/dealActivities", "dealActivities", PARAMS, offset):
            changes: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
            for raw in page.records:
                change = change_of(raw, run.options.timezone)
                if change is not None:
                    changes[change.deal_id].append(raw)
                    found.setdefault(change.deal_id, []).append(raw)
            yield _chunk(position, number, dict(changes), page.after)
            number += 1
    except FatalError as error:
        logger.warning(
            "%s: the deal activity log cannot be read (%s); past closes are dated by each "
            "deal's last modification",
            run.source,
            error,
        )
        # a first cursor that closes the log: a resumed pass goes on without it, as this one
        yield _chunk(position, 0, {}, None)
        return {}, max(number, 1)
    yield _chunk(position, number, {}, None)
    return found, number + 1


def emptied(number: int) -> list[Page]:
    """Pages that empty the pass's `number` log cursors."""
    return [Page(stream(n), Deal.KIND, cursor=EMPTY) for n in range(number)]
