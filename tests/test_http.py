"""The shared HTTP client: pacing, retries that honour Retry-After, errors without secrets."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
import responses
import trustme

from connectors.http import (
    HEADROOM,
    ApiClient,
    AuthError,
    FatalError,
    Pacer,
    Pacers,
    RetriableError,
    header_count,
    retry_after_seconds,
)
from tests.fakes import FakeClock

BASE = "https://api.example.test"
TOKEN = "fake-token-0000"


def _client(sleeps: list[float], base_url: str = BASE, **kw: object) -> ApiClient:
    return ApiClient(
        api="Example",
        base_url=base_url,
        session=requests.Session(),
        headers={"Authorization": f"Bearer {TOKEN}"},
        sleep=sleeps.append,
        **kw,  # type: ignore[arg-type]
    )


@responses.activate
def test_json_body_is_returned_and_timeout_is_always_set() -> None:
    """A 200 returns the parsed body; the request carried the connect and read timeouts."""
    responses.get(f"{BASE}/things", json={"results": [1]})
    client = _client([])
    assert client.get("/things") == {"results": [1]}
    assert responses.calls[0].request.req_kwargs["timeout"] == (10.0, 60.0)
    assert client.calls == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [({"Retry-After": "3"}, 3.0), ({"Retry-After": "0.5"}, 0.5), ({"Retry-After": "600"}, 60.0)],
    ids=["seconds", "fraction", "capped-at-a-minute"],
)
@responses.activate
def test_429_waits_as_long_as_retry_after_says(header: dict[str, str], expected: float) -> None:
    """A 429 with Retry-After sleeps that long (at most a minute), then the retry succeeds."""
    responses.get(f"{BASE}/things", status=429, headers=header, json={"message": "slow down"})
    responses.get(f"{BASE}/things", json={"ok": True})
    sleeps: list[float] = []
    assert _client(sleeps).get("/things") == {"ok": True}
    assert sleeps == [expected]


def test_retry_after_reads_http_dates() -> None:
    """Retry-After may be an HTTP date; it becomes the seconds until then."""
    now = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Fri, 27 Nov 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


@responses.activate
def test_5xx_without_retry_after_backs_off_exponentially_with_jitter() -> None:
    """Server errors are retried with growing, jittered waits, then succeed."""
    for _ in range(3):
        responses.get(f"{BASE}/things", status=503)
    responses.get(f"{BASE}/things", json={"ok": True})
    sleeps: list[float] = []
    assert _client(sleeps).get("/things") == {"ok": True}
    assert len(sleeps) == 3
    assert all(0 <= wait <= 2.0**i for i, wait in enumerate(sleeps))


@responses.activate
def test_retries_stop_and_the_error_names_the_call() -> None:
    """After the last attempt the error names API, method, path and status, not the query."""
    responses.get(f"{BASE}/things", status=502)
    sleeps: list[float] = []
    with pytest.raises(RetriableError) as caught:
        _client(sleeps, attempts=3).get("/things", params={"secret": "q"})
    assert str(caught.value) == "Example GET /things: 502 Bad Gateway"
    assert len(responses.calls) == 3


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthError), (403, AuthError), (404, FatalError), (400, FatalError)],
    ids=["401", "403", "404", "400"],
)
@responses.activate
def test_client_errors_are_not_retried(status: int, error: type[Exception]) -> None:
    """4xx other than 408 and 429 fail at once, with the API's own message."""
    responses.get(f"{BASE}/things", status=status, json={"message": "nope"})
    with pytest.raises(error, match="nope"):
        _client([]).get("/things")
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    "body",
    [b"", b"<html>gateway</html>", b'{"results": [1'],
    ids=["empty", "html", "truncated-json"],
)
@responses.activate
def test_a_garbled_200_is_retried(body: bytes) -> None:
    """An empty, HTML or truncated 200 body is retried rather than trusted."""
    responses.get(f"{BASE}/things", body=body, status=200)
    responses.get(f"{BASE}/things", json={"ok": True})
    assert _client([]).get("/things") == {"ok": True}


@responses.activate
def test_connection_errors_are_retried_and_never_show_the_url() -> None:
    """A dropped connection is retried; its message leaves out the URL and the token."""
    failure = requests.ConnectionError(f"{BASE}/things?token={TOKEN} refused")
    responses.get(f"{BASE}/things", body=failure)
    with pytest.raises(RetriableError) as caught:
        _client([], attempts=2).get("/things")
    assert TOKEN not in str(caught.value)
    assert "token=" not in str(caught.value)
    assert len(responses.calls) == 2


