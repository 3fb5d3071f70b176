"""HTTP to HubSpot: the shared `ApiClient` with HubSpot's auth, limits and error reading.

Two pacers per account: the general one starts at the documented 100 requests per 10
seconds and follows the `X-HubSpot-RateLimit-Max` / `-Interval-Milliseconds` / `-Remaining`
headers of each response (higher tiers allow more); search requests wait only for their own
5 per second, since search is exempt from the 10-second bucket and sends no such headers
(https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details). Both pace with
the shared headroom below those limits.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from pydantic import SecretStr

from connectors.clock import Monotonic
from connectors.http import ApiClient, Pacer, Pacers, header_count
from connectors.hubspot.endpoints import (
    BASE_URL,
    GENERAL_INTERVAL,
    GENERAL_LIMIT,
    SEARCH_INTERVAL,
    SEARCH_LIMIT,
)
from connectors.hubspot.errors import API, classify

logger = logging.getLogger(__name__)

Sleep = Callable[[float], None]

# a warning when fewer than this share of the day's calls is left (2,500 of Free's 250,000):
# a first pull of a large account takes thousands, and the daily limit stops it halfway
DAILY_WARNING = 0.01


class RateLimitHeaders:
    """A response hook for the general pacer: the burst limit HubSpot announces, the requests
    its window holds that this client did not send, and one warning while the day's calls
    run short.

    Headers that are missing (HubSpot leaves them out when it cannot count, and on search)
    or not whole numbers are ignored.
    """

    def __init__(self, general: Pacer) -> None:
        self.general = general
        self.warned = False

    def __call__(self, response: requests.Response, pacer: Pacer | None) -> None:
        if pacer is not self.general:
            return
        headers = response.headers
        limit = header_count(headers, "X-HubSpot-RateLimit-Max")
        millis = header_count(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
        if limit and millis and (limit, millis / 1000) != (pacer.limit, pacer.interval):
            logger.debug(
                "%s allows %d requests per %g s; pacing below that", API, limit, millis / 1000
            )
            pacer.adjust(limit, millis / 1000)
        remaining = header_count(headers, "X-HubSpot-RateLimit-Remaining")
        if remaining is not None:
            pacer.follow_remaining(remaining)
        self._daily(headers)

    def _daily(self, headers: Mapping[str, str]) -> None:
        daily = header_count(headers, "X-HubSpot-RateLimit-Daily")
        left = header_count(headers, "X-HubSpot-RateLimit-Daily-Remaining")
        if not daily or left is None:
            return
        short = left < daily * DAILY_WARNING
        if short and not self.warned:
            logger.warning(
                "%s: %s of the private app's %s API calls a day are left; when none are, the "
                "pull stops until the limit resets at midnight in the account's time zone",
                API,
                f"{left:,}",
                f"{daily:,}",
            )
        self.warned = short


def fingerprint(token: SecretStr) -> str:
    """Tells tokens apart in the pacer registry without holding or showing the token."""
    return hashlib.sha256(token.get_secret_value().encode()).hexdigest()[:16]


class HubSpotApi:
    """JSON calls to one HubSpot account; `search` goes through the search pacer.

    The pacers come from `pacers` (the daemon's, which outlive a run), else from a registry
    of its own on `clock` and `sleep`.
    """

    def __init__(
        self,
        token: SecretStr,
        session: requests.Session,
        *,
        base_url: str = BASE_URL,
        sleep: Sleep = time.sleep,
        clock: Monotonic = time.monotonic,
        attempts: int = 6,
        pacers: Pacers | None = None,
    ) -> None:
        registry = pacers or Pacers(clock=clock, sleep=sleep)
        account = f"{base_url} {fingerprint(token)}"
        self.pacer = registry.get(API, account, GENERAL_LIMIT, GENERAL_INTERVAL)
        self.search_pacer = registry.get(API, account, SEARCH_LIMIT, SEARCH_INTERVAL, "search")
        self._client = ApiClient(
            api=API,
            base_url=base_url,
            session=session,
            headers={"Authorization": f"Bearer {token.get_secret_value()}"},
            pacer=self.pacer,
            attempts=attempts,
            classify=classify,
            sleep=sleep,
            on_response=RateLimitHeaders(self.pacer),
        )

    def __repr__(self) -> str:
        return f"HubSpotApi({self._client.base_url!r})"

    @property
    def calls(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._client.calls

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._client.get(path, params)

    def post(self, path: str, body: Any, params: Mapping[str, Any] | None = None) -> Any:
        return self._client.post(path, body, params=params)

    def search(self, object_type: str, body: Mapping[str, Any]) -> Any:
        return self._client.post(
            f"/crm/v3/objects/{object_type}/search", body, pacer=self.search_pacer
        )
