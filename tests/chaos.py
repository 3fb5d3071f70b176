"""A fault-injecting `requests` transport: the network at its worst, replayable from a seed.

`ChaosAdapter` is mounted on the `requests.Session` a client is given. Each request draws
from a `random.Random(seed)`: it passes to the `inner` adapter (a plain `HTTPAdapter`, which
`responses` intercepts, so the fake accounts answer), or it meets one of the `Fault`s. The
faults are built the way requests and urllib3 build them on a real socket: a cut body is
a urllib3 response whose `Content-Length` promises more than it holds, so requests itself
raises `ChunkedEncodingError` while it reads it; a corrupt compressed body is one that
urllib3 fails to gunzip, so requests raises `ContentDecodingError`. A slow answer raises
`ReadTimeout` at once instead of waiting for it, and the clients' sleeps are a fake clock's,
so a stormy run costs no real time.

A request meets at most `streak` faults in a row and then passes, so a client that retries
more often than that always gets through: a failure then is the client's, not bad luck.
The same seed against the same client draws the same faults, so a failing seed replays.
"""

from __future__ import annotations

import gzip
import io
import random
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.exceptions import ProtocolError, ReadTimeoutError


class Fault(StrEnum):
    RESET = "connection reset"
    CUT = "body cut off"
    CORRUPT_GZIP = "corrupt gzip body"
    EMPTY = "empty body"
    SERVER_ERROR = "5xx"
    RATE_LIMITED = "429 without Retry-After"
    RATE_LIMITED_AFTER = "429 with Retry-After"
    TIMEOUT = "read timeout"


# Faults after which the server has done the work (a read timeout, a body lost on the way):
# the inner adapter is called for them, so a non-idempotent call is applied, then retried.
_SERVED = (Fault.CUT, Fault.CORRUPT_GZIP, Fault.EMPTY, Fault.TIMEOUT)


