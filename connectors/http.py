"""HTTP for every API the tool talks to: timeouts, pacing, retries, and errors without secrets.

One `ApiClient` per API and run. It wraps an injected `requests.Session` (so the standard
`HTTPS_PROXY` and `REQUESTS_CA_BUNDLE` variables apply, and tests pass their own), paces
requests with headroom under the API's limit (through a pacer per account that `Pacers`
keeps across runs), retries what is worth retrying and classifies the rest once. Messages
name the API, the method, the path and the status; never a header, a token or a query
string.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import random
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from connectors.clock import Monotonic, utc_now
from connectors.errors import RunFailure

logger = logging.getLogger(__name__)

Timeout = tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (10.0, 60.0)
MAX_WAIT = 60.0  # seconds; no documented window of our APIs is longer


class ApiError(RunFailure):
    """A failed API call; the message is safe to log and to show."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RetriableError(ApiError):
    """Worth another try: rate limited, a server error, a dropped connection, a garbled body.

    `unsent` says the request never reached the server (no connection was made); a 429 is
    refused before anything is done. Any other may have been applied although its answer
    was lost, which matters to a request that is not safe to send twice (`resend`).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        unsent: bool = False,
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after
        self.unsent = unsent

    @property
    def not_applied(self) -> bool:
        """Whether the server surely did nothing with the request."""
        return self.unsent or self.status == 429


class FatalError(ApiError):
    """Another try would fail the same way: a bad request, a missing object."""


class AuthError(FatalError):
    """The credentials are wrong or lack a permission (401, 403)."""


Classifier = Callable[[str, requests.Response], ApiError | None]


# Every API account is paced at this fraction of its documented or announced limit. The
# server counts requests as they arrive, in a window that is not aligned with ours, and the
# network delays each request by a different amount, so requests sent exactly at the limit
# arrive bunched above it: that way about 1 call in 9 met a 429 from ActiveCampaign's
# 5 a second. See `Pacer` for how the share left over absorbs that jitter.
HEADROOM = 0.8
# float rounding: after sleeping exactly until a request leaves the window, `clock()` may
# still read a hair before that instant
_EPSILON = 1e-6


@dataclass
class Pacer:
    """A sliding window on the requests sent, with headroom under the API's limit.

    At most `pace` = `limit` x `headroom` requests in any `interval` seconds, which is the
    rate; and at most `limit` in any `interval` plus the `headroom`'s share of it (0.2 s
    of ActiveCampaign's second at 80 %), which keeps the bursts a sliding window allows at
    its edges from arriving together: requests delayed on their way by up to that share
    still arrive within the limit. With `headroom` 1 this is a plain sliding window.

    `hold` stops every request for a while (after a 429); `follow_remaining` makes room for
    what the server counted that we did not send.

    `clock` and `sleep` are injectable so tests run without waiting. Thread-safe, since the
    scheduler runs jobs on worker threads.
    """

    limit: int
    interval: float
    clock: Monotonic = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    headroom: float = 1.0
    _sent: deque[float] = field(default_factory=deque, init=False, repr=False)
    _hold_until: float = field(default=float("-inf"), init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def pace(self) -> int:
        """Requests sent in any `interval`: `limit` less the headroom, at least one."""
        return max(1, math.floor(self.limit * self.headroom))

    def wait(self) -> None:
        """Block until one more request fits, then count it."""
        with self._lock:
            while True:
                now = self.clock()
                delay = self._delay(now)
                if delay <= _EPSILON:
                    self._sent.append(now)
                    return
                self.sleep(delay)

    def adjust(self, limit: int, interval: float) -> None:
        """Follow the limit an API announces in its headers (the headroom still applies)."""
        with self._lock:
            self.limit, self.interval = max(1, limit), max(0.001, interval)

    def hold(self, seconds: float) -> None:
        """Send nothing for `seconds` from now (an earlier, longer hold still stands)."""
        with self._lock:
            self._hold_until = max(self._hold_until, self.clock() + max(0.0, seconds))

    def follow_remaining(self, left: int) -> None:
        """Follow the server's count of the requests its window has `left`.

        What it counts beyond our own recent requests was sent by someone else (another
        integration on the account, another run), at a time we cannot know: it is counted
        here as sent just now, the latest it can have been, so our window makes room for it
        until it has surely left the server's.
        """
        with self._lock:
            now = self.clock()
            counted = self.limit - left
            ours = sum(1 for sent in self._sent if sent + self._longest - now > _EPSILON)
            self._sent.extend([now] * max(0, counted - ours))

    @property
    def _longest(self) -> float:
        """The long window: `interval` plus the headroom's share of it."""
        return self.interval * (1.0 + max(0.0, 1.0 - self.headroom))

    def _delay(self, now: float) -> float:
        """Seconds until a request may go at `now`; 0 or less when it may go at once."""
        if now < self._hold_until:
            return self._hold_until - now
        longest = self._longest
        while self._sent and self._sent[0] + longest - now <= _EPSILON:
            self._sent.popleft()
        return max(
            self._until_below(now, self.interval, self.pace),
            self._until_below(now, longest, self.limit),
        )

    def _until_below(self, now: float, window: float, cap: int) -> float:
        """Seconds until fewer than `cap` sends are in the last `window` seconds."""
        inside = [sent for sent in self._sent if sent + window - now > _EPSILON]
        if len(inside) < cap:
            return 0.0
        return inside[-cap] + window - now


