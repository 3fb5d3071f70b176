"""A deal's versions back in time, from the property history HubSpot keeps (docs/hubspot.md,
Deal versions).

A read with `propertiesWithHistory` gives, per property, every value it took with its
`timestamp` (newest first, https://developers.hubspot.com/docs/api/crm/deals; sorted here
all the same). The histories of the versioned properties are merged: a new state begins at
each timestamp where any of them changed, holding each property's latest value at that
time, and lasts until the next one; a change that leaves every field as it was makes no new
state. Status and close time follow from each state's stage as they do for the deal.

- A property without history (never set, or not returned) holds its present value
  throughout.
- A history whose newest value is not the deal's present one lags behind it (as a
  `dealstage` history can, `journeys.py`): the present value holds from the deal's last
  modification, or from the history's newest change when that is later.
- States begin once the deal has a pipeline and a stage; a deal read without history has no
  versions, and the store starts recording them at its first sync.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from connectors.hubspot.journeys import STAGE
from connectors.hubspot.options import HubSpotOptions
from connectors.hubspot.pipelines import Pipelines
from connectors.hubspot.status import deal_status
from connectors.hubspot.values import Props, parse_instant
from connectors.schema import Deal, DealVersion, SchemaError

HISTORY = "propertiesWithHistory"
# the properties a version is made of (docs/kpis.md, The pipeline's memory), with the
# closed flags that give the status of a deal in an archived stage (`status.py`)
VERSIONED = (
    STAGE,
    "pipeline",
    "amount",
    "deal_currency_code",
    "closedate",
    "hubspot_owner_id",
    "hs_is_closed",
    "hs_is_closed_won",
)

Change = tuple[datetime, str | None]


def history_properties(options: HubSpotOptions) -> tuple[str, ...]:
    """The properties read with their history: the versioned ones and the deal's probability."""
    names = (*VERSIONED, options.deal_probability_property)
    return tuple(dict.fromkeys(name for name in names if name))


def deal_versions(
    raw: Mapping[str, Any],
    props: Props,
    pipelines: Pipelines,
    options: HubSpotOptions,
    changed_at: datetime | None,
) -> tuple[DealVersion, ...]:
    """The deal's states in time order, the last one open; none when no history was read."""
    histories = raw.get(HISTORY)
    if not isinstance(histories, Mapping):
        return ()
    timelines = {
        name: _timeline(histories.get(name), props, name, changed_at)
        for name in history_properties(options)
    }
    points = sorted({at for changes in timelines.values() for at, _ in changes})
    found: list[DealVersion] = []
    stage_since: datetime | None = None
    for at in points:
        values = {
            name: _value_at(changes, at) if changes else props.text(name)
            for name, changes in timelines.items()
        }
        state = Props(Deal.KIND, {"id": props.id, "properties": values})
        pipeline_id, stage_id = state.text("pipeline"), state.text(STAGE)
        if pipeline_id is None or stage_id is None:
            continue
        if not found or found[-1].stage_id != stage_id:
            stage_since = at
        version = _version(state, at, pipeline_id, stage_id, pipelines, options, stage_since)
        if found and found[-1].state() == version.state():
            continue
        if found:
            found[-1] = replace(found[-1], valid_to=at)
        found.append(version)
    return tuple(found)


def _version(
    state: Props,
    at: datetime,
    pipeline_id: str,
    stage_id: str,
    pipelines: Pipelines,
    options: HubSpotOptions,
    stage_since: datetime | None,
) -> DealVersion:
    try:
        status = deal_status(pipelines, state, pipeline_id, stage_id)
        close_date = state.instant("closedate")
        currency = state.text("deal_currency_code") or options.company_currency
        probability = options.deal_probability_property
        return DealVersion(
            valid_from=at,
            valid_to=None,
            pipeline_id=pipeline_id,
            stage_id=stage_id,
            status=status,
            amount=state.decimal("amount"),
            currency=currency.strip().upper() if currency else None,
            owner_id=state.text("hubspot_owner_id"),
            # a closed state without a close date closed when the deal entered its stage,
            # as the deal itself does (`records.deal`)
            closed_at=None if status == "open" else close_date or stage_since,
            expected_close_at=close_date,
            probability=state.fraction(probability) if probability else None,
        )
    except SchemaError as error:
        raise state.bad(f"{HISTORY}.{error.field}", error.reason) from None


def _timeline(history: Any, props: Props, name: str, changed_at: datetime | None) -> list[Change]:
    """The property's values in time order, ending in its present value."""
    changes: list[Change] = []
    for entry in history if isinstance(history, Sequence) else ():
        if not isinstance(entry, Mapping):
            continue
        stamp = str(entry.get("timestamp") or "")
        at = parse_instant(stamp)
        if at is None:
            raise props.bad(f"{HISTORY}.{name}", f"{stamp!r} is not a time")
        value = entry.get("value")
        text = None if value is None else str(value).strip() or None
        changes.append((at, text))
    changes.sort(key=lambda change: change[0])
    present = props.text(name)
    if changes and changes[-1][1] != present:
        newest = changes[-1][0]
        changes.append((max(newest, changed_at) if changed_at else newest, present))
    return changes


def _value_at(changes: Sequence[Change], at: datetime) -> str | None:
    """The value the property had at `at`: its latest change by then (the last of a tie)."""
    value = None
    for when, text in changes:
        if when > at:
            break
        value = text
    return value
