"""What the ActiveCampaign connector is told: the account's API URL and how its fields map.

ActiveCampaign has no lost reason, campaign, lead source, churn date or deal kind of its own;
accounts keep them in custom fields, named here by their titles (matched without regard to
case or surrounding spaces). An empty title switches a mapping off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from urllib.parse import urlsplit

from connectors.base import title_key

API_PATH = "/api/3"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def normalize_base_url(value: str) -> str:
    """The account's API URL without a trailing `/` or `/api/3`; ValueError saying what is wrong.

    ActiveCampaign asks integrations to take the URL from Settings > Developer rather than
    build it from the account name (https://developers.activecampaign.com/reference/url).
    Plain http is accepted only for a local test server.
    """
    text = value.strip().rstrip("/")
    text = text.removesuffix(API_PATH).rstrip("/")
    parts = urlsplit(text)
    example = "like https://acme.api-us1.com (Settings > Developer > API Access)"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{value!r} is not the account's API URL, {example}")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ValueError(f"{value!r} must use https, {example}")
    if parts.path or parts.query or parts.fragment:
        raise ValueError(f"{value!r} has more than the host; give only the API URL, {example}")
    return text


@dataclass(frozen=True)
class FieldMap:
    """Custom field titles holding what the KPIs need, and which deals are upsells.

    A deal is an upsell when its pipeline's title is in `upsell_pipelines`, or else when its
    `upsell_field` holds one of `upsell_values`. The connector applies only the second; the
    store the first, when the KPIs read it, so a renamed pipeline counts (`derived`).
    """

    lost_reason: str | None = "Lost Reason"
    campaign: str | None = "Campaign"
    source: str | None = "Lead Source"
    churn_date: str | None = "Churn Date"
    expected_close: str | None = None
    upsell_pipelines: tuple[str, ...] = ()
    upsell_field: str | None = None
    upsell_values: tuple[str, ...] = ()
    _pipelines: frozenset[str] = field(init=False, repr=False, compare=False)
    _values: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("lost_reason", "campaign", "source", "churn_date", "expected_close"):
            if not (getattr(self, name) or "").strip():
                object.__setattr__(self, name, None)
        if not (self.upsell_field or "").strip():
            object.__setattr__(self, "upsell_field", None)
        object.__setattr__(self, "_pipelines", frozenset(map(title_key, self.upsell_pipelines)))
        object.__setattr__(self, "_values", frozenset(map(title_key, self.upsell_values)))

    @property
    def deal_fields(self) -> dict[str, str]:
        """The deal custom fields to read, by role."""
        roles = {
            "lost_reason": self.lost_reason,
            "campaign": self.campaign,
            "expected_close": self.expected_close,
            "upsell": self.upsell_field,
        }
        return {role: title for role, title in roles.items() if title}

    @property
    def contact_fields(self) -> dict[str, str]:
        """The contact custom fields to read, by role."""
        roles = {"source": self.source, "churn_date": self.churn_date}
        return {role: title for role, title in roles.items() if title}

    def is_upsell(self, pipeline_title: str | None, upsell_value: str | None) -> bool:
        if pipeline_title is not None and title_key(pipeline_title) in self._pipelines:
            return True
        if upsell_value is None:
            return False
        # a multi-select value counts when any of its options is an upsell value
        return any(title_key(option) in self._values for option in upsell_value.split(", "))


@dataclass(frozen=True)
class Options:
    """How the connector syncs.

    `timezone` is the account's: ActiveCampaign sends some timestamps and every custom date
    without an offset, in the account's time. Deals deleted in ActiveCampaign are found by
    reading every deal id once every `sweep_days`; every contact's list memberships and field
    values, which may change without moving its `udate`, are read again once every
    `contact_sweep_days`. `history_from_activities` reads the deal
    activity log on a full sync to date past stage moves and closes.
    """

    timezone: tzinfo = UTC
    sweep_days: int = 7
    contact_sweep_days: int = 7
    history_from_activities: bool = True
    page_size: int = 100

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= 100:
            raise ValueError(
                f"page_size must be 1 to 100, the API's maximum (got {self.page_size})"
            )
        for name, days in (
            ("sweep_days", self.sweep_days),
            ("contact_sweep_days", self.contact_sweep_days),
        ):
            if days < 1:
                raise ValueError(f"{name} must be at least 1 (got {days})")
