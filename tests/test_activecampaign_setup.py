"""ActiveCampaign as users set it up: the config section, `crmkpi sync`, `crmkpi doctor`, KPIs."""

from __future__ import annotations

import json
import logging
import re
import shutil
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import responses
from pydantic import SecretStr
from typer.testing import CliRunner

from connectors.activecampaign import ActiveCampaignConnector
from connectors.activecampaign.context import store_lookup
from connectors.files import FilesConnector
from kpis.engine import compute
from kpis.periods import parse_period
from kpis.settings import KpiSettings
from sync.cli import app
from sync.config import ConfigError, parse_config
from sync.doctor import run_checks
from sync.pull import pull
from sync.run import build_connectors, source_context
from sync.secrets import Secrets
from sync.store import Store
from tests.fixtures.activecampaign.fake import BASE, NOW, TOKEN, FakeAccount, connector

EXPORT = Path(__file__).resolve().parent / "fixtures" / "cli_export"
CONFIG = f"""
[reporting]
timezone = "Europe/Berlin"
currency = "EUR"
[currency.rates]
USD = 0.92
[connectors.activecampaign]
base_url = "{BASE}/"
lost_reason_field = "Lost Reason"
campaign_field = ""
upsell_pipelines = ["Expansion"]
[xlsx]
path = "kpis.xlsx"
"""
SERVICE_KPIS = ("nps", "time_to_resolution_hours", "time_to_resolution_hours_median")