def header_count(headers: Mapping[str, str], name: str) -> int | None:
    """A rate-limit header as a whole number of requests or milliseconds; None when it is
    absent or not one (a proxy's rewrite, a value in another format): such a header is
    ignored rather than trusted."""
    value = headers.get(name)
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


@dataclass
class Pacers:
    """One `Pacer` per API, account and bucket, for as long as this registry lives.

    A run builds fresh clients, but an account's limit does not restart with them: the
    daemon keeps one registry for all its runs, so the next run's first request waits for
    what the last run sent. `account` is any string that tells accounts apart without
    being a secret (a URL, a token's fingerprint), since it may end up in a repr.
    """

    clock: Monotonic = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _pacers: dict[tuple[str, str, str], Pacer] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def get(self, api: str, account: str, limit: int, interval: float, bucket: str = "") -> Pacer:
        """The account's pacer; a new one starts at `limit` per `interval`, with headroom."""
        key = (api, account, bucket)
        with self._lock:
            pacer = self._pacers.get(key)
            if pacer is None:
                pacer = Pacer(limit, interval, self.clock, self.sleep, headroom=HEADROOM)
                self._pacers[key] = pacer
            return pacer


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: either delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or utc_now())).total_seconds())


def default_classifier(api: str) -> Classifier:
    """429, 408 and 5xx are retriable; 401 and 403 are auth errors; other 4xx are fatal."""

    def classify(call: str, response: requests.Response) -> ApiError | None:
        status = response.status_code
        if status < 400:
            return None
        detail = error_detail(response)
        message = f"{api} {call}: {status} {response.reason or ''}".rstrip()
        if detail:
            message += f": {detail}"
        if status in (408, 429) or status >= 500:
            after = retry_after_seconds(response.headers.get("Retry-After"))
            return RetriableError(message, status=status, retry_after=after)
        if status in (401, 403):
            return AuthError(message, status=status)
        return FatalError(message, status=status)

    return classify


