"""`crmkpi doctor` says which stage history the portal gives: the `dealstage` history, the
`hs_v2_*` timing properties or only the older `hs_date_*` ones (docs/hubspot.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses
from responses import matchers

from sync.doctor import Check, run_checks
from tests.fixtures.hubspot.fake_hubspot import FakeHubSpot
from tests.fixtures.hubspot.harness import TOKEN
from tests.fixtures.hubspot.queries import BASE

NOW = datetime(2026, 11, 1, 6, tzinfo=UTC)
LINE = "source hubspot stage history"
V2 = "hs_v2_date_entered_appointmentscheduled"
OLD = "hs_date_entered_appointmentscheduled"
HISTORY = [
    {
        "value": "appointmentscheduled",
        "timestamp": "2026-10-01T09:00:00.000Z",
        "sourceType": "CRM_UI",
        "sourceId": "userId:28604240",
        "updatedByUserId": 28604240,
    }
]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUBSPOT_TOKEN", TOKEN.get_secret_value())
    path = tmp_path / "crmkpi.toml"
    path.write_text('[connectors.hubspot]\n[xlsx]\npath = "kpis.xlsx"\n', encoding="utf-8")
    return path


def deal(properties: dict[str, str | None], history: bool) -> dict[str, Any]:
    """One listed deal as HubSpot answers: a requested property the portal does not define is
    left out, one it defines is there (null when unset)."""
    shown: dict[str, Any] = {
        "id": "1",
        "properties": {"hs_object_id": "1", "createdate": "2026-10-01T09:00:00.000Z", **properties},
        "createdAt": "2026-10-01T09:00:00.000Z",
        "updatedAt": "2026-10-02T09:00:00.000Z",
        "archived": False,
    }
    if history:
        shown["propertiesWithHistory"] = {"dealstage": HISTORY}
    return shown


def stage_line(config: Path, answer: dict[str, Any]) -> Check:
    """The stage history line when the probe listing one deal gets `answer`."""
    wanted = {"limit": "1", "properties": f"{V2},{OLD}", "propertiesWithHistory": "dealstage"}
    responses.add(
        responses.GET,
        f"{BASE}/crm/v3/objects/deals",
        json=answer,
        match=[matchers.query_param_matcher(wanted)],
    )
    FakeHubSpot.account().register()
    lines = {c.name: c for c in run_checks(config, now=NOW)}
    return lines[LINE]


@pytest.mark.parametrize(
    ("properties", "history", "ok", "detail"),
    [
        (
            {V2: "2026-10-01T09:00:00.000Z", OLD: "2026-10-01T09:00:00.000Z"},
            True,
            True,
            "dealstage history (every visit); timing properties hs_v2_*",
        ),
        (
            {OLD: None},
            True,
            True,
            "dealstage history (every visit); only the older hs_date_* timing properties",
        ),
        (
            {V2: None},
            False,
            True,
            "no dealstage history; timing properties hs_v2_*: each stage's latest visit only",
        ),
        (
            {},
            False,
            False,
            "no dealstage history and no stage timing properties: deals will have no stage history",
        ),
    ],
    ids=["history-and-v2", "history-and-older-only", "v2-without-history", "neither"],
)
@responses.activate
def test_the_line_names_what_the_portal_gives(
    config: Path, properties: dict[str, str | None], history: bool, ok: bool, detail: str
) -> None:
    line = stage_line(config, {"results": [deal(properties, history)]})
    assert (line.ok, line.detail) == (ok, detail)


@responses.activate
def test_a_portal_without_deals_has_nothing_to_look_at(config: Path) -> None:
    line = stage_line(config, {"results": []})
    assert (line.ok, line.detail) == (True, "no deal yet: nothing to look at")


@responses.activate
def test_without_the_deals_scope_there_is_no_stage_history_line(config: Path) -> None:
    """The deals scope line already fails; the stage history cannot be judged without it."""
    fake = FakeHubSpot.account()
    fake.denied.add("crm.objects.deals.read")
    fake.register()
    names = [c.name for c in run_checks(config, now=NOW)]
    assert "source hubspot scope crm.objects.deals.read" in names
    assert LINE not in names
