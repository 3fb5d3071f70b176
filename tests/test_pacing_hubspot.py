"""HubSpot's pacing: the `X-HubSpot-RateLimit-*` headers followed, with headroom."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import requests
import responses
from pydantic import SecretStr

from connectors.http import Pacers
from connectors.hubspot.client import HubSpotApi
from tests.fakes import FakeClock

BASE = "https://api.hubapi.test"
TOKEN = SecretStr("pat-na1-11111111-2222-3333-4444-555555555555")
DEALS = "/crm/v3/objects/deals"
SEARCH = "/crm/v3/objects/deals/search"


def _api(clock: FakeClock, pacers: Pacers | None = None, token: SecretStr = TOKEN) -> HubSpotApi:
    return HubSpotApi(
        token, requests.Session(), base_url=BASE, sleep=clock.sleep, clock=clock, pacers=pacers
    )


def _timed(clock: FakeClock, method: str, path: str, headers: dict[str, str]) -> list[float]:
    """Answer `method path` with `headers`; the fake clock's time of each request."""
    sent: list[float] = []

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        sent.append(clock.now)
        return 200, dict(headers), json.dumps({"results": []})

    responses.add_callback(method, f"{BASE}{path}", callback=answer)
    return sent


def _most_in(times: list[float], width: float) -> int:
    return max(sum(1 for t in times if start <= t < start + width) for start in times)


@pytest.mark.parametrize(
    ("headers", "most"),
    [
        (
            {
                "X-HubSpot-RateLimit-Max": "190",
                "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            },
            152,
        ),
        ({"X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Interval-Milliseconds": "x"}, 80),
        ({"X-HubSpot-RateLimit-Max": "-5", "X-HubSpot-RateLimit-Interval-Milliseconds": "0"}, 80),
        ({}, 80),
    ],
    ids=["professional-190", "garbage-interval", "garbage-limit", "absent"],
)
@responses.activate
def test_the_announced_burst_limit_is_followed_with_headroom(
    headers: dict[str, str], most: int
) -> None:
    """190 per 10 s announced: 152 in any 10 s; headers missing or garbled: 80 of the 100."""
    clock = FakeClock()
    sent = _timed(clock, responses.GET, DEALS, headers)
    api = _api(clock)
    for _ in range(400):
        api.get(DEALS)
    assert _most_in(sent[1:], 10.0) == most


@responses.activate
def test_a_window_someone_else_spent_holds_the_next_request() -> None:
    """`-Remaining: 0` after one request of ours: the rest of the 100 were another app's or
    run's, so the next request waits until they have left the window."""
    clock = FakeClock()
    headers = {
        "X-HubSpot-RateLimit-Max": "100",
        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        "X-HubSpot-RateLimit-Remaining": "0",
    }
    sent = _timed(clock, responses.GET, DEALS, headers)
    api = _api(clock)
    api.get(DEALS)
    api.get(DEALS)
    assert sent[1] - sent[0] >= 10.0


@responses.activate
def test_headers_on_a_search_answer_leave_the_general_pacer_alone() -> None:
    """Search is a bucket of its own: a search answer's headers do not pace other calls."""
    clock = FakeClock()
    _timed(clock, responses.POST, SEARCH, {"X-HubSpot-RateLimit-Remaining": "0"})
    api = _api(clock)
    api.search("deals", {"limit": 200})
    assert (api.pacer.limit, api.pacer.interval) == (100, 10.0)
    sent = _timed(clock, responses.GET, DEALS, {})
    api.get(DEALS)
    assert sent == [0.0]


@responses.activate
def test_searches_are_paced_with_headroom_below_five_a_second() -> None:
    """Searches send no limit headers; they keep to 4 in any second."""
    clock = FakeClock()
    sent = _timed(clock, responses.POST, SEARCH, {})
    api = _api(clock)
    for _ in range(20):
        api.search("deals", {"limit": 200})
    assert _most_in(sent, 1.0) == 4


@responses.activate
def test_a_day_running_short_of_calls_is_warned_about_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Under 1 % of the daily calls left: one warning with the counts, never the token."""
    clock = FakeClock()
    headers = {"X-HubSpot-RateLimit-Daily": "250000", "X-HubSpot-RateLimit-Daily-Remaining": "900"}
    _timed(clock, responses.GET, DEALS, headers)
    api = _api(clock)
    with caplog.at_level(logging.WARNING, logger="connectors.hubspot.client"):
        for _ in range(3):
            api.get(DEALS)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "900 of the private app's 250,000 API calls a day are left" in warning
    assert TOKEN.get_secret_value() not in caplog.text


@pytest.mark.parametrize("left", ["200000", "lots", ""], ids=["plenty", "garbage", "empty"])
@responses.activate
def test_a_day_with_calls_to_spare_or_an_unreadable_count_warns_nothing(
    caplog: pytest.LogCaptureFixture, left: str
) -> None:
    """Plenty left, or a count that is no number: no warning."""
    clock = FakeClock()
    headers = {"X-HubSpot-RateLimit-Daily": "250000", "X-HubSpot-RateLimit-Daily-Remaining": left}
    _timed(clock, responses.GET, DEALS, headers)
    with caplog.at_level(logging.WARNING, logger="connectors.hubspot.client"):
        _api(clock).get(DEALS)
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


@responses.activate
def test_clients_of_one_token_share_pacers_and_other_tokens_do_not() -> None:
    """Two runs with one registry pace one token's requests as one; another token (another
    private app) has a window of its own."""
    clock = FakeClock()
    pacers = Pacers(clock=clock, sleep=clock.sleep)
    first, again = _api(clock, pacers), _api(clock, pacers)
    other = _api(clock, pacers, SecretStr("pat-na1-99999999-2222-3333-4444-555555555555"))
    assert again.pacer is first.pacer and again.search_pacer is first.search_pacer
    assert other.pacer is not first.pacer
    assert TOKEN.get_secret_value() not in repr(pacers)
