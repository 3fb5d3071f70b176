"""The ActiveCampaign client: pacing, faults, the 403 quirk, paging, the access check."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import responses

from connectors.activecampaign.client import AccessError, AccountClient, connect
from connectors.http import AuthError, FatalError, Pacers, RetriableError
from tests.fixtures.activecampaign.fake import BASE, TOKEN, FakeClock

API = f"{BASE}/api/3"
ME = {"user": {"id": "1", "username": "ada", "email": "ada@acme.example"}}


def _client(clock: FakeClock | None = None, *, token: str = TOKEN, **kw: Any) -> AccountClient:
    tick = clock or FakeClock()
    return connect(BASE, token, requests.Session(), sleep=tick.sleep, clock=tick, **kw)


def _ok(path: str, body: Any) -> None:
    responses.get(f"{API}{path}", json=body)


@responses.activate
def test_every_request_has_the_key_header_and_a_timeout() -> None:
    """The key goes in `Api-Token`, never in the URL, and every request has a timeout."""
    _ok("/users/me", ME)
    _client().get("/users/me")
    request = responses.calls[0].request
    assert request.headers["Api-Token"] == TOKEN
    assert TOKEN not in str(request.url)
    assert responses.calls[0].request.req_kwargs["timeout"] == (10.0, 60.0)


def _timed(clock: FakeClock, headers: dict[str, str] | None = None) -> list[float]:
    """Answer `users/me` with `headers`; the fake clock's time of each request."""
    sent: list[float] = []

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        sent.append(clock.now)
        return 200, dict(headers or {}), json.dumps(ME)

    responses.add_callback(responses.GET, f"{API}/users/me", callback=answer)
    return sent


