"""The ActiveCampaign connector: an account's users, pipelines, contacts, list memberships and
deals through the v3 API (https://developers.activecampaign.com/reference/overview)."""

from __future__ import annotations

from connectors.activecampaign.client import AccessError, AccountClient, connect
from connectors.activecampaign.connector import ActiveCampaignConnector
from connectors.activecampaign.context import store_lookup
from connectors.activecampaign.settings import FieldMap, Options, normalize_base_url

__all__ = [
    "AccessError",
    "AccountClient",
    "ActiveCampaignConnector",
    "FieldMap",
    "Options",
    "connect",
    "normalize_base_url",
    "store_lookup",
]
