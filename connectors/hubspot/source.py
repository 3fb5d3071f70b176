"""`[connectors.hubspot]`: which property holds what for this account (docs/hubspot.md), how a
run builds the connector, and what doctor checks: the token, the API, each needed scope, and
which stage history the portal gives."""

from __future__ import annotations

import requests
from pydantic import Field, field_validator

from connectors.http import ApiError, AuthError, FatalError
from connectors.hubspot.access import check as check_scope
from connectors.hubspot.access import probes
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.connector import HubSpotConnector
from connectors.hubspot.endpoints import BASE_URL, DEALS, TOKEN_VARIABLE
from connectors.hubspot.options import DEFAULTS, HubSpotOptions
from connectors.hubspot.stage_timing import stage_timing
from connectors.settings import Section, currency_code
from connectors.source import Check, CheckContext, SourceContext

KEY_DESCRIPTION = "the private app's access token"


class HubSpotSettings(Section):
    name: str = "hubspot"
    campaign_property: str = Field(default=DEFAULTS.campaign_property, min_length=1)
    churn_date_property: str = Field(default=DEFAULTS.churn_date_property, min_length=1)
    followups_property: str = Field(default=DEFAULTS.followups_property, min_length=1)
    upsell_deal_types: tuple[str, ...] = DEFAULTS.upsell_deal_types
    lost_reason_property: str = Field(default=DEFAULTS.lost_reason_property, min_length=1)
    lead_source_property: str = Field(default=DEFAULTS.lead_source_property, min_length=1)
    deal_probability_property: str = Field(default=DEFAULTS.deal_probability_property, min_length=1)
    company_currency: str | None = DEFAULTS.company_currency
    nps_surveys: bool = DEFAULTS.nps_surveys
    email_subscriptions: bool = DEFAULTS.email_subscriptions
    search_overlap_minutes: int = Field(default=DEFAULTS.search_overlap_minutes, ge=0, le=1440)
    subscription_sweep_days: int = Field(default=DEFAULTS.subscription_sweep_days, ge=1, le=90)

    @field_validator("company_currency")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        return None if value is None else currency_code(value)

    def options(self) -> HubSpotOptions:
        return HubSpotOptions(**self.model_dump(exclude={"name"}))


def build(settings: HubSpotSettings, context: SourceContext) -> HubSpotConnector:
    return HubSpotConnector(
        context.token(TOKEN_VARIABLE, KEY_DESCRIPTION),
        context.session,
        name=settings.name,
        options=settings.options(),
        pacers=context.pacers,
        now=context.now,
    )


def checks(settings: HubSpotSettings, context: CheckContext) -> list[Check]:
    """The token, HubSpot's reachability, and each scope the configured sync needs."""
    name = f"source {settings.name}"
    fix = f"put {KEY_DESCRIPTION} in the environment or in .env beside the config"
    if context.secrets is None:
        return [Check(f"{name} token", False, context.problem, fix)]
    token = context.secrets.token(TOKEN_VARIABLE)
    if token is None:
        return [Check(f"{name} token", False, f"{TOKEN_VARIABLE} is not set", fix)]
    api = HubSpotApi(token, requests.Session(), attempts=1)
    found: list[Check] = []
    for probe in probes(settings.options()):
        try:
            outcome = check_scope(api, probe)
        except AuthError as exc:
            fix = f"set {TOKEN_VARIABLE} to the access token shown on the private app's page"
            return [*found, Check(f"{name} token", False, str(exc), fix)]
        except ApiError as exc:
            fix = "check the network and proxy (HTTPS_PROXY); see https://status.hubspot.com"
            return [*found, Check(f"{name} api", False, str(exc), fix)]
        if not found:
            pacer = api.pacer
            pace = f"{pacer.pace} requests per {pacer.interval:g} s (HubSpot allows {pacer.limit})"
            found.append(Check(f"{name} api", True, f"{BASE_URL} answers; pacing at {pace}"))
            found.append(Check(f"{name} token", True, f"{TOKEN_VARIABLE} is accepted"))
        also = f", or set {probe.optional} under [connectors.hubspot]" if probe.optional else ""
        found.append(
            Check(
                f"{name} scope {probe.scope}",
                outcome.ok,
                outcome.refused or f"reads {probe.needed_for}",
                f"add {probe.scope} on the Scopes tab of the private app{also}",
            )
        )
    if all(check.ok for check in found if check.name == f"{name} scope {DEALS.scope}"):
        found.append(_stage_timing(api, name))
    return found


def _stage_timing(api: HubSpotApi, name: str) -> Check:
    try:
        return stage_timing(api, name)
    except (ApiError, FatalError) as exc:
        return Check(f"{name} stage history", False, str(exc), "run doctor again; see -v")