@responses.activate
def test_the_token_never_appears_in_an_error() -> None:
    """Even an error body that echoes the request's header leaves the token out of the message."""
    responses.get(f"{BASE}/things", status=401, json={"category": "INVALID_AUTHENTICATION"})
    with pytest.raises(AuthError) as caught:
        _client([]).get("/things")
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value)


def test_pacer_holds_the_request_that_would_exceed_the_window() -> None:
    """With 3 per second, the 4th request waits until the first leaves the window."""
    clock = FakeClock()
    pacer = Pacer(3, 1.0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        pacer.wait()
    assert clock.slept == []
    pacer.wait()
    assert clock.slept == [1.0]


def test_pacer_follows_a_lower_announced_limit() -> None:
    """Adjusting to a lower limit makes the next request wait for the window to drain."""
    clock = FakeClock()
    pacer = Pacer(10, 1.0, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        pacer.wait()
    pacer.adjust(2, 1.0)
    pacer.wait()
    assert sum(clock.slept) == pytest.approx(1.0)


def _sends(pacer: Pacer, clock: FakeClock, count: int) -> list[float]:
    sent = []
    for _ in range(count):
        pacer.wait()
        sent.append(clock.now)
    return sent


def _most_in_window(times: list[float], width: float) -> int:
    return max(sum(1 for t in times if start <= t < start + width) for start in times)


def test_headroom_paces_below_the_limit() -> None:
    """With 80 % headroom, 5 a second becomes 4 in any second, and 4 a second overall."""
    clock = FakeClock()
    pacer = Pacer(5, 1.0, clock=clock, sleep=clock.sleep, headroom=HEADROOM)
    sent = _sends(pacer, clock, 41)
    assert pacer.pace == 4
    assert _most_in_window(sent, 1.0) == 4
    assert sent[-1] == pytest.approx(10.0)


def test_headroom_keeps_bursts_apart_by_its_share_of_the_window() -> None:
    """No more than the limit in a window lengthened by the headroom's share: 5 in any
    1.2 s, so requests delayed up to 0.2 s on their way still arrive 5 in a second."""
    clock = FakeClock()
    pacer = Pacer(5, 1.0, clock=clock, sleep=clock.sleep, headroom=HEADROOM)
    sent = _sends(pacer, clock, 40)
    assert _most_in_window(sent, 1.2) == 5


def test_a_hold_stops_every_request_until_it_ends() -> None:
    """After `hold(3)` the next request waits 3 s, though the window has room."""
    clock = FakeClock()
    pacer = Pacer(5, 1.0, clock=clock, sleep=clock.sleep)
    pacer.wait()
    pacer.hold(3.0)
    pacer.hold(1.0)
    pacer.wait()
    assert clock.now == pytest.approx(3.0)


def test_what_the_server_counted_beyond_our_requests_takes_room_in_the_window() -> None:
    """We sent 1 of the 4 the server counts (3 left of 5 with 1 sent by us): the other 3
    are someone else's, so only 1 more goes before the window passes."""
    clock = FakeClock()
    pacer = Pacer(5, 1.0, clock=clock, sleep=clock.sleep)
    pacer.wait()
    pacer.follow_remaining(1)
    _sends(pacer, clock, 2)
    assert clock.now == pytest.approx(1.0)


def test_a_remaining_count_our_own_requests_explain_changes_nothing() -> None:
    """3 sent, 2 left of 5: nothing to make room for; 2 more go at once."""
    clock = FakeClock()
    pacer = Pacer(5, 1.0, clock=clock, sleep=clock.sleep)
    _sends(pacer, clock, 3)
    pacer.follow_remaining(2)
    _sends(pacer, clock, 2)
    assert clock.slept == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", 5), (" 190 ", 190), ("0", 0), ("-1", None), ("4.5", None), ("lots", None), ("", None)],
    ids=["number", "spaces", "zero", "negative", "fraction", "word", "empty"],
)
def test_rate_limit_headers_are_whole_numbers_or_ignored(value: str, expected: int | None) -> None:
    """A header that is not a whole number is treated as absent."""
    assert header_count({"RateLimit-Limit": value}, "RateLimit-Limit") == expected
    assert header_count({}, "RateLimit-Limit") is None


def test_the_registry_gives_one_pacer_per_account_and_bucket() -> None:
    """The same API, account and bucket share a pacer; anything else gets its own."""
    pacers = Pacers()
    first = pacers.get("Example", "acme", 5, 1.0)
    assert pacers.get("Example", "acme", 5, 1.0) is first
    assert pacers.get("Example", "other", 5, 1.0) is not first
    assert pacers.get("Example", "acme", 5, 1.0, "search") is not first
    assert first.headroom == HEADROOM


@responses.activate
def test_a_429_holds_the_pacer_for_the_next_request_too() -> None:
    """A 429 holds the pacer as long as the retry waits, so every request to the account
    waits, not only the retry: here the pacer's own clock sits out the 2 s as well."""
    responses.get(f"{BASE}/things", status=429, headers={"Retry-After": "2"})
    responses.get(f"{BASE}/things", json={"ok": True})
    clock = FakeClock()
    pacer = Pacer(100, 1.0, clock=clock, sleep=clock.sleep)
    slept: list[float] = []
    client = _client(slept, pacer=pacer)
    client.get("/things")
    assert slept == [2.0]
    assert clock.slept == [2.0]


@responses.activate
def test_the_response_hook_sees_the_pacer_its_request_waited_for() -> None:
    """`on_response` is told which pacer a request used, so a bucket's headers stay its own."""
    responses.get(f"{BASE}/things", json={"ok": True})
    seen: list[Pacer | None] = []
    general, search = Pacer(10, 1.0), Pacer(5, 1.0)
    client = _client([], pacer=general, on_response=lambda _response, pacer: seen.append(pacer))
    client.get("/things")
    client.request("GET", "/things", pacer=search)
    assert seen == [general, search]


@responses.activate
def test_a_200_whose_compressed_body_is_corrupt_is_retried() -> None:
    """requests raises `ContentDecodingError` reading a gzip body that is not gzip: a retry."""
    corrupt = b'{"results": [] } is not gzip'
    responses.get(f"{BASE}/things", body=corrupt, headers={"Content-Encoding": "gzip"})
    responses.get(f"{BASE}/things", json={"ok": True})
    sleeps: list[float] = []
    assert _client(sleeps).get("/things") == {"ok": True}
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ChunkedEncodingError("connection broken: IncompleteRead"),
        requests.exceptions.ConnectionError("connection reset by peer"),
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.SSLError("EOF occurred in violation of protocol"),
        requests.exceptions.ProxyError("proxy refused the connection"),
    ],
    ids=["cut-body", "reset", "read-timeout", "tls-handshake-cut", "proxy-refused"],
)
@responses.activate
def test_a_transient_transport_fault_is_retried(failure: Exception) -> None:
    responses.get(f"{BASE}/things", body=failure)
    responses.get(f"{BASE}/things", json={"ok": True})
    assert _client([]).get("/things") == {"ok": True}


