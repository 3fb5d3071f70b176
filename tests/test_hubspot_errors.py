"""HubSpot failures: rate limits, server errors, bad bodies, refused tokens, malformed records."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
import responses

from connectors.hubspot import DailyLimitError
from connectors.hubspot.options import HubSpotOptions
from sync.pull import PullError
from sync.store import Store
from tests.fixtures.hubspot.fake_hubspot import (
    DROPPED,
    T0,
    FakeHubSpot,
    Reply,
    rate_limited,
    server_error,
)
from tests.fixtures.hubspot.harness import TOKEN, FakeClock, connector, ids, pull_into
from tests.test_hubspot_full_sync import populate

DEALS = "/crm/v3/objects/deals"
CONTACTS_SEARCH = "/crm/v3/objects/contacts/search"


def store_is_empty(db_path: Path) -> bool:
    with Store.open(db_path) as store:
        return not any(store.counts().values()) and not store.cursors("hubspot")


@pytest.mark.parametrize(
    ("reply", "wait"),
    [
        (rate_limited("TEN_SECONDLY_ROLLING", retry_after="3"), 3.0),
        (rate_limited("TEN_SECONDLY_ROLLING"), 10.0),
        (rate_limited("SECONDLY"), 1.0),
        (Reply(429, {"status": "error", "message": "You have reached your secondly limit."}), 1.0),
    ],
    ids=["retry-after", "ten-secondly-policy", "secondly-policy", "secondly-message"],
)
@responses.activate
def test_429_waits_as_retry_after_or_the_named_policy_says(
    tmp_path: Path, reply: Reply, wait: float
) -> None:
    """A 429 is retried after Retry-After, else after the window its policy names."""
    fake = FakeHubSpot.account()
    fake.script("GET", DEALS, reply)
    fake.register()
    clock = FakeClock()
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector(clock=clock))
    assert wait in clock.slept
    assert len(ids(tmp_path / "store.db", "deals")) == 6


@responses.activate
def test_daily_limit_stops_cleanly_and_keeps_the_cursors(tmp_path: Path) -> None:
    """The daily limit is not waited out: the pull stops, says why, and resumes next time."""
    fake = FakeHubSpot.account()
    fake.register()
    db = tmp_path / "store.db"
    with Store.open(db) as store:
        pull_into(store, connector())
        fake.add("contacts", 205, {"email": "e@example.com"}, modified=T0 + timedelta(minutes=5))
        fake.add(
            "deals",
            7,
            {"pipeline": "default", "dealstage": "contractsent"},
            modified=T0 + timedelta(minutes=5),
        )
        fake.script("POST", "/crm/v3/objects/deals/search", rate_limited("DAILY"))
        with pytest.raises(PullError) as caught:
            pull_into(store, connector())
        cursors = store.cursors("hubspot")
        assert ids(db, "contacts")[-1] == "205"
        assert '"mode": "search"' not in cursors["contacts"]
        assert cursors["deals"].startswith('{"mode": "done"')
        pull_into(store, connector())
    error = caught.value.failures["hubspot"]
    assert isinstance(error, DailyLimitError)
    assert "daily API limit" in str(error) and "resumes" in str(error)
    assert "7" in ids(db, "deals")


@responses.activate
def test_a_burst_of_server_errors_is_retried_with_jittered_backoff(tmp_path: Path) -> None:
    """5xx and dropped connections are retried, each wait random below a doubling ceiling."""
    fake = FakeHubSpot.account()
    fake.script("GET", DEALS, server_error(502), server_error(503), DROPPED, server_error(500))
    fake.register()
    clock = FakeClock()
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector(clock=clock))
    waits = [w for w in clock.slept if w not in (1.0, 10.0)]
    assert len(waits) == 4
    assert all(0 <= wait <= 2.0**attempt for attempt, wait in enumerate(waits))
    assert len(ids(tmp_path / "store.db", "deals")) == 6


@responses.activate
def test_a_body_that_is_not_json_is_retried_then_reported(tmp_path: Path) -> None:
    """An HTML 200 is tried six times; then the pull fails naming the call, and nothing leaks."""
    fake = FakeHubSpot.account()
    html = Reply(200, "<html>maintenance</html>", {"Content-Type": "text/html"})
    fake.script("GET", "/crm/v3/pipelines/deals", *[html] * 6)
    fake.register()
    with Store.open(tmp_path / "store.db") as store, pytest.raises(PullError) as caught:
        pull_into(store, connector())
    message = str(caught.value)
    assert "HubSpot GET /crm/v3/pipelines/deals: response is not JSON" in message
    assert TOKEN.get_secret_value() not in message
    assert len([c for c in responses.calls if "pipelines/deals" in (c.request.url or "")]) == 6


@responses.activate
def test_a_refused_token_stops_before_the_store_is_touched(tmp_path: Path) -> None:
    """A 401 names HUBSPOT_TOKEN, never its value, and commits nothing."""
    fake = FakeHubSpot.account()
    fake.token_refused = True
    fake.register()
    with Store.open(tmp_path / "store.db") as store, pytest.raises(PullError) as caught:
        pull_into(store, connector())
    message = str(caught.value)
    assert "HUBSPOT_TOKEN was refused" in message
    assert TOKEN.get_secret_value() not in message
    assert len(responses.calls) == 1
    assert store_is_empty(tmp_path / "store.db")


@pytest.mark.parametrize(
    ("scope", "needed_for"),
    [
        ("tickets", "tickets and ticket pipelines"),
        ("crm.objects.feedback_submissions.read", "NPS survey responses"),
        ("communication_preferences.statuses.batch.read", "email subscription statuses"),
    ],
    ids=["tickets", "feedback", "subscriptions"],
)
@responses.activate
def test_a_missing_scope_is_named_and_nothing_is_stored(
    tmp_path: Path, scope: str, needed_for: str
) -> None:
    """A 403 says which token lacks which scope, for what, and how to fix it."""
    fake = FakeHubSpot.account()
    fake.denied.add(scope)
    fake.register()
    with Store.open(tmp_path / "store.db") as store, pytest.raises(PullError) as caught:
        pull_into(store, connector())
    message = str(caught.value)
    assert f"HUBSPOT_TOKEN lacks the scopes {scope} ({needed_for}" in message
    assert "Scopes tab" in message
    assert store_is_empty(tmp_path / "store.db")


@responses.activate
def test_optional_objects_can_be_turned_off_instead_of_granted(tmp_path: Path) -> None:
    """Without NPS and subscriptions configured, their scopes are neither checked nor needed."""
    fake = FakeHubSpot.account()
    fake.denied.update(
        {"crm.objects.feedback_submissions.read", "communication_preferences.statuses.batch.read"}
    )
    fake.register()
    options = HubSpotOptions(nps_surveys=False, email_subscriptions=False)
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector(options))
        counts = store.counts()
    assert (counts["deals"], counts["surveys"], counts["subscriptions"]) == (6, 0, 0)


@responses.activate
def test_malformed_records_are_skipped_with_a_warning_naming_id_and_field(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A bad date or a non-numeric amount skips that record only; an unknown stage does not."""
    fake = FakeHubSpot.account()
    fake.add("deals", 7, {"pipeline": "default", "dealstage": "contractsent", "amount": "lots"})
    fake.add("deals", 8, {"pipeline": "default", "dealstage": "gone", "amount": "5"})
    fake.add("contacts", 209, {"email": "x@example.com", "churn_date": "next year"})
    fake.register()
    with caplog.at_level(logging.WARNING), Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
    assert "deal '7': amount: 'lots' is not a number; record skipped" in caplog.text
    assert "deal '8': stage_id 'gone' names no stage of pipeline 'default'" in caplog.text
    assert "contact '209': churn_date: 'next year' is not a date or time" in caplog.text
    assert ids(tmp_path / "store.db", "deals") == ["1", "2", "3", "4", "5", "6", "8"]