def error_detail(response: requests.Response, limit: int = 300) -> str:
    """The API's own explanation from an error body, if it has a usual field for one."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("message", "error_description", "error", "errors"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if value:
                return str(value)[:limit]
    return ""


# A request that cannot be sent as written: another try sends the same thing.
_UNSENDABLE = (
    requests.exceptions.URLRequired,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidJSONError,
    requests.exceptions.TooManyRedirects,
)


def transport_error(call: str, exc: requests.RequestException) -> ApiError:
    """What a request that got no usable response means, for `call` ("API METHOD path").

    A timeout, a reset or refused connection, a TLS handshake cut short, a body cut off
    (`ChunkedEncodingError`) or corrupt in its compression (`ContentDecodingError`, raised
    while requests reads a 200's body) pass: they are retried. A certificate the machine
    does not trust, or a request that cannot be sent as written (a malformed URL, too many
    redirects), fails the same way every time. The exception's text carries the full URL,
    query string included: only its type is named.
    """
    name = type(exc).__name__
    if isinstance(exc, requests.Timeout):
        # a connect timeout never sent the request; a read timeout may have been after it ran
        unsent = isinstance(exc, requests.ConnectTimeout)
        return RetriableError(f"{call}: timed out ({name})", unsent=unsent)
    if isinstance(exc, requests.exceptions.SSLError) and _certificate_rejected(exc):
        return FatalError(
            f"{call}: the server's TLS certificate is not trusted; behind a proxy that "
            "re-signs traffic, point REQUESTS_CA_BUNDLE at its CA certificate"
        )
    if isinstance(exc, _UNSENDABLE):
        return FatalError(f"{call}: the request cannot be sent ({name})")
    return RetriableError(f"{call}: connection failed ({name})")


def _certificate_rejected(exc: BaseException) -> bool:
    """Whether verifying the server's certificate failed, anywhere in the chain urllib3 builds
    (requests' `SSLError` wraps urllib3's `MaxRetryError`, whose `reason` wraps the `ssl` one).
    """
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        item = pending.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ssl.SSLCertVerificationError):
            return True
        pending.extend(
            (*item.args, item.__cause__, item.__context__, getattr(item, "reason", None))
        )
    return False


@dataclass
class ApiClient:
    """JSON over HTTP for one API: `get`/`post` return the parsed body or raise `ApiError`.

    Every request has `timeout`, waits for `pacer`, and is retried up to `attempts` times
    on `RetriableError`, honouring `Retry-After`, else with exponential backoff and full
    jitter (so many clients do not retry in step). The wait after a 429 holds the pacer
    too, so nothing else is sent to the account meanwhile. `on_response` sees every
    response with the pacer its request waited for, to follow what the API's headers say
    about its limit.
    """

    api: str
    base_url: str
    session: requests.Session
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    timeout: Timeout = DEFAULT_TIMEOUT
    pacer: Pacer | None = None
    attempts: int = 6
    classify: Classifier | None = None
    sleep: Callable[[float], None] = time.sleep
    on_response: Callable[[requests.Response, Pacer | None], None] | None = None
    calls: int = field(default=0, init=False)

    def get(self, path: str, params: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        return self.request("GET", path, params=params, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> Any:
        return self.request("POST", path, json_body=body, **kw)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        pacer: Pacer | None = None,
        raw: bool = False,
        resend: bool = True,
    ) -> Any:
        """The parsed JSON body; with `raw`, the checked `requests.Response` itself (for a
        library such as gspread that parses responses on its own).

        A request that is not safe to send twice (`resend=False`) is retried only when the
        server surely did nothing with it (`RetriableError.not_applied`); otherwise its
        `RetriableError` is raised for the caller to find out what the server did.
        """
        paced = pacer or self.pacer

        def worth_retrying(error: BaseException) -> bool:
            return isinstance(error, RetriableError) and (resend or error.not_applied)

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception(worth_retrying),
            sleep=self.sleep,
            before_sleep=lambda state: self._before_retry(state, paced),
            reraise=True,
        )
        return retrying(self._once, method, path, params, json_body, paced, raw)

    def _once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        pacer: Pacer | None,
        raw: bool = False,
    ) -> Any:
        call = f"{method} {path}"
        if pacer is not None:
            pacer.wait()
        self.calls += 1
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                params=params,
                json=json_body,
                headers=dict(self.headers),
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise transport_error(f"{self.api} {call}", exc) from None
        if self.on_response is not None:
            self.on_response(response, pacer)
        error = (self.classify or default_classifier(self.api))(call, response)
        if error is not None:
            raise error
        if not response.content:
            raise RetriableError(f"{self.api} {call}: empty response body")
        try:
            body = response.json()
        except (ValueError, json.JSONDecodeError):
            raise RetriableError(f"{self.api} {call}: response is not JSON") from None
        return response if raw else body

    @staticmethod
    def _wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetriableError) and error.retry_after is not None:
            return min(error.retry_after, MAX_WAIT)
        ceiling = min(MAX_WAIT, 2.0 ** (state.attempt_number - 1))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not security

    def _before_retry(self, state: RetryCallState, pacer: Pacer | None) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        if pacer is not None and isinstance(error, RetriableError) and error.status == 429:
            # the limit is the account's: every request to it waits as long as this retry
            pacer.hold(wait)
        logger.warning("%s; retrying in %.1f s (attempt %d)", error, wait, state.attempt_number + 1)