class ChaosAdapter(BaseAdapter):
    """`faults` drawn from `seed` for a share `rate` of the requests, at most `streak` in a
    row per request (same method, URL and body).

    `lost_answers` limits the faults after which the server has done the work (`_SERVED`)
    to those methods (all by default); other methods then only meet faults that stop a
    request before the server acts on it.
    """

    def __init__(
        self,
        seed: int,
        *,
        rate: float = 0.4,
        streak: int = 3,
        faults: Sequence[Fault] = tuple(Fault),
        lost_answers: Collection[str] | None = None,
        inner: BaseAdapter | None = None,
    ) -> None:
        super().__init__()
        self.seed = seed
        self.rate = rate
        self.streak = streak
        self.faults = tuple(faults)
        self.lost_answers = None if lost_answers is None else {m.upper() for m in lost_answers}
        self.inner = inner or HTTPAdapter()
        self.random = random.Random(seed)
        self.injected: Counter[Fault] = Counter()
        self.unbounded: list[str] = []
        self.sent = 0
        self._streaks: Counter[tuple[str, str, bytes]] = Counter()

    def describe(self) -> str:
        """The seed and what it injected, for a failure message: rerun that seed to replay."""
        faults = ", ".join(f"{fault.value} x{n}" for fault, n in sorted(self.injected.items()))
        return f"chaos seed {self.seed}: {self.sent} requests, faults: {faults or 'none'}"

    def mount_on(self, session: requests.Session) -> requests.Session:
        session.mount("https://", self)
        session.mount("http://", self)
        return session

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        self.sent += 1
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        if read_timeout is None:
            # on a real network a silent server would hold this call forever
            self.unbounded.append(f"{request.method} {urlsplit(request.url or '').path}")
        fault = self._draw(request)
        forward: dict[str, Any] = {
            "stream": stream,
            "timeout": timeout,
            "verify": verify,
            "cert": cert,
            "proxies": proxies,
        }
        if fault is None:
            return self.inner.send(request, **forward)
        self.injected[fault] += 1
        if fault is Fault.RESET:
            raise _reset(request)
        if fault is Fault.SERVER_ERROR:
            status = self.random.choice((500, 502, 503, 504))
            html = f"<html><body><h1>{status} Server Error</h1></body></html>".encode()
            return _response(request, status, {"Content-Type": "text/html"}, html)
        if fault in (Fault.RATE_LIMITED, Fault.RATE_LIMITED_AFTER):
            headers = {"Content-Type": "application/json"}
            if fault is Fault.RATE_LIMITED_AFTER:
                headers["Retry-After"] = str(self.random.randint(1, 10))
            return _response(request, 429, headers, b'{"message": "Too many requests"}')
        served = self.inner.send(request, **forward)
        assert fault in _SERVED
        return self._spoil(request, served, fault, read_timeout)

    def close(self) -> None:
        self.inner.close()

    def _draw(self, request: requests.PreparedRequest) -> Fault | None:
        body = request.body or b""
        key = (
            request.method or "",
            request.url or "",
            body.encode() if isinstance(body, str) else body,
        )
        if self._streaks[key] >= self.streak or self.random.random() >= self.rate:
            self._streaks[key] = 0
            return None
        self._streaks[key] += 1
        menu = self.faults
        if self.lost_answers is not None and request.method not in self.lost_answers:
            menu = tuple(fault for fault in menu if fault not in _SERVED)
        return self.random.choice(menu) if menu else None

    def _spoil(
        self,
        request: requests.PreparedRequest,
        served: requests.Response,
        fault: Fault,
        read_timeout: float | None,
    ) -> requests.Response:
        if fault is Fault.TIMEOUT:
            host = urlsplit(request.url or "").hostname
            # a pool that never connects, only named in the message as urllib3 names it
            pool = urllib3.HTTPSConnectionPool(host or "localhost", 443)
            reason = ReadTimeoutError(
                pool, request.url or "", f"Read timed out. (read timeout={read_timeout})"
            )
            raise requests.ReadTimeout(reason, request=request)
        content = served.content
        headers = {
            name: value
            for name, value in served.headers.items()
            if name.lower() not in ("content-length", "content-encoding", "transfer-encoding")
        }
        if fault is Fault.EMPTY:
            return _response(request, served.status_code, headers, b"")
        if fault is Fault.CUT and content:
            kept = content[: self.random.randrange(len(content))]
            headers["Content-Length"] = str(len(content))
            return _response(request, served.status_code, headers, kept)
        if fault is Fault.CUT:
            raise _reset(request)
        headers["Content-Encoding"] = "gzip"
        if self.random.random() < 0.5:
            # a proxy that decompressed the body but kept the header
            return _response(request, served.status_code, headers, content)
        packed = bytearray(gzip.compress(content, mtime=0))
        # one byte of the deflate data flipped: the 10-byte header and 8-byte trailer kept
        at = self.random.randrange(10, len(packed) - 8)
        packed[at] ^= 0xFF
        return _response(request, served.status_code, headers, bytes(packed))


def _reset(request: requests.PreparedRequest) -> requests.ConnectionError:
    """What requests raises when the peer resets the connection before an answer."""
    reason = ProtocolError(
        "Connection aborted.", ConnectionResetError(104, "Connection reset by peer")
    )
    return requests.ConnectionError(reason, request=request)


def _response(
    request: requests.PreparedRequest, status: int, headers: Mapping[str, str], body: bytes
) -> requests.Response:
    """A response as `HTTPAdapter` builds it from urllib3's, its body left for requests to
    read (and to fail reading), as on a real connection."""
    raw = urllib3.HTTPResponse(
        body=io.BytesIO(body),
        headers=dict(headers),
        status=status,
        preload_content=False,
        decode_content=True,
        request_method=request.method,
        reason=HTTPStatus(status).phrase,
    )
    return HTTPAdapter().build_response(request, raw)
