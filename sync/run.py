"""The job: pull the sources into the store, compute the KPIs, publish them.

The CLI's one-off commands and the daemon call these same functions, so the two paths never
drift. Each command is recorded in the store's `runs` table with its outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests

from connectors.activecampaign import ActiveCampaignConnector, store_lookup
from connectors.activecampaign import connect as connect_activecampaign
from connectors.base import Connector
from connectors.clock import Clock
from connectors.demo import DemoConnector
from connectors.files import FilesConnector
from connectors.http import Pacers
from connectors.hubspot import HubSpotConnector
from kpis.engine import compute
from kpis.periods import Period, parse_period, recent_periods
from kpis.results import ResultRow
from kpis.settings import KpiSettings, MonthlySpend
from sync.config import Config, ConfigError
from sync.notices import Notices, collected
from sync.outputs import INPUTS, merge_spend, prepare, read_spend, read_tab, workbook, write_xlsx
from sync.outputs.sheets import SheetsApi, sheet_spend
from sync.outputs.sheets import connect as connect_sheet
from sync.outputs.sheets import publish as publish_sheet
from sync.pull import ProgressCallback, PullReport, pull
from sync.secrets import ACTIVECAMPAIGN_API_TOKEN, HUBSPOT_TOKEN, Secrets, load_secrets
from sync.store import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishReport:
    rows: int
    periods: int
    outputs: tuple[Path | str, ...]

    def summary(self) -> str:
        written = ", ".join(str(path) for path in self.outputs)
        return f"published {self.rows:,} KPI rows over {self.periods} periods to {written}"


@dataclass(frozen=True)
class SourceContext:
    """What building a connector may need beyond its config section.

    `session` is the one HTTP session of the run (inject a fake one in tests); `store` lets
    a connector compare what it pulls with what it stored before, read-only; `pacers` paces
    each API account, across runs when the caller keeps it (the daemon does).
    """

    now: datetime
    secrets: Secrets
    session: requests.Session
    store: Store | None = None
    pacers: Pacers = field(default_factory=Pacers)


def build_connectors(config: Config, context: SourceContext) -> list[Connector]:
    """The configured sources; the demo is anchored at today in the reporting time zone."""
    now = context.now
    connectors: list[Connector] = []
    sources = config.connectors
    if sources.demo is not None:
        anchor = sources.demo.anchor or now.astimezone(config.reporting.zone).date()
        connectors.append(
            DemoConnector(
                name=sources.demo.name,
                seed=sources.demo.seed,
                scale=sources.demo.scale,
                anchor=anchor,
            )
        )
    if sources.files is not None:
        connectors.append(
            FilesConnector(
                config.resolve(sources.files.path),
                name=sources.files.name,
                zone=config.reporting.zone,
            )
        )
    if sources.hubspot is not None:
        token = context.secrets.hubspot_token
        if token is None:
            raise ConfigError(
                f"connectors.hubspot: {HUBSPOT_TOKEN} is not set; put the private app's access "
                "token in the environment or in a .env file beside the config"
            )
        hubspot = sources.hubspot
        connectors.append(
            HubSpotConnector(
                token,
                context.session,
                name=hubspot.name,
                options=hubspot.options(),
                clock=lambda: now,
                pacers=context.pacers,
            )
        )
    if sources.activecampaign is not None:
        ac = sources.activecampaign
        key = context.secrets.activecampaign_api_token
        if key is None:
            raise ConfigError(
                f"connectors.activecampaign: {ACTIVECAMPAIGN_API_TOKEN} is not set; put the API "
                "key (Settings > Developer) in the environment or in a .env file beside the config"
            )
        connectors.append(
            ActiveCampaignConnector(
                connect_activecampaign(
                    ac.base_url, key.get_secret_value(), context.session, pacers=context.pacers
                ),
                now=now,
                name=ac.name,
                fields=ac.field_map(),
                options=ac.sync_options(config.reporting.zone),
                lookup=store_lookup(context.store, ac.name),
            )
        )
    return connectors


def report_periods(config: Config, now: datetime, label: str | None = None) -> list[Period]:
    """The periods to compute: the one `label` names, else the history of every grain."""
    zone = config.reporting.zone
    if label is not None:
        return [parse_period(label, zone)]
    periods: list[Period] = []
    for grain in config.reporting.periods:
        periods.extend(recent_periods(grain, now, config.reporting.history_periods, zone))
    return periods


@contextmanager
def recorded(store: Store, command: str, clock: Clock) -> Iterator[Notices]:
    """Record a command in the runs table: ok when the block completes (its message says
    how many warnings were logged meanwhile, and the first), interrupted on Ctrl-C
    (SIGINT), failed with the error.

    Yields the warnings collected so far, for the command to list when it ends.
    """
    run_id = store.start_run(command, started_at=clock())
    with collected() as notices:
        try:
            yield notices
        except KeyboardInterrupt:
            message = "stopped by Ctrl-C (SIGINT)"
            store.finish_run(run_id, finished_at=clock(), outcome="interrupted", message=message)
            raise
        except BaseException as exc:
            message = str(exc) or type(exc).__name__
            store.finish_run(run_id, finished_at=clock(), outcome="failed", message=message)
            raise
    store.finish_run(run_id, finished_at=clock(), outcome="ok", message=notices.headline())


def run_pull(
    config: Config,
    store: Store,
    *,
    full: bool,
    clock: Clock,
    progress: ProgressCallback | None = None,
    session: requests.Session | None = None,
    pacers: Pacers | None = None,
) -> PullReport:
    """Pull every configured source; `pacers` defaults to a fresh registry (one command)."""
    context = SourceContext(
        now=clock(),
        secrets=load_secrets(config.base_dir),
        session=session or requests.Session(),
        store=store,
        pacers=pacers or Pacers(),
    )
    connectors = build_connectors(config, context)
    if not connectors:
        raise ConfigError(
            "connectors: no source is configured; uncomment the section of your CRM "
            "([connectors.hubspot], [connectors.activecampaign] or [connectors.files]), "
            "or [connectors.demo] for the built-in demo"
        )
    for connector in connectors:
        if isinstance(connector, ActiveCampaignConnector):
            # a wrong base_url or API key stops the pull in one line, before the store is touched
            connector.check_access()
    return pull(store, connectors, full=full, now=clock, progress=progress)


def kpi_settings(config: Config, sheet: SheetsApi | None = None) -> KpiSettings:
    """The config's KPI settings, with the spend the team typed into the Inputs tab.

    With a Google Sheet configured its Inputs tab is read too (from `sheet`, the run's open
    spreadsheet, if given) and wins over the .xlsx's for the months both list.
    """
    typed: list[MonthlySpend] = []
    path = config.xlsx_path
    rows = None if path is None else read_tab(path, INPUTS)
    if rows:
        typed, problems = read_spend(rows)
        for problem in problems:
            logger.warning("%s (row left out)", problem)
    if config.sheets is not None:
        typed = merge_spend(typed, sheet_spend(config, sheet))
    return config.kpi_settings(spend=merge_spend(config.monthly_spend(), typed))


def compute_rows(
    config: Config, store: Store, *, now: datetime, period: str | None = None
) -> list[ResultRow]:
    data = store.load_dataset(contacts="customers", sources=config.connectors.names)
    return compute(data, report_periods(config, now, period), kpi_settings(config))


def run_publish(config: Config, store: Store, *, clock: Clock) -> PublishReport:
    """Compute every configured period, goal and report, and write every configured output."""
    files = [path for path in (config.xlsx_path,) if path is not None]
    if not files and config.sheets is None:
        raise ConfigError("no output is configured; add an [xlsx] or a [sheets] section")
    now = clock()
    sheet = None if config.sheets is None else connect_sheet(config)
    settings = kpi_settings(config, sheet)
    data = store.load_dataset(contacts="customers", sources=config.connectors.names)
    content = prepare(config, data, settings, report_periods(config, now), now)
    book = workbook(content)
    outputs: list[Path | str] = []
    for path in files:
        write_xlsx(book, path)
        outputs.append(path)
        logger.info(
            "wrote %d KPI rows and %d goals to %s", len(content.rows), len(content.goals), path
        )
    if sheet is not None:
        published = publish_sheet(sheet, book)
        outputs.append(published.url)
        logger.info(
            "wrote %d tabs, %d cells, to %s in %d requests",
            published.tabs,
            published.cells,
            published.url,
            published.requests,
        )
    periods = {row.period for row in content.rows}
    return PublishReport(rows=len(content.rows), periods=len(periods), outputs=tuple(outputs))


def run_sync(
    config: Config,
    store: Store,
    *,
    full: bool,
    clock: Clock,
    progress: ProgressCallback | None = None,
    pacers: Pacers | None = None,
) -> tuple[PullReport, PublishReport]:
    """Pull then publish: the daemon's job, once."""
    pulled = run_pull(config, store, full=full, clock=clock, progress=progress, pacers=pacers)
    return pulled, run_publish(config, store, clock=clock)