runner = CliRunner()


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """The CLI installs a log handler on the captured stderr; it goes when the test ends."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def account() -> Iterator[FakeAccount]:
    fake = FakeAccount.from_fixtures()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.register(mock)
        yield fake


def _setup(tmp_path: Path, key: str | None = TOKEN, config: str = CONFIG) -> Path:
    path = tmp_path / "crmkpi.toml"
    path.write_text(config, encoding="utf-8")
    if key is not None:
        (tmp_path / ".env").write_text(f"ACTIVECAMPAIGN_API_TOKEN={key}\n", encoding="utf-8")
    return path


def _section(**changes: Any) -> dict[str, Any]:
    return {"connectors": {"activecampaign": {"base_url": BASE, **changes}}}


def test_the_section_maps_fields_and_takes_the_api_url_as_pasted(tmp_path: Path) -> None:
    """`base_url` loses a trailing `/api/3`; titles and upsell pipelines reach the connector."""
    config = parse_config(
        _section(base_url=f"{BASE}/api/3/", upsell_pipelines=["Expansion"], campaign_field=""),
        tmp_path / "crmkpi.toml",
    )
    section = config.connectors.activecampaign
    assert section is not None
    assert section.base_url == BASE
    fields = section.field_map()
    assert (fields.lost_reason, fields.campaign, fields.upsell_pipelines) == (
        "Lost Reason",
        None,
        ("Expansion",),
    )
    assert section.sync_options(config.reporting.zone).timezone == config.reporting.zone


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"base_url": "http://acme.api-us1.com"}, "connectors.activecampaign.base_url: .*https"),
        ({"upsell_field": "Deal Type"}, "upsell_field and upsell_values go together"),
        ({"timezone": "Mars/Olympus"}, "connectors.activecampaign.timezone: .*IANA"),
        ({"lost_reason": "Why"}, "connectors.activecampaign.lost_reason: is not a known setting"),
    ],
    ids=["plain-http", "upsell-field-alone", "bad-zone", "unknown-key"],
)
def test_a_bad_section_is_refused_naming_the_key(
    tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    """Each mistake in the section is refused before anything runs, with the key and why."""
    with pytest.raises(ConfigError, match=message):
        parse_config(_section(**changes), tmp_path / "crmkpi.toml")


def test_a_missing_key_is_a_config_error_naming_the_variable(tmp_path: Path) -> None:
    """Without ACTIVECAMPAIGN_API_TOKEN the source cannot be built, and the message says so."""
    config = parse_config(_section(), tmp_path / "crmkpi.toml")
    context = source_context(config, now=NOW, secrets=Secrets(), session=requests.Session())
    with pytest.raises(ConfigError, match="ACTIVECAMPAIGN_API_TOKEN is not set"):
        build_connectors(config, context)


def test_the_configured_source_is_built_with_its_name_and_key(tmp_path: Path) -> None:
    """The key comes from the run's secrets; the connector carries the section's name."""
    config = parse_config(_section(name="ac-eu"), tmp_path / "crmkpi.toml")
    secrets = Secrets({"ACTIVECAMPAIGN_API_TOKEN": SecretStr(TOKEN)})
    context = source_context(config, now=NOW, secrets=secrets, session=requests.Session())
    (built,) = build_connectors(config, context)
    assert isinstance(built, ActiveCampaignConnector)
    assert built.name == "ac-eu"
    assert TOKEN not in repr(built.client)


def _kpis(config: Path, period: str) -> dict[str, Any]:
    result = runner.invoke(
        app, ["--config", str(config), "kpis", "--period", period, "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    return {row["kpi"]: row["value"] for row in rows if row["segment_by"] == "all"}


def test_crmkpi_sync_fills_the_store_and_the_kpis(tmp_path: Path, account: FakeAccount) -> None:
    """`crmkpi sync` pulls the account and publishes; tickets and NPS have no data, not zero."""
    config = _setup(tmp_path)
    result = runner.invoke(app, ["--config", str(config), "sync"])
    assert result.exit_code == 0, result.stderr
    assert "activecampaign:" in result.stdout
    assert (tmp_path / "kpis.xlsx").exists()
    march = _kpis(config, "2026-03")
    assert march["win_rate"] == 1.0
    assert march["sales_cycle_days"] == pytest.approx(47.19, abs=0.01)
    assert all(march[kpi] is None for kpi in (*SERVICE_KPIS, "followups_per_ticket"))


@pytest.mark.parametrize(
    ("key", "reply", "message"),
    [
        ("not-a-key", {"status": 403, "json": {"message": "Forbidden"}}, "refused the API key"),
        (TOKEN, {"status": 404, "body": "<html>Not Found</html>"}, "not an ActiveCampaign API URL"),
    ],
    ids=["wrong-key", "wrong-url"],
)
def test_a_wrong_key_or_url_stops_the_pull_in_one_line_before_the_store(
    tmp_path: Path, key: str, reply: dict[str, Any], message: str
) -> None:
    """A refused key or a URL that is no API fails the pull with one line; nothing is stored."""
    config = _setup(tmp_path, key=key)
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/api/3/users/me", **reply)
        result = runner.invoke(app, ["--config", str(config), "pull"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert key not in result.stderr
    with Store.open(tmp_path / "crmkpi.db") as store:
        assert sum(store.counts().values()) == 0
        assert store.cursors("activecampaign") == {}


def test_beside_a_csv_export_the_service_kpis_get_their_data(
    tmp_path: Path, account: FakeAccount
) -> None:
    """With tickets and NPS answers from a CSV export in the same store, every KPI has data."""
    export = tmp_path / "export"
    export.mkdir()
    for name in ("tickets.csv", "surveys.csv", "owners.csv"):
        shutil.copy(EXPORT / name, export / name)
    with Store.open(tmp_path / "store.db") as store:
        sources = [
            FilesConnector(export),
            connector(lookup=store_lookup(store, "activecampaign")),
        ]
        report = pull(store, sources, full=False, now=lambda: NOW)
        data = store.load_dataset()
    assert {r.source for r in report.sources} == {"files", "activecampaign"}
    utc = ZoneInfo("UTC")
    periods = [parse_period("2026-10", utc), parse_period("2026-03", utc)]
    rows = compute(data, periods, KpiSettings(rates={"USD": Decimal("0.92")}))
    value = {(r.kpi, r.period.label): r.value for r in rows if r.segment_by == "all"}
    assert all(value[(kpi, "2026-10")] is not None for kpi in SERVICE_KPIS)
    assert value[("win_rate", "2026-03")] == 1.0


def test_doctor_checks_the_url_the_key_and_the_fields(tmp_path: Path, account: FakeAccount) -> None:
    """`crmkpi doctor` asks `users/me` and names the user; mapped fields that exist are ok."""
    checks = run_checks(_setup(tmp_path), now=datetime(2026, 11, 27, tzinfo=UTC))
    mine = {c.name: c for c in checks if c.name.startswith("source activecampaign")}
    assert mine["source activecampaign"].ok
    assert "accepts the API key of ada@acme.example" in mine["source activecampaign"].detail
    assert mine["source activecampaign fields"].detail == "every mapped custom field exists"
    assert account.requests[0][0] == "/users/me"


@pytest.mark.parametrize(
    ("key", "detail"),
    [(None, "ACTIVECAMPAIGN_API_TOKEN is not set"), ("not-a-key", "refused the API key")],
    ids=["no-key", "wrong-key"],
)
def test_doctor_says_how_to_fix_a_key(
    tmp_path: Path, account: FakeAccount, key: str | None, detail: str
) -> None:
    """A missing or refused key is a failed check, with where to find the right one."""
    checks = run_checks(_setup(tmp_path, key=key), now=datetime(2026, 11, 27, tzinfo=UTC))
    (check,) = [c for c in checks if c.name == "source activecampaign"]
    assert not check.ok
    assert detail in check.detail
    assert "Settings > Developer" in check.fix


def test_the_example_configs_section_is_valid_once_uncommented(tmp_path: Path) -> None:
    """The commented `[connectors.activecampaign]` of config.example.toml parses as written."""
    text = (Path(__file__).resolve().parents[1] / "config.example.toml").read_text()
    block = text[text.index("# [connectors.activecampaign]") :].split("\n\n")[0]
    settings = re.findall(r"^# ([a-z_\[].*)$", block, flags=re.MULTILINE)
    config = parse_config(tomllib.loads("\n".join(settings)), tmp_path / "crmkpi.toml")
    section = config.connectors.activecampaign
    assert section is not None
    assert section.field_map().is_upsell("Expansion", None)
