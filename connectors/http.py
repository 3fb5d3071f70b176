"""HTTP for every API the tool talks to: timeouts, pacing, retries, and errors without secrets.

One `ApiClient` per API and run. It wraps an injected `requests.Session` (so the standard
`HTTPS_PROXY` and `REQUESTS_CA_BUNDLE` variables apply, and tests pass their own), paces
requests under the API's documented limit, retries what is worth retrying and classifies
the rest once. Messages name the API, the method, the path and the status; never a header,
a token or a query string.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

logger = logging.getLogger(__name__)

Timeout = tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (10.0, 60.0)
MAX_WAIT = 60.0  # seconds; no documented window of our APIs is longer


class ApiError(Exception):
    """A failed API call; the message is safe to log and to show."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RetriableError(ApiError):
    """Worth another try: rate limited, a server error, a dropped connection, a garbled body."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class FatalError(ApiError):
    """Another try would fail the same way: a bad request, a missing object."""


class AuthError(FatalError):
    """The credentials are wrong or lack a permission (401, 403)."""


Classifier = Callable[[str, requests.Response], ApiError | None]


@dataclass
class Pacer:
    """A sliding window: at most `limit` requests in any `interval` seconds.

    `clock` and `sleep` are injectable so tests run without waiting. Thread-safe, since the
    scheduler runs jobs on worker threads.
    """

    limit: int
    interval: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _sent: deque[float] = field(default_factory=deque, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def wait(self) -> None:
        """Block until one more request fits in the window, then count it."""
        with self._lock:
            while True:
                now = self.clock()
                while self._sent and now - self._sent[0] >= self.interval:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                self.sleep(self.interval - (now - self._sent[0]))

    def adjust(self, limit: int, interval: float) -> None:
        """Follow the limit an API announces in its headers."""
        with self._lock:
            self.limit, self.interval = max(1, limit), max(0.001, interval)


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
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


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


@dataclass
class ApiClient:
    """JSON over HTTP for one API: `get`/`post` return the parsed body or raise `ApiError`.

    Every request has `timeout`, waits for `pacer`, and is retried up to `attempts` times
    on `RetriableError`, honouring `Retry-After`, else with exponential backoff and full
    jitter (so many clients do not retry in step).
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
    on_response: Callable[[requests.Response], None] | None = None
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
    ) -> Any:
        """The parsed JSON body; with `raw`, the checked `requests.Response` itself (for a
        library such as gspread that parses responses on its own)."""
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(RetriableError),
            sleep=self.sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        return retrying(self._once, method, path, params, json_body, pacer or self.pacer, raw)

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
        except requests.Timeout:
            raise RetriableError(f"{self.api} {call}: timed out") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            # a body cut off mid-transfer is not a ConnectionError to requests, yet as worth
            # retrying; the exception's text carries the full URL, query string included:
            # keep it out
            raise RetriableError(
                f"{self.api} {call}: connection failed ({type(exc).__name__})"
            ) from None
        if self.on_response is not None:
            self.on_response(response)
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

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        logger.warning("%s; retrying in %.1f s (attempt %d)", error, wait, state.attempt_number + 1)
