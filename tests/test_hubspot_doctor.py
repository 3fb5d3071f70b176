"""`crmkpi doctor` checks the HubSpot token, HubSpot's reachability and every scope, a line each,
and says which stage history the portal gives: the `dealstage` history, the `hs_v2_*` timing
properties or only the older `hs_date_*` ones (docs/hubspot.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses
from responses import matchers
from typer.testing import CliRunner

from sync.cli import app
from sync.doctor import Check, run_checks
from tests.fixtures.hubspot.fake_hubspot import DROPPED, FakeHubSpot
from tests.fixtures.hubspot.harness import TOKEN
from tests.fixtures.hubspot.queries import BASE

NOW = datetime(2026, 11, 1, 6, tzinfo=UTC)
SCOPES = [
    "crm.objects.owners.read",
    "crm.objects.contacts.read",
    "crm.objects.deals.read",
    "tickets",
    "crm.objects.feedback_submissions.read",
    "communication_preferences.statuses.batch.read",
]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUBSPOT_TOKEN", TOKEN.get_secret_value())
    path = tmp_path / "crmkpi.toml"
    path.write_text('[connectors.hubspot]\n[xlsx]\npath = "kpis.xlsx"\n', encoding="utf-8")
    return path


def hubspot_lines(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks if c.name.startswith("source hubspot")}


@responses.activate
def test_a_good_token_gets_a_line_for_reachability_the_token_and_each_scope(config: Path) -> None:
    """Every check passes and says what it found; the pacing follows the announced limit."""
    fake = FakeHubSpot.account()
    fake.rate_limit = (190, 10_000)
    fake.register()
    lines = hubspot_lines(run_checks(config, now=NOW))
    assert list(lines) == [
        "source hubspot api",
        "source hubspot token",
        *(f"source hubspot scope {scope}" for scope in SCOPES),
        "source hubspot stage history",
    ]
    assert all(line.ok for line in lines.values())
    assert (
        "pacing at 152 requests per 10 s (HubSpot allows 190)" in lines["source hubspot api"].detail
    )
    assert lines["source hubspot scope tickets"].detail == "reads tickets and ticket pipelines"
    # the scope probes, then the deal pipelines and one deal for the stage history line
    assert len(responses.calls) == len(SCOPES) + 2


@responses.activate
def test_a_missing_scope_fails_its_own_line_with_the_fix(config: Path) -> None:
    """Only the missing scope's line fails; its fix names the scope and the optional switch."""
    fake = FakeHubSpot.account()
    fake.denied.add("crm.objects.feedback_submissions.read")
    fake.register()
    lines = hubspot_lines(run_checks(config, now=NOW))
    failed = [line for line in lines.values() if not line.ok]
    assert [line.name for line in failed] == [
        "source hubspot scope crm.objects.feedback_submissions.read"
    ]
    assert "HUBSPOT_TOKEN lacks crm.objects.feedback_submissions.read" in failed[0].detail
    assert "nps_surveys = false" in failed[0].fix


@responses.activate
def test_a_refused_token_fails_the_token_line(config: Path) -> None:
    """A 401 is reported on the token line, without the token's value."""
    fake = FakeHubSpot.account()
    fake.token_refused = True
    fake.register()
    lines = hubspot_lines(run_checks(config, now=NOW))
    assert list(lines) == ["source hubspot token"]
    assert not lines["source hubspot token"].ok
    assert "HUBSPOT_TOKEN was refused" in lines["source hubspot token"].detail
    assert TOKEN.get_secret_value() not in lines["source hubspot token"].detail


@responses.activate
def test_unreachable_hubspot_fails_the_api_line(config: Path) -> None:
    """A dropped connection is one failing line that points at the network."""
    fake = FakeHubSpot.account()
    fake.script("GET", "/crm/v3/owners", DROPPED)
    fake.register()
    lines = hubspot_lines(run_checks(config, now=NOW))
    assert list(lines) == ["source hubspot api"]
    assert "connection failed" in lines["source hubspot api"].detail
    assert "HTTPS_PROXY" in lines["source hubspot api"].fix


def test_no_token_fails_without_calling_hubspot(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without HUBSPOT_TOKEN the doctor says so and how to set it."""
    monkeypatch.delenv("HUBSPOT_TOKEN")
    lines = hubspot_lines(run_checks(config, now=NOW))
    assert [(c.name, c.ok, c.detail) for c in lines.values()] == [
        ("source hubspot token", False, "HUBSPOT_TOKEN is not set")
    ]


@responses.activate
def test_the_doctor_command_prints_one_line_per_check(config: Path) -> None:
    """The command's output has a line per HubSpot check and exits 1 when one fails."""
    fake = FakeHubSpot.account()
    fake.denied.add("tickets")
    fake.register()
    result = CliRunner().invoke(app, ["--config", str(config), "doctor"])
    assert result.exit_code == 1
    assert "ok   source hubspot token: HUBSPOT_TOKEN is accepted" in result.output
    assert "FAIL source hubspot scope tickets:" in result.output
    assert "fix: add tickets on the Scopes tab of the private app" in result.output


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
