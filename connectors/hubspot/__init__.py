"""The HubSpot connector: a HubSpot account through its CRM v3 API (docs/hubspot.md)."""

from __future__ import annotations

from connectors.hubspot.access import Outcome, Probe, check, probes
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.connector import HubSpotConnector
from connectors.hubspot.errors import DailyLimitError
from connectors.hubspot.options import DEFAULTS, HubSpotOptions

__all__ = [
    "DEFAULTS",
    "DailyLimitError",
    "HubSpotApi",
    "HubSpotConnector",
    "HubSpotOptions",
    "Outcome",
    "Probe",
    "check",
    "probes",
]
