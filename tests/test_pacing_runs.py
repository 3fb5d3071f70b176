"""One pacer per account across runs: a run's first request waits for the last run's window."""

from __future__ import annotations

from pathlib import Path

import requests
import responses
from pydantic import SecretStr

from connectors.http import Pacers
from connectors.hubspot import HubSpotConnector
from sync import run
from sync.config import Config, load_config
from sync.schedule.daemon import SyncRunner
from sync.secrets import Secrets
from sync.store import Store
from tests.fakes import FakeClock
from tests.fixtures.activecampaign.fake import BASE, NOW, TOKEN, FakeAccount

CONFIG = f"""
[reporting]
timezone = "UTC"
currency = "EUR"
[currency.rates]
USD = 0.92
[connectors.activecampaign]
base_url = "{BASE}"
[xlsx]
path = "kpis.xlsx"
"""


def _config(tmp_path: Path) -> Config:
    path = tmp_path / "crmkpi.toml"
    path.write_text(CONFIG, encoding="utf-8")
    (tmp_path / ".env").write_text(f"ACTIVECAMPAIGN_API_TOKEN={TOKEN}\n", encoding="utf-8")
    return load_config(path)


def _account(clock: FakeClock) -> list[float]:
    """The fake account, answering through `responses`; the clock's time of each request."""
    account = FakeAccount.from_fixtures()
    sent: list[float] = []
    account.before = lambda _path, _params: sent.append(clock.now)
    account.register()
    return sent


def _most_in_a_second(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


@responses.activate
def test_two_pulls_through_one_registry_share_the_accounts_window(tmp_path: Path) -> None:
    """The second pull's first requests wait for the first pull's last second: across both,
    no second holds more than the 4 the headroom allows."""
    config, clock = _config(tmp_path), FakeClock()
    sent = _account(clock)
    pacers = Pacers(clock=clock, sleep=clock.sleep)
    with Store.open(config.store_path) as store:
        run.run_pull(config, store, full=True, clock=lambda: NOW, pacers=pacers)
        first = len(sent)
        run.run_pull(config, store, full=False, clock=lambda: NOW, pacers=pacers)
    assert first >= 8 and len(sent) > first
    # a fresh pacer would send the second pull's first 4 at once, on top of the first's
    assert sent[first + 3] - sent[first] >= 0.5
    assert _most_in_a_second(sent) == 4


@responses.activate
def test_the_daemon_paces_each_account_across_its_runs(tmp_path: Path) -> None:
    """`SyncRunner` keeps its registry for every scheduled run it makes."""
    config, clock = _config(tmp_path), FakeClock()
    sent = _account(clock)
    runner = SyncRunner(config, clock=lambda: NOW, pacers=Pacers(clock=clock, sleep=clock.sleep))
    runner()
    first = len(sent)
    runner()
    with Store.open(config.store_path) as store:
        outcomes = [recorded.outcome for recorded in store.recent_runs(2)]
    assert outcomes == ["ok", "ok"]
    assert sent[first + 3] - sent[first] >= 0.5
    assert _most_in_a_second(sent) == 4


def test_a_hubspot_source_takes_its_pacers_from_the_runs_registry(tmp_path: Path) -> None:
    """`build_connectors` hands the context's registry to HubSpot too: one pacer per token."""
    path = tmp_path / "crmkpi.toml"
    path.write_text("[connectors.hubspot]\n", encoding="utf-8")
    secrets = Secrets({"HUBSPOT_TOKEN": SecretStr("pat-na1-00000000-0000-0000-0000-000000000000")})
    config = load_config(path)
    context = run.source_context(
        config, now=NOW, secrets=secrets, session=requests.Session(), pacers=Pacers()
    )
    (first,) = run.build_connectors(config, context)
    (again,) = run.build_connectors(load_config(path), context)
    assert isinstance(first, HubSpotConnector) and isinstance(again, HubSpotConnector)
    assert again.api.pacer is first.api.pacer
