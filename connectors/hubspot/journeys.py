"""A deal's stage journey: every visit from the `dealstage` history, else one per stage.

Best first (docs/hubspot.md, Stage history):

1. The `dealstage` property history, read with `propertiesWithHistory=dealstage`: every
   change with its timestamp, newest first (https://developers.hubspot.com/docs/api/crm/deals).
   Each change enters a stage and ends the visit before it, so a deal that went back and
   forward visits a stage twice. Consecutive changes to the same stage are one visit.
2. The stage-timing properties, `hs_v2_date_entered_<stageId>` / `hs_v2_date_exited_<stageId>`
   (https://knowledge.hubspot.com/properties/stage-calculated-properties), else the older
   `hs_date_entered_<stageId>` / `hs_date_exited_<stageId>` that some portals have instead.
   They hold each stage's latest entry and exit only: one visit per stage, the latest.

The visit of the stage the deal is in is open, as the KPIs expect of a closed stage too
(a won or lost stage is never exited; docs/kpis.md, stage_duration_days).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from connectors.hubspot.values import Props, parse_instant
from connectors.schema import StageVisit

STAGE = "dealstage"
# the timing sets, preferred first; a portal has one of them or neither (docs/hubspot.md)
TIMING_SETS: tuple[tuple[str, str], ...] = (
    ("hs_v2_date_entered_", "hs_v2_date_exited_"),
    ("hs_date_entered_", "hs_date_exited_"),
)


def timing_properties(stage_ids: Iterable[str]) -> tuple[str, ...]:
    """The date-entered and date-exited property of each stage, in both sets."""
    stages = list(stage_ids)
    return tuple(prefix + stage for pair in TIMING_SETS for stage in stages for prefix in pair)


def entered_properties(stage_ids: Iterable[str]) -> tuple[str, ...]:
    """The date-entered property of each stage, in both sets."""
    stages = list(stage_ids)
    return tuple(entered + stage for entered, _ in TIMING_SETS for stage in stages)


def entered_at(props: Props, stage_id: str) -> datetime | None:
    """When the object last entered `stage_id`, from the first timing set that has it."""
    for entered, _ in TIMING_SETS:
        found = props.instant(entered + stage_id)
        if found is not None:
            return found
    return None


def visits(
    raw: Mapping[str, Any], props: Props, stage_ids: Iterable[str], current: str
) -> tuple[StageVisit, ...]:
    """The deal's visits from its `dealstage` history when it was read, else its timing."""
    history = (raw.get("propertiesWithHistory") or {}).get(STAGE)
    journey = from_history(history, props, current) if isinstance(history, list) else None
    return journey if journey is not None else from_timing(props, stage_ids, current)


def from_history(history: list[Any], props: Props, current: str) -> tuple[StageVisit, ...] | None:
    """Visits in time order; None when the history ends elsewhere than the deal's stage.

    A history that does not end in the current stage lags behind the deal (or was cut
    short), so the timing properties are trusted instead.
    """
    changes: list[tuple[datetime, str]] = []
    for entry in history:
        if not isinstance(entry, Mapping):
            continue
        stage = str(entry.get("value") or "").strip()
        stamp = str(entry.get("timestamp") or "")
        if not stage:
            continue
        at = parse_instant(stamp)
        if at is None:
            raise props.bad(f"propertiesWithHistory.{STAGE}", f"{stamp!r} is not a time")
        changes.append((at, stage))
    changes.sort(key=lambda change: change[0])
    if not changes or changes[-1][1] != current:
        return None
    journey: list[StageVisit] = []
    for at, stage in changes:
        if journey and journey[-1].stage_id == stage:
            continue
        if journey:
            last = journey[-1]
            journey[-1] = StageVisit(last.stage_id, last.entered_at, at)
        journey.append(StageVisit(stage, at))
    return tuple(journey)


def from_timing(props: Props, stage_ids: Iterable[str], current: str) -> tuple[StageVisit, ...]:
    """One visit per stage the deal entered, from the first timing set the deal has.

    An exit before the latest entry belongs to an earlier visit: the deal came back and the
    latest visit has not ended (or HubSpot has not caught up), so it is left open.
    """
    stages = list(stage_ids)
    for entered_prefix, exited_prefix in TIMING_SETS:
        found = []
        for stage_id in stages:
            entered = props.instant(entered_prefix + stage_id)
            if entered is None:
                continue
            exited = props.instant(exited_prefix + stage_id)
            if stage_id == current or (exited is not None and exited < entered):
                exited = None
            found.append(StageVisit(stage_id, entered, exited))
        if found:
            return tuple(found)
    return ()