def _most_in_a_second(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


@responses.activate
def test_requests_are_paced_with_headroom_below_five_a_second() -> None:
    """However fast the answers, no second holds more than four requests: 80 % of five."""
    clock = FakeClock()
    sent = _timed(clock)
    client = _client(clock)
    for _ in range(12):
        client.get("/users/me")
    assert len(sent) == 12
    assert _most_in_a_second(sent) == 4
    assert sent[-1] - sent[0] < 3.0


@pytest.mark.parametrize(
    ("headers", "most"),
    [
        ({"RateLimit-Limit": "10", "RateLimit-Remaining": "9"}, 8),
        ({"RateLimit-Limit": "5", "RateLimit-Remaining": "4"}, 4),
        ({"RateLimit-Limit": "ten", "RateLimit-Remaining": "-1"}, 4),
        ({"RateLimit-Limit": "0"}, 4),
        ({}, 4),
    ],
    ids=["higher-limit", "documented-limit", "garbage", "zero-limit", "absent"],
)
@responses.activate
def test_the_announced_limit_is_followed_and_garbage_ignored(
    headers: dict[str, str], most: int
) -> None:
    """`RateLimit-Limit` sets the pace (with headroom); headers that are no count are ignored."""
    clock = FakeClock()
    sent = _timed(clock, headers)
    client = _client(clock)
    for _ in range(30):
        client.get("/users/me")
    assert _most_in_a_second(sent[1:]) == most


@responses.activate
def test_requests_someone_else_sent_slow_ours_down() -> None:
    """`RateLimit-Remaining: 0` after our first request: the other four in the server's
    window were another integration's, so the next request waits for the window to pass."""
    clock = FakeClock()
    sent = _timed(clock, {"RateLimit-Limit": "5", "RateLimit-Remaining": "0"})
    client = _client(clock)
    client.get("/users/me")
    client.get("/users/me")
    assert sent[1] - sent[0] >= 1.0


@responses.activate
def test_two_clients_of_one_account_share_its_pacer() -> None:
    """Clients built from one registry (two runs of the daemon) pace as one: the second
    client's first request waits for the first client's window."""
    clock = FakeClock()
    sent = _timed(clock)
    pacers = Pacers(clock=clock, sleep=clock.sleep)
    first = connect(BASE, TOKEN, requests.Session(), sleep=clock.sleep, pacers=pacers)
    for _ in range(4):
        first.get("/users/me")
    second = connect(BASE, TOKEN, requests.Session(), sleep=clock.sleep, pacers=pacers)
    second.get("/users/me")
    assert sent[4] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("first", "kwargs"),
    [
        ("429", {"status": 429, "headers": {"Retry-After": "30"}, "json": {}}),
        ("503", {"status": 503, "body": "Service Unavailable"}),
        ("500", {"status": 500, "json": {"message": "oops"}}),
        ("empty-200", {"status": 200, "body": b""}),
        ("truncated-json", {"status": 200, "body": b'{"user": {"id": "1", "email": "ada@'}),
        ("reset", {"body": requests.ConnectionError("Connection reset by peer")}),
        ("cut-off", {"body": requests.exceptions.ChunkedEncodingError("IncompleteRead")}),
        ("timeout", {"body": requests.ReadTimeout("read timed out")}),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
@responses.activate
def test_faults_are_retried_then_the_answer_is_used(first: str, kwargs: dict[str, Any]) -> None:
    """429, 5xx, an empty or cut-off body and a dropped connection are retried, then succeed."""
    responses.get(f"{API}/users/me", **kwargs)
    _ok("/users/me", ME)
    clock = FakeClock()
    assert _client(clock).get("/users/me") == ME
    assert len(responses.calls) == 2
    if first == "429":
        assert clock.slept == [30.0], "Retry-After is honoured"


@responses.activate
def test_a_fault_that_lasts_is_reported_without_secrets() -> None:
    """After the last attempt the error names the call and status, not the key or the query."""
    responses.get(f"{API}/deals", status=503)
    with pytest.raises(RetriableError) as caught:
        _client(attempts=4).get("/deals", {"filters[updated_after]": "2026-11-26"})
    assert str(caught.value) == "ActiveCampaign GET /deals: 503 Service Unavailable"
    assert len(responses.calls) == 4
    assert TOKEN not in repr(caught.value)


@responses.activate
def test_an_intermittent_403_is_retried_once() -> None:
    """A 403 to a valid-looking key is retried once; the retry's answer is used."""
    responses.get(f"{API}/users/me", status=403, json={"message": "Forbidden"})
    _ok("/users/me", ME)
    assert _client().get("/users/me") == ME
    assert len(responses.calls) == 2


@responses.activate
def test_a_second_403_is_a_bad_key() -> None:
    """Two 403s in a row for the same call are an AuthError, after exactly two requests."""
    responses.get(f"{API}/users/me", status=403, json={"message": "Forbidden"})
    with pytest.raises(AuthError, match="403"):
        _client().get("/users/me")
    assert len(responses.calls) == 2


@responses.activate
def test_a_403_to_a_key_that_cannot_be_one_is_not_retried() -> None:
    """A key with a space or quote in it (a bad paste) is refused at the first 403."""
    responses.get(f"{API}/users/me", status=403, json={"message": "Forbidden"})
    with pytest.raises(AuthError):
        _client(token="'not a key'").get("/users/me")
    assert len(responses.calls) == 1


@responses.activate
def test_the_access_check_returns_the_keys_user() -> None:
    """`users/me` answers with the user the key belongs to."""
    _ok("/users/me", ME)
    assert _client().check_access()["email"] == "ada@acme.example"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": 403, "json": {"message": "Forbidden"}}, "refused the API key for https://acme"),
        ({"status": 404, "json": {"message": "Not Found"}}, "is not an ActiveCampaign API URL"),
        ({"status": 200, "body": "<html>Welcome</html>"}, "cannot be reached"),
        ({"status": 200, "json": {"contacts": []}}, "without a user: it is not an ActiveCampaign"),
        ({"status": 402, "json": {"message": "Payment Required"}}, "payment problem"),
        ({"body": requests.ConnectionError("Name or service not known")}, "cannot be reached"),
    ],
    ids=["bad-key", "wrong-path", "web-page", "other-json", "unpaid", "no-such-host"],
)
@responses.activate
def test_a_failed_access_check_says_what_to_fix_in_one_line(
    kwargs: dict[str, Any], message: str
) -> None:
    """A wrong key, URL or account is one line naming the URL and where the right values are."""
    responses.get(f"{API}/users/me", **kwargs)
    with pytest.raises(AccessError, match=message) as caught:
        _client().check_access()
    assert "\n" not in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert len(responses.calls) <= 3, "a wrong URL fails in a few attempts"


def _page(key: str, ids: range, total: Any) -> dict[str, Any]:
    body: dict[str, Any] = {key: [{"id": str(i)} for i in ids]}
    if total is not None:
        body["meta"] = {"total": total}
    return body


