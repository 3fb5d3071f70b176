"""A first HubSpot pull lists every object 100 a page (deals 50, with their stage history),
with few calls and short URLs."""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import responses

from connectors.hubspot.endpoints import MAX_PROPERTIES_CHARS
from sync.store import Store
from tests.fixtures.hubspot.fake_hubspot import T0, FakeHubSpot
from tests.fixtures.hubspot.harness import connector, ids, pull_into

# 6 scope checks, active and archived owners, deal and ticket pipelines
CONSTANT_CALLS = 10
OBJECT_TABLES = ("contacts", "deals", "tickets", "surveys")


def populate(fake: FakeHubSpot, n: int) -> None:
    """`n` contacts (with email), deals, tickets and NPS answers, all valid."""
    modified = T0 - timedelta(days=2)
    for i in range(1, n + 1):
        fake.add("contacts", i, {"email": f"c{i}@example.com"}, modified=modified)
        fake.add(
            "deals",
            i,
            {"pipeline": "default", "dealstage": "appointmentscheduled", "amount": "10"},
            modified=modified,
        )
        fake.add("tickets", i, {"hs_pipeline": "0", "hs_pipeline_stage": "1"}, modified=modified)
        fake.add(
            "feedback_submissions", i, {"hs_survey_type": "NPS", "hs_value": "9"}, modified=modified
        )


def calls_to(path_part: str, method: str = "GET") -> list[str]:
    return [
        call.request.url
        for call in responses.calls
        if call.request.method == method and path_part in (call.request.url or "")
    ]


@pytest.mark.parametrize("n", [0, 99, 100, 250, 1000], ids=["empty", "99", "100", "250", "1000"])
@responses.activate
def test_full_sync_takes_one_list_call_per_100_objects_and_per_50_deals(
    tmp_path: Path, n: int
) -> None:
    """N of each object cost ceil(N/100) list calls each (deals, read with their history,
    ceil(N/50)), a status batch per contact page, +10."""
    fake = FakeHubSpot.stock()
    populate(fake, n)
    fake.register()
    with Store.open(tmp_path / "store.db") as store:
        report = pull_into(store, connector())
    pages = max(1, math.ceil(n / 100))
    deal_pages = max(1, math.ceil(n / 50))
    status_batches = math.ceil(n / 100)
    assert len(responses.calls) == CONSTANT_CALLS + 3 * pages + deal_pages + status_batches
    for table in OBJECT_TABLES:
        assert len(ids(tmp_path / "store.db", table)) == n
    assert report.source("hubspot").kinds["contact"].pages == pages


@responses.activate
def test_pages_follow_after_until_paging_is_absent(tmp_path: Path) -> None:
    """Deals are listed with limit=50 and their `dealstage` history, each page's `after`,
    until a page has no `paging`."""
    fake = FakeHubSpot.stock()
    populate(fake, 250)
    fake.register()
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
    listed = [url for url in calls_to("/crm/v3/objects/deals?") if "archived=false" in url]
    assert all("limit=50&" in url and "propertiesWithHistory=dealstage" in url for url in listed)
    assert len(listed) == 5
    assert "after=" not in listed[0]
    assert all("after=" in url for url in listed[1:])
    assert ids(tmp_path / "store.db", "deals") == [str(i) for i in range(1, 251)]


def big_pipeline(stages: int) -> dict[str, object]:
    """A deal pipeline with many stages, so the stage-timing properties overflow a URL."""
    rows = [
        {
            "id": f"9{i:07d}",
            "label": f"Step {i}",
            "displayOrder": i,
            "metadata": {"isClosed": "false", "probability": "0.5"},
        }
        for i in range(stages)
    ]
    rows.append(
        {
            "id": "99999999",
            "label": "Done",
            "displayOrder": stages,
            "metadata": {"isClosed": "true", "probability": "1.0"},
        }
    )
    return {"id": "777", "label": "Long process", "displayOrder": 2, "stages": rows}


@responses.activate
def test_long_property_lists_move_to_a_batch_read_and_urls_stay_short(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Stage-timing properties that do not fit the URL are read by POST; a 207 keeps the rest."""
    fake = FakeHubSpot.stock()
    fake.deal_pipelines["results"].append(big_pipeline(60))
    props = {
        "pipeline": "777",
        "dealstage": "90000003",
        "hs_v2_date_entered_90000059": "2026-10-01",
    }
    for i in range(1, 151):
        fake.add("deals", i, props)
    fake.register()
    # deal 5 is deleted between the list page and the batch read: HubSpot answers 207
    fake.vanished.add("5")
    with caplog.at_level(logging.WARNING), Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
        deals = {deal.id: deal for deal in store.load_dataset().deals}
    listed = calls_to("/crm/v3/objects/deals?")
    # beside `properties`: limit, archived, associations, after and the properties read with
    # their history (about 170 characters)
    assert all(len(urlsplit(url).query) < MAX_PROPERTIES_CHARS + 400 for url in listed)
    # one batch read per list page of 50
    assert len(calls_to("/crm/v3/objects/deals/batch/read", "POST")) == 3
    assert len(deals) == 150
    assert [v.stage_id for v in deals["6"].stage_history] == ["90000059"]
    assert deals["5"].stage_history == ()
    assert "Could not get some deals" in caplog.text


@responses.activate
def test_a_full_pass_marks_what_is_gone_from_the_account_deleted(tmp_path: Path) -> None:
    """Records stored earlier but no longer listed (purged, merged) are marked deleted by --full."""
    fake = FakeHubSpot.account()
    fake.register()
    with Store.open(tmp_path / "store.db") as store:
        pull_into(store, connector())
        del fake.objects["deals"]["4"]
        del fake.objects["contacts"]["204"]
        pull_into(store, connector(), full=True)
    assert ids(tmp_path / "store.db", "deals", deleted=True) == ["4"]
    assert ids(tmp_path / "store.db", "contacts", deleted=True) == ["204"]
    assert ids(tmp_path / "store.db", "owners") == ["101", "102", "103"]