@pytest.mark.parametrize(
    "base_url",
    ["api.example.test", "ftp://api.example.test", "https://"],
    ids=["no-scheme", "other-scheme", "no-host"],
)
def test_a_request_that_cannot_be_sent_fails_at_once(base_url: str) -> None:
    sleeps: list[float] = []
    client = _client(sleeps, base_url=base_url)
    with pytest.raises(FatalError, match="cannot be sent"):
        client.get("/things")
    assert (client.calls, sleeps) == (1, [])


@pytest.fixture
def tls_server() -> Iterator[str]:
    """A loopback HTTPS server whose certificate no CA of the machine signed."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_untrusted_certificate_is_not_retried_and_says_how_to_trust_one(
    tls_server: str,
) -> None:
    sleeps: list[float] = []
    client = _client(sleeps, base_url=tls_server, timeout=(5.0, 5.0))
    with pytest.raises(FatalError, match="REQUESTS_CA_BUNDLE") as caught:
        client.get("/things")
    assert (client.calls, sleeps) == (1, [])
    assert tls_server not in str(caught.value)


@pytest.mark.parametrize(
    ("failure", "retried"),
    [
        ({"body": requests.exceptions.ReadTimeout("read timed out")}, False),
        ({"body": requests.exceptions.ConnectionError("connection reset by peer")}, False),
        ({"status": 503, "json": {"message": "unavailable"}}, False),
        ({"body": requests.exceptions.ConnectTimeout("connect timed out")}, True),
        ({"status": 429, "json": {"message": "slow down"}}, True),
    ],
    ids=["read-timeout", "reset", "503", "connect-timeout", "429"],
)
@responses.activate
def test_a_request_unsafe_to_resend_is_retried_only_when_surely_not_applied(
    failure: dict[str, object], retried: bool
) -> None:
    """A write that may have been applied raises for its caller; one surely refused is resent."""
    responses.post(f"{BASE}/things", **failure)  # type: ignore[arg-type]
    responses.post(f"{BASE}/things", json={"ok": True})
    client = _client([])
    if retried:
        assert client.request("POST", "/things", json_body={}, resend=False) == {"ok": True}
    else:
        with pytest.raises(RetriableError):
            client.request("POST", "/things", json_body={}, resend=False)
    assert client.calls == (2 if retried else 1)