@pytest.mark.parametrize("total", ["5", 5, None], ids=["string-total", "number-total", "no-meta"])
@responses.activate
def test_offset_paging_ends_at_the_total_or_a_short_page(total: Any) -> None:
    """Offsets advance by the limit; `meta.total` as a string, a number or missing ends it."""
    responses.get(f"{API}/users", json=_page("users", range(2), total))
    responses.get(f"{API}/users", json=_page("users", range(2, 4), total))
    responses.get(f"{API}/users", json=_page("users", range(4, 5), total))
    pages = list(_client(page_size=2).offset_pages("/users", "users"))
    assert [page.after for page in pages] == [2, 4, 5]
    offsets = [call.request.params["offset"] for call in responses.calls]
    assert offsets == ["0", "2", "4"]
    assert all(call.request.params["limit"] == "2" for call in responses.calls)


@responses.activate
def test_offset_paging_steps_back_when_records_were_deleted_meanwhile() -> None:
    """A total that shrank between pages moves the offset back, so no record is skipped."""
    # deals 0-5; deal 1 is deleted after the first page, so deal 2 moves to offset 1
    responses.get(f"{API}/deals", json=_page("deals", range(2), 6))
    responses.get(f"{API}/deals", json=_page("deals", range(3, 5), 5))
    responses.get(f"{API}/deals", json=_page("deals", range(2, 4), 5))
    responses.get(f"{API}/deals", json=_page("deals", range(4, 6), 5))
    pages = list(_client(page_size=2).offset_pages("/deals", "deals"))
    assert [call.request.params["offset"] for call in responses.calls] == ["0", "2", "1", "3"]
    assert {record["id"] for page in pages for record in page.records} == set("012345")


@responses.activate
def test_a_page_that_comes_back_again_stops_the_paging() -> None:
    """An API ignoring `offset` would loop for ever; the same page twice is an error instead."""
    responses.get(f"{API}/users", json=_page("users", range(2), "9"))
    with pytest.raises(FatalError, match="same page came back"):
        list(_client(page_size=2).offset_pages("/users", "users"))


@responses.activate
def test_keyset_paging_follows_the_last_id() -> None:
    """Contacts are read in id order after the last id seen: `orders[id]=ASC&id_greater=`."""
    responses.get(f"{API}/contacts", json=_page("contacts", range(3, 5), "9"))
    responses.get(f"{API}/contacts", json=_page("contacts", range(8, 9), "9"))
    pages = list(_client(page_size=2).keyset_pages("/contacts", "contacts", after=2))
    assert [page.after for page in pages] == [4, 8]
    params = [call.request.params for call in responses.calls]
    assert [p["id_greater"] for p in params] == ["2", "4"]
    assert all(p["orders[id]"] == "ASC" and "offset" not in p for p in params)


@responses.activate
def test_keyset_paging_refuses_ids_that_do_not_advance() -> None:
    """An API ignoring `id_greater` would loop for ever; an id not after the last is an error."""
    responses.get(f"{API}/contacts", json=_page("contacts", range(1, 3), "9"))
    responses.get(f"{API}/contacts", json=_page("contacts", range(1, 3), "9"))
    with pytest.raises(FatalError, match="ids at or before 2"):
        list(_client(page_size=2).keyset_pages("/contacts", "contacts"))


@responses.activate
def test_a_body_that_is_not_an_object_is_retried() -> None:
    """A 200 whose JSON is a list or a string is no v3 answer: it is retried, then reported."""
    responses.get(f"{API}/users", json=["not", "an", "object"])
    with pytest.raises(RetriableError, match="not a JSON object"):
        _client().get("/users")


def test_the_page_size_is_at_most_the_apis_limit() -> None:
    """More than 100 per page is refused: the API would silently return 100."""
    with pytest.raises(ValueError, match="1 to 100"):
        _client(page_size=250)


@responses.activate
def test_offset_paging_that_comes_back_to_a_position_stops() -> None:
    """A total that shrinks and grows back by turns would send the offset to and fro for ever;
    the second time the same page leads to the same offset, the paging stops."""
    responses.get(f"{API}/deals", json=_page("deals", range(2), 6))
    responses.get(f"{API}/deals", json=_page("deals", range(3, 5), 4))
    responses.get(f"{API}/deals", json=_page("deals", range(2), 6))
    with pytest.raises(FatalError, match=r"GET /deals: .*cursor .* came back"):
        list(_client(page_size=2).offset_pages("/deals", "deals"))
    assert [call.request.params["offset"] for call in responses.calls] == ["0", "2", "0"]
