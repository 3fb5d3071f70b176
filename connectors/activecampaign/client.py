"""HTTP to one ActiveCampaign account: auth, pacing, the 403 quirk, paging, the access check.

Every request goes through the shared `ApiClient` (timeouts, retries honouring Retry-After,
errors without secrets). This module adds what is particular to ActiveCampaign: the
`Api-Token` header, 5 requests a second and its `RateLimit-*` headers, a 403 retried once,
and its two ways of paging.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import requests

from connectors.activecampaign.settings import API_PATH
from connectors.activecampaign.values import total
from connectors.clock import Monotonic
from connectors.http import (
    ApiClient,
    ApiError,
    AuthError,
    FatalError,
    Pacer,
    Pacers,
    RetriableError,
    default_classifier,
    header_count,
)
from connectors.paging import pages

API = "ActiveCampaign"
# "Our API has a rate limit of 5 requests per second per account", with the headers
# `RateLimit-Limit` and `RateLimit-Remaining`; no reset header is documented
# (https://developers.activecampaign.com/reference/rate-limits)
REQUESTS_PER_SECOND = 5
INTERVAL = 1.0
CHECK_ATTEMPTS = 3
# keys are long runs of letters and digits; anything else (a space, a quote, a short value)
# was pasted wrongly and is refused at once instead of being retried
_KEY_SHAPE = re.compile(r"[A-Za-z0-9]{32,}")


def key_looks_valid(key: str) -> bool:
    return bool(_KEY_SHAPE.fullmatch(key))


class AccessError(FatalError):
    """The account cannot be used: wrong URL, refused key, unpaid account. One line for users."""


@dataclass
class RetryFirst403:
    """The default classification, except that a 403 is retried once before it counts.

    ActiveCampaign answers 403 now and then to a valid key; singer-io/tap-activecampaign
    retries it since v1.3.1 ("the source raises 403 Authentication issues intermittently").
    A bad key also gets 403, not 401 (https://developers.activecampaign.com/reference/errors),
    so the second 403 in a row for the same call is an `AuthError`.
    """

    key_valid: bool
    _classify: Callable[[str, requests.Response], ApiError | None] = field(
        default_factory=lambda: default_classifier(API), repr=False
    )
    _first_403: str | None = field(default=None, repr=False)

    def __call__(self, call: str, response: requests.Response) -> ApiError | None:
        error = self._classify(call, response)
        if response.status_code != 403:
            self._first_403 = None
            return error
        if self.key_valid and self._first_403 != call:
            self._first_403 = call
            return RetriableError(f"{error}; retrying once", status=403, retry_after=1.0)
        self._first_403 = None
        return error


def follow_rate_limit(response: requests.Response, pacer: Pacer | None) -> None:
    """Pace under the limit a response announces, making room for the requests its window
    holds that we did not send (the limit is the account's, shared by every integration)."""
    if pacer is None:
        return
    limit = header_count(response.headers, "RateLimit-Limit")
    if limit:
        pacer.adjust(limit, INTERVAL)
    remaining = header_count(response.headers, "RateLimit-Remaining")
    if remaining is not None:
        pacer.follow_remaining(remaining)


@dataclass(frozen=True, slots=True)
class ApiPage:
    """One page of a collection: its records, the whole body (for side-loaded collections),
    the position after it, and the collection's `meta.total` when the body had one."""

    records: list[dict[str, Any]]
    body: Mapping[str, Any]
    after: int
    total: int | None


@dataclass(frozen=True, slots=True)
class _Offset:
    """Where an offset pass stands: the next offset, and the total and ids of the page before
    it, by which a shrunk collection and a page served again are told."""

    offset: int
    previous_total: int | None = None
    previous_ids: tuple[str, ...] | None = None


@dataclass
class AccountClient:
    """One ActiveCampaign account's API: `base_url` is the account's API URL."""

    base_url: str
    api: ApiClient
    page_size: int = 100

    @property
    def calls(self) -> int:
        return self.api.calls

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
        body = self.api.get(path, params)
        if not isinstance(body, Mapping):
            # a 200 whose body is a list or a string is not an answer of the v3 API
            raise RetriableError(f"{API} GET {path}: response is not a JSON object")
        return body

    def offset_pages(
        self, path: str, key: str, params: Mapping[str, Any] | None = None, start: int = 0
    ) -> Iterator[ApiPage]:
        """Pages by `limit` and `offset` from `start` (https://developers.activecampaign.com/reference/pagination).

        `meta.total` may be a string or a number, or missing (then a short page ends the
        collection). When the total shrinks between pages, records before the offset were
        deleted and the rest moved up: the offset steps back by as many, so none is skipped
        (the few read twice are upserted twice, which is harmless).
        """

        def fetch(at: _Offset) -> tuple[ApiPage, _Offset | None]:
            query = {**(params or {}), "limit": self.page_size, "offset": at.offset}
            body = self.get(path, query)
            records = _records(body, key, path)
            count = total(body)
            # as text, so that the position stays hashable whatever a server sends as an id
            ids = tuple(str(record.get("id")) for record in records)
            if records and ids == at.previous_ids:
                raise FatalError(
                    f"{API} GET {path}: the same page came back for offset {at.offset}"
                )
            shrunk = 0
            if at.previous_total is not None and count is not None:
                shrunk = max(0, at.previous_total - count)
            # after a shrink, what was at `offset` moved up by as many: read from there again
            after = max(0, at.offset - shrunk) if shrunk else at.offset + len(records)
            ended = len(records) < self.page_size or (count is not None and after >= count)
            following = None if ended and not shrunk else _Offset(after, count, ids)
            return ApiPage(records, body, after, count), following

        return pages(fetch, _Offset(start), api=API, call=f"GET {path}")

    def keyset_pages(
        self, path: str, key: str, params: Mapping[str, Any] | None = None, after: int = 0
    ) -> Iterator[ApiPage]:
        """Pages in id order after id `after`: `orders[id]=ASC` with `id_greater`.

        ActiveCampaign's advice for large contact lists, where offsets get slow
        (https://developers.activecampaign.com/reference/pagination, "Performance Tip").
        """

        def fetch(after: int) -> tuple[ApiPage, int | None]:
            query = {**(params or {}), "orders[id]": "ASC", "id_greater": after}
            body = self.get(path, {**query, "limit": self.page_size})
            records = _records(body, key, path)
            ids = [_numeric_id(record) for record in records]
            if any(record_id <= after for record_id in ids):
                raise FatalError(f"{API} GET {path}: ids at or before {after} came back")
            last = max(ids, default=after)
            return ApiPage(records, body, last, total(body)), (
                None if len(records) < self.page_size else last
            )

        return pages(fetch, after, api=API, call=f"GET {path}")

    def check_access(self) -> Mapping[str, Any]:
        """The user the key belongs to; `AccessError` with one line saying what to fix.

        `GET /api/3/users/me` is the cheapest authenticated call
        (https://developers.activecampaign.com/reference/get-user-loggedin).
        """
        url = self.base_url
        where = "Settings > Developer > API Access"
        # few attempts: a mistyped host should fail in seconds, not after a minute of backoff
        quick = AccountClient(url, replace(self.api, attempts=CHECK_ATTEMPTS), self.page_size)
        try:
            body = quick.get("/users/me")
        except AuthError as error:
            raise AccessError(
                f"{API} refused the API key for {url} ({error.status}): set "
                f"ACTIVECAMPAIGN_API_TOKEN to the key shown under {where}",
                status=error.status,
            ) from None
        except FatalError as error:
            if error.status == 402:
                raise AccessError(
                    f"{API} account {url} has a payment problem (402): the API is closed until "
                    "it is settled",
                    status=402,
                ) from None
            raise AccessError(
                f"{url} is not an {API} API URL ({error}): copy the API URL from {where}",
                status=error.status,
            ) from None
        except RetriableError as error:
            raise AccessError(
                f"{API} at {url} cannot be reached ({error}): check base_url and the network",
                status=error.status,
            ) from None
        user = body.get("user")
        if not isinstance(user, Mapping):
            raise AccessError(
                f"{url} answered GET {API_PATH}/users/me without a user: it is not an {API} "
                f"API URL; copy the API URL from {where}"
            )
        return user


def _records(body: Mapping[str, Any], key: str, path: str) -> list[dict[str, Any]]:
    records = body.get(key, [])
    if records is None:
        # an endpoint with nothing to list may send null instead of []
        return []
    if not isinstance(records, list):
        raise RetriableError(f"{API} GET {path}: {key!r} is not a list")
    return [record for record in records if isinstance(record, dict)]


def _numeric_id(record: Mapping[str, Any]) -> int:
    value = record.get("id")
    try:
        return int(str(value))
    except ValueError:
        raise FatalError(f"{API}: a record has the id {value!r}, not a number") from None


def connect(
    base_url: str,
    token: str,
    session: requests.Session,
    *,
    page_size: int = 100,
    attempts: int = 6,
    sleep: Callable[[float], None] = time.sleep,
    clock: Monotonic = time.monotonic,
    pacers: Pacers | None = None,
) -> AccountClient:
    """A client for the account at `base_url` (normalized, see `settings.normalize_base_url`).

    `page_size` is at most 100, the API's limit. `sleep` drives the retries; the account's
    pacer comes from `pacers` (the daemon's, which outlive a run), else from a registry of
    its own on `clock` and `sleep`, so tests run without waiting.
    """
    if not 1 <= page_size <= 100:
        raise ValueError(f"page_size must be 1 to 100, the API's maximum (got {page_size})")
    registry = pacers or Pacers(clock=clock, sleep=sleep)
    pacer = registry.get(API, base_url, REQUESTS_PER_SECOND, INTERVAL)
    api = ApiClient(
        api=API,
        base_url=base_url + API_PATH,
        session=session,
        headers={"Api-Token": token, "Accept": "application/json"},
        pacer=pacer,
        attempts=attempts,
        classify=RetryFirst403(key_looks_valid(token)),
        sleep=sleep,
        on_response=follow_rate_limit,
    )
    return AccountClient(base_url, api, page_size)