@responses.activate
def test_search_and_general_requests_are_paced_separately(tmp_path: Path) -> None:
    """Searches stay under 5 a second; other calls follow the limit the headers announce."""
    clock = FakeClock()
    fake = FakeHubSpot.stock()
    fake.clock = clock
    fake.rate_limit = (10, 1000)
    populate(fake, 600)
    fake.register()
    options = HubSpotOptions(email_subscriptions=False)
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector(options, clock=clock))
        first_pull = len(fake.requests_at)
        bulk = T0 + timedelta(minutes=5)
        for i in range(1, 1001):
            fake.add("contacts", i, {"email": f"c{i}@example.com"}, modified=bulk)
        pull_into(store, connector(options, clock=clock))
    pulls = (fake.requests_at[:first_pull], fake.requests_at[first_pull:])
    searches = [t for method, path, t in pulls[1] if path.endswith("/search")]
    assert len(searches) >= 6
    assert max_in_window(searches, 1.0) <= 5
    for requests_at in pulls:
        others = [t for method, path, t in requests_at if not path.endswith("/search")]
        # the first response announces 10 per second; before it the default 100 per 10 s holds
        assert max_in_window(others[1:], 1.0) <= 10


def max_in_window(times: list[float], width: float) -> int:
    """The most requests that fall in any half-open window of `width` seconds."""
    return max((sum(1 for t in times if start <= t < start + width) for start in times), default=0)
