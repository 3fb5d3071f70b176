"""Every source, one row each: its `[connectors.<key>]` settings, how a run builds it, and how
`crmkpi doctor` checks it (`connectors/source.py`).

The order is the order sources are pulled and checked in. A new CRM is its own package with a
`source.py` like these, plus one row here: the config, the run and doctor read this table.
"""

from __future__ import annotations

from typing import Any

from connectors.activecampaign import source as activecampaign_source
from connectors.demo import source as demo_source
from connectors.files import source as files_source
from connectors.hubspot import source as hubspot_source
from connectors.hubspot.endpoints import TOKEN_VARIABLE as HUBSPOT_TOKEN
from connectors.source import Source

SOURCES: tuple[Source[Any, Any], ...] = (
    Source("demo", demo_source.DemoSettings, demo_source.build, demo_source.checks),
    Source("files", files_source.FilesSettings, files_source.build, files_source.checks),
    Source(
        "hubspot",
        hubspot_source.HubSpotSettings,
        hubspot_source.build,
        hubspot_source.checks,
        token=HUBSPOT_TOKEN,
    ),
    Source(
        "activecampaign",
        activecampaign_source.ActiveCampaignSettings,
        activecampaign_source.build,
        activecampaign_source.checks,
        token=activecampaign_source.TOKEN_VARIABLE,
        before_pull=activecampaign_source.before_pull,
    ),
)

# the environment variables `sync/secrets.py` reads, in the order of the rows
TOKEN_VARIABLES = tuple(source.token for source in SOURCES if source.token is not None)
