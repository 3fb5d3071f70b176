"""A HubSpot deal is won, lost or open by its stored stage's flags as the KPIs read the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import responses

from sync import run
from sync.config import load_config
from sync.store import Store, changes
from tests.fixtures.hubspot.fake_hubspot import T0, FakeHubSpot
from tests.fixtures.hubspot.harness import TOKEN
from tests.test_hubspot_kpis import CONFIG, overall


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUBSPOT_TOKEN", TOKEN.get_secret_value())
    path = tmp_path / "crmkpi.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def fake() -> Iterator[FakeHubSpot]:
    account = FakeHubSpot.account()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        account.register(mock)
        yield account


def _flag(fake: FakeHubSpot, stage_id: str, closed: str, probability: str) -> None:
    """Re-flag a stage of the default pipeline: its deals are left as they are."""
    (pipeline,) = [p for p in fake.deal_pipelines["results"] if p["id"] == "default"]
    for stage in pipeline["stages"]:
        if stage["id"] == stage_id:
            stage["metadata"] = {"isClosed": closed, "probability": probability}


@pytest.mark.parametrize(
    ("stage_id", "closed", "probability", "win_rate"),
    [
        pytest.param("closedlost", "true", "1.0", 1.0, id="lost-stage-now-won"),
        pytest.param("closedwon", "false", "0.9", 0.5, id="won-stage-reopened"),
    ],
)
def test_a_re_flagged_stage_moves_win_rate_through_the_snapshot(
    config_path: Path,
    fake: FakeHubSpot,
    stage_id: str,
    closed: str,
    probability: str,
    win_rate: float,
) -> None:
    """A stage's flags changed: its deals count by them at the next load (a Renewals deal
    stays won)."""
    config = load_config(config_path)
    with Store.open(config.store_path) as store:
        run.run_pull(config, store, full=False, clock=lambda: T0, session=requests.Session())
        before = overall(run.compute_rows(config, store, now=T0, period="2026-10"))
        _flag(fake, stage_id, closed, probability)
        later = T0 + timedelta(hours=1)
        run.run_pull(config, store, full=False, clock=lambda: later, session=requests.Session())
        assert changes.snapshot(store._db) is not None, "the second load merges the snapshot"
        after = overall(run.compute_rows(config, store, now=later, period="2026-10"))
    assert before["win_rate"].value == pytest.approx(2 / 3)
    assert after["win_rate"].value == pytest.approx(win_rate)
