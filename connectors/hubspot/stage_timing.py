"""Which stage history a portal gives, for `crmkpi doctor` (docs/hubspot.md, Stage history).

One deal is listed asking for the first stage's `hs_v2_date_entered_*` and `hs_date_entered_*`
and for the `dealstage` history. Of `properties`, the spec says "If any of the specified
properties are not present on the requested object(s), they will be ignored"
(https://developers.hubspot.com/docs/api/crm/deals), so a key that comes back, null or not,
shows the portal has that set; that a defined property without a value comes back as null
is our reading of the documented responses, not a stated rule. No scope beyond the deals'
own is needed.
"""

from __future__ import annotations

from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.endpoints import DEALS, pipelines_path
from connectors.hubspot.journeys import STAGE, TIMING_SETS
from connectors.hubspot.paging import results
from connectors.hubspot.pipelines import Pipelines
from connectors.source import Check

HISTORY = "dealstage history (every visit)"
# each timing set's date-entered prefix, as the line names it, preferred first
LABELS = ("hs_v2_*", "the older hs_date_*")


def stage_timing(api: HubSpotApi, name: str) -> Check:
    """One line saying where this portal's stage journeys come from; FAIL when nowhere."""
    line = f"{name} stage history"
    stage_ids = Pipelines(api.get(pipelines_path(DEALS.object_type))).stage_ids()
    if not stage_ids:
        return Check(line, True, "no deal pipeline stages yet: nothing to look at")
    entered = {
        prefix + stage_ids[0]: label for (prefix, _), label in zip(TIMING_SETS, LABELS, strict=True)
    }
    params = {"limit": "1", "properties": ",".join(entered), "propertiesWithHistory": STAGE}
    deals = results(api.get(DEALS.path, params), f"GET {DEALS.path}")
    if not deals:
        return Check(line, True, "no deal yet: nothing to look at")
    properties = deals[0].get("properties") or {}
    found = [label for key, label in entered.items() if key in properties]
    timing = _timing(found)
    if isinstance((deals[0].get("propertiesWithHistory") or {}).get(STAGE), list):
        return Check(line, True, f"{HISTORY}; {timing}")
    if found:
        return Check(line, True, f"no dealstage history; {timing}: each stage's latest visit only")
    return Check(
        line,
        False,
        "no dealstage history and no stage timing properties: deals will have no stage history",
        "ask HubSpot support why the portal's deals have neither; stage KPIs stay empty until then",
    )


def _timing(found: list[str]) -> str:
    if not found:
        return "no timing properties"
    if found[0] == LABELS[0]:
        return f"timing properties {found[0]}"
    return f"only {found[0]} timing properties"
