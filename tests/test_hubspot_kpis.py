"""With `[connectors.hubspot]` configured, a pull fills the store and every KPI is computed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import responses

from kpis.catalog import KPIS
from kpis.results import ResultRow
from sync import run
from sync.config import ConfigError, load_config
from sync.store import Store
from tests.fixtures.hubspot.fake_hubspot import T0, FakeHubSpot
from tests.fixtures.hubspot.harness import TOKEN
from tests.test_hubspot_incremental import NO_CHANGE_CALLS, REREAD_CALLS

CONFIG = """
[reporting]
timezone = "UTC"
currency = "EUR"

[currency.rates]
USD = 0.9

[connectors.hubspot]
upsell_deal_types = ["existingbusiness"]

[xlsx]
path = "kpis.xlsx"

[[spend]]
month = "2026-10"
amount = 1000
"""


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HUBSPOT_TOKEN", TOKEN.get_secret_value())
    path = tmp_path / "crmkpi.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def overall(rows: list[ResultRow]) -> dict[str, ResultRow]:
    return {row.kpi: row for row in rows if row.segment_by == "all"}


@responses.activate
def test_every_kpi_is_computed_from_a_hubspot_account(config_path: Path) -> None:
    """Deals, contacts, subscriptions, tickets and NPS answers feed every KPI of the catalog."""
    FakeHubSpot.account().register()
    config = load_config(config_path)
    with Store.open(config.store_path) as store:
        run.run_pull(config, store, full=False, clock=lambda: T0, session=requests.Session())
        rows = run.compute_rows(config, store, now=T0, period="2026-10")
    values = {kpi: row.value for kpi, row in overall(rows).items()}
    assert set(KPIS) <= {row.kpi for row in rows}
    assert values["win_rate"] == pytest.approx(2 / 3)
    assert values["upsell_rate"] == pytest.approx(0.5)
    assert values["churn_rate"] == pytest.approx(0.5)
    assert values["nps"] == 0
    assert values["customer_acquisition_cost"] == Decimal("1000.00")
    assert values["time_to_resolution_hours"] == pytest.approx(24.0)
    assert values["followups_per_ticket"] == pytest.approx(2.0)
    campaigns = {
        r.segment: r.value for r in rows if r.kpi == "campaign_revenue" and r.segment_by != "all"
    }
    assert campaigns == {"Autumn upsell": Decimal("500.00"), "Webinar": Decimal("1350.00")}
    growth = {r.segment: r.value for r in rows if r.kpi == "email_list_growth_rate"}
    # two subscribed in October; Bo's unsubscribe has no subscribe before it (HubSpot reports
    # only each subscription's latest status), so it changes nobody's state
    assert growth["Newsletter"] == pytest.approx(1.0)
    stages = {r.segment: r.value for r in rows if r.kpi == "stage_duration_days"}
    assert stages["Sales Pipeline / Contract Sent"] == pytest.approx(15.0)
    owners = {r.segment for r in rows if r.kpi == "win_rate" and r.segment_by == "owner"}
    assert owners == {"Ada Lovelace", "Grace Hopper"}
    # no stage of the account had 10 visits left in a year: stuck_deals has no threshold;
    # no deal expected to close in October was pushed past it
    unset = ("stage_duration_days", "stuck_deals", "pipeline_pushed")
    assert all(row.value is not None for kpi, row in overall(rows).items() if kpi not in unset)


@responses.activate
def test_a_second_run_fetches_only_what_changed(config_path: Path) -> None:
    """The next pull searches since the newest change (less the overlap): the new ticket, and
    each stream's newest change read again."""
    fake = FakeHubSpot.account()
    fake.register()
    config = load_config(config_path)
    with Store.open(config.store_path) as store:
        run.run_pull(config, store, full=False, clock=lambda: T0, session=requests.Session())
        fake.add(
            "tickets",
            303,
            {"hs_pipeline": "0", "hs_pipeline_stage": "1"},
            modified=T0 + timedelta(minutes=10),
        )
        start = len(responses.calls)
        later = T0 + timedelta(hours=1)
        report = run.run_pull(
            config, store, full=False, clock=lambda: later, session=requests.Session()
        )
    assert len(responses.calls) - start == NO_CHANGE_CALLS + REREAD_CALLS
    # owners and stages are re-read whole; then the new ticket, and the newest changes again:
    # contacts 202 and 203 (with their 2 subscription events), deal 6, ticket 302
    assert report.source("hubspot").stored == 3 + 10 + 1 + 6


def test_a_missing_token_is_a_configuration_error(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without HUBSPOT_TOKEN the pull refuses to start and says where the token goes."""
    monkeypatch.delenv("HUBSPOT_TOKEN")
    config = load_config(config_path)
    with Store.open(config.store_path) as store, pytest.raises(ConfigError) as caught:
        run.run_pull(config, store, full=False, clock=lambda: T0, session=requests.Session())
    assert "HUBSPOT_TOKEN is not set" in str(caught.value)


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ('company_currency = "euro"', "connectors.hubspot.company_currency"),
        ('campaign_property = ""', "connectors.hubspot.campaign_property"),
        ("search_overlap_minutes = -1", "connectors.hubspot.search_overlap_minutes"),
        ('tocken = "x"', "connectors.hubspot.tocken: is not a known setting"),
    ],
    ids=["currency", "empty-property", "negative-overlap", "typo"],
)
def test_bad_hubspot_settings_are_refused_naming_the_key(
    tmp_path: Path, section: str, expected: str
) -> None:
    """A wrong value in [connectors.hubspot] is a config error naming the key."""
    path = tmp_path / "crmkpi.toml"
    path.write_text(f"[connectors.hubspot]\n{section}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert expected in str(caught.value)


def test_defaults_fit_a_stock_account(tmp_path: Path) -> None:
    """An empty section maps the stock properties and turns every object on."""
    path = tmp_path / "crmkpi.toml"
    path.write_text("[connectors.hubspot]\n", encoding="utf-8")
    section = load_config(path).connectors.hubspot
    assert section is not None
    options = section.options()
    assert options.upsell_deal_types == ("existingbusiness",)
    assert (options.campaign_property, options.followups_property) == (
        "hs_campaign",
        "hs_num_times_contacted",
    )
    assert (options.nps_surveys, options.email_subscriptions) == (True, True)
