"""HTTP to HubSpot: the shared `ApiClient` with HubSpot's auth, limits and error reading.

Two pacers: the general one starts at the documented 100 requests per 10 seconds and follows
the `X-HubSpot-RateLimit-Max` / `-Interval-Milliseconds` headers of each response (higher
tiers allow more); search requests wait only for their own 5 per second, since search is
exempt from the 10-second bucket
(https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from pydantic import SecretStr

from connectors.http import ApiClient, Pacer
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
Clock = Callable[[], float]


def follow_rate_limit(pacer: Pacer) -> Callable[[requests.Response], None]:
    """A response hook that sets `pacer` to the burst limit HubSpot announces, when it does."""

    def on_response(response: requests.Response) -> None:
        headers = response.headers
        try:
            limit = int(headers["X-HubSpot-RateLimit-Max"])
            interval = int(headers["X-HubSpot-RateLimit-Interval-Milliseconds"]) / 1000
        except (KeyError, ValueError):
            return
        if limit > 0 and interval > 0 and (limit, interval) != (pacer.limit, pacer.interval):
            logger.debug("HubSpot allows %d requests per %.0f s; pacing to that", limit, interval)
            pacer.adjust(limit, interval)

    return on_response


class HubSpotApi:
    """JSON calls to one HubSpot account; `search` goes through the search pacer."""

    def __init__(
        self,
        token: SecretStr,
        session: requests.Session,
        *,
        base_url: str = BASE_URL,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        attempts: int = 6,
    ) -> None:
        self.pacer = Pacer(GENERAL_LIMIT, GENERAL_INTERVAL, clock=clock, sleep=sleep)
        self.search_pacer = Pacer(SEARCH_LIMIT, SEARCH_INTERVAL, clock=clock, sleep=sleep)
        self._client = ApiClient(
            api=API,
            base_url=base_url,
            session=session,
            headers={"Authorization": f"Bearer {token.get_secret_value()}"},
            pacer=self.pacer,
            attempts=attempts,
            classify=classify,
            sleep=sleep,
            on_response=follow_rate_limit(self.pacer),
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
