"""`[connectors.activecampaign]`: the API URL and which custom fields hold what, by title (""
switches a mapping off; docs/activecampaign.md), how a run builds the connector, and what
doctor checks: the URL and key, then the mapped custom field titles."""

from __future__ import annotations

from datetime import tzinfo
from zoneinfo import ZoneInfo

import requests
from pydantic import Field, field_validator, model_validator

from connectors.activecampaign.catalog import Catalog
from connectors.activecampaign.client import AccessError, connect
from connectors.activecampaign.connector import ActiveCampaignConnector
from connectors.activecampaign.context import store_lookup
from connectors.activecampaign.settings import FieldMap, Options, normalize_base_url
from connectors.http import ApiError
from connectors.settings import Section, known_zone
from connectors.source import Check, CheckContext, SourceContext

TOKEN_VARIABLE = "ACTIVECAMPAIGN_API_TOKEN"  # noqa: S105 - the variable's name, not a token
KEY_DESCRIPTION = "the API key (Settings > Developer)"

_DEFAULT = FieldMap()


class ActiveCampaignSettings(Section):
    base_url: str
    name: str = "activecampaign"
    timezone: str | None = None
    lost_reason_field: str | None = _DEFAULT.lost_reason
    campaign_field: str | None = _DEFAULT.campaign
    source_field: str | None = _DEFAULT.source
    churn_date_field: str | None = _DEFAULT.churn_date
    expected_close_field: str | None = _DEFAULT.expected_close
    upsell_pipelines: tuple[str, ...] = ()
    upsell_field: str | None = None
    upsell_values: tuple[str, ...] = ()
    deleted_sweep_days: int = Field(default=7, ge=1, le=90)
    contact_sweep_days: int = Field(default=7, ge=1, le=90)
    history_from_activities: bool = True

    @field_validator("base_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return normalize_base_url(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else known_zone(value)

    @model_validator(mode="after")
    def _upsell_pair(self) -> ActiveCampaignSettings:
        if bool((self.upsell_field or "").strip()) != bool(self.upsell_values):
            raise ValueError("upsell_field and upsell_values go together: set both or neither")
        return self

    def field_map(self) -> FieldMap:
        return FieldMap(
            lost_reason=self.lost_reason_field,
            campaign=self.campaign_field,
            source=self.source_field,
            churn_date=self.churn_date_field,
            expected_close=self.expected_close_field,
            upsell_pipelines=self.upsell_pipelines,
            upsell_field=self.upsell_field,
            upsell_values=self.upsell_values,
        )

    def sync_options(self, reporting_zone: tzinfo) -> Options:
        """Naive timestamps are in `timezone`, by default the reporting time zone."""
        return Options(
            timezone=ZoneInfo(self.timezone) if self.timezone else reporting_zone,
            sweep_days=self.deleted_sweep_days,
            contact_sweep_days=self.contact_sweep_days,
            history_from_activities=self.history_from_activities,
        )


def build(settings: ActiveCampaignSettings, context: SourceContext) -> ActiveCampaignConnector:
    key = context.token(TOKEN_VARIABLE, KEY_DESCRIPTION)
    return ActiveCampaignConnector(
        connect(settings.base_url, key.get_secret_value(), context.session, pacers=context.pacers),
        now=context.now,
        name=settings.name,
        fields=settings.field_map(),
        options=settings.sync_options(context.zone),
        lookup=store_lookup(context.store, settings.name),
    )


def before_pull(connector: ActiveCampaignConnector) -> None:
    """A wrong base_url or API key stops the pull in one line, before the store is touched."""
    connector.check_access()


def checks(settings: ActiveCampaignSettings, context: CheckContext) -> list[Check]:
    """The API URL and key (`GET /api/3/users/me`), then the mapped custom field titles."""
    name = f"source {settings.name}"
    fix = "base_url and the key are both under Settings > Developer > API Access"
    if context.secrets is None:
        return [Check(name, False, context.problem, f"put the key alone in the environment; {fix}")]
    key = context.secrets.token(TOKEN_VARIABLE)
    if key is None:
        detail = f"{TOKEN_VARIABLE} is not set"
        return [Check(name, False, detail, f"put the key in the environment or in .env; {fix}")]
    client = connect(settings.base_url, key.get_secret_value(), requests.Session())
    try:
        user = client.check_access()
        missing = Catalog(client, settings.field_map()).missing_titles()
    except (AccessError, ApiError) as exc:
        return [Check(name, False, str(exc), fix)]
    who = user.get("email") or user.get("username") or "its user"
    found = [Check(name, True, f"{settings.base_url} accepts the API key of {who}")]
    fields = "every mapped custom field exists"
    if missing:
        fields = f"no custom field titled {', '.join(map(repr, missing))}; those values stay empty"
    return [*found, Check(f"{name} fields", True, fields)]
