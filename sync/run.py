"""The job: pull the sources into the store, compute the KPIs, publish them.

The CLI's one-off commands and the daemon call these same functions, so the two paths never
drift. Each command is recorded in the store's `runs` table with its outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from connectors.base import Connector
from connectors.clock import Clock
from connectors.http import Pacers
from connectors.source import MissingToken, Source, SourceContext, Tokens
from kpis.dataset import Dataset
from kpis.engine import compute
from kpis.memory.as_of import as_of as memory_as_of
from kpis.memory.attribution import attributed
from kpis.periods import Period, parse_period, recent_periods
from kpis.reports.forecast import Forecast, forecast
from kpis.results import ResultRow
from kpis.settings import KpiSettings, MonthlySpend
from sync.config import Config, ConfigError
from sync.notices import Notices, collected
from sync.outputs import INPUTS, merge_spend, prepare, read_spend, read_tab, workbook, write_xlsx
from sync.outputs.sheets import SheetsApi, sheet_spend
from sync.outputs.sheets import connect as connect_sheet
from sync.outputs.sheets import publish as publish_sheet
from sync.pull import ProgressCallback, PullReport, pull
from sync.secrets import load_secrets
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


def source_context(
    config: Config,
    *,
    now: datetime,
    secrets: Tokens,
    session: requests.Session,
    store: Store | None = None,
    pacers: Pacers | None = None,
) -> SourceContext:
    """What the sources of `config` are built with: the run's session, store and secrets, the
    reporting time zone and the config's folder."""
    return SourceContext(
        now=now,
        secrets=secrets,
        session=session,
        zone=config.reporting.zone,
        base_dir=config.base_dir,
        store=store,
        pacers=pacers or Pacers(),
    )


def build_connectors(config: Config, context: SourceContext) -> list[Connector]:
    """The configured sources, in the registry's order (`connectors/registry.py`)."""
    return [connector for _, connector in _built(config, context)]


def _built(config: Config, context: SourceContext) -> list[tuple[Source[Any, Any], Connector]]:
    built: list[tuple[Source[Any, Any], Connector]] = []
    for source, settings in config.connectors.configured():
        try:
            built.append((source, source.build(settings, context)))
        except MissingToken as exc:
            raise ConfigError(f"connectors.{source.key}: {exc}") from None
    return built


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
    context = source_context(
        config,
        now=clock(),
        secrets=load_secrets(config.base_dir),
        session=session or requests.Session(),
        store=store,
        pacers=pacers,
    )
    built = _built(config, context)
    if not built:
        raise ConfigError(f"connectors: no source is configured; {config.connectors.how_to_add()}")
    for source, connector in built:
        if source.before_pull is not None:
            source.before_pull(connector)
    connectors = [connector for _, connector in built]
    return pull(store, connectors, full=full, now=clock, progress=progress)


def kpi_settings(
    config: Config, sheet: SheetsApi | None = None, now: datetime | None = None
) -> KpiSettings:
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
    return config.kpi_settings(spend=merge_spend(config.monthly_spend(), typed), now=now)


def store_data(config: Config, store: Store, *, as_of: datetime | None = None) -> Dataset:
    """What the KPIs, goals and reports of a run read: the configured sources' records (of the
    contacts, the customers), as the store knew them at `as_of` when given
    (`kpis.memory.as_of`), with each closed deal's owner as `reporting.attribute_to` says
    (`kpis.memory.attribution`).

    As of an instant before a source's versions are recorded, its deals' states are
    reconstructed from the first recorded ones (`kpis.memory.timeline`): a warning says so.
    """
    data = store.load_dataset(contacts="customers", sources=config.connectors.names)
    if as_of is None:
        return attributed(data, config.reporting.attribute_to)
    for source, since in reconstructed_since(data, as_of).items():
        logger.warning(
            "as of %s, the deals of %r are reconstructed: the store records their versions "
            "only since %s; before then a deal is in its first recorded state (its stage, "
            "amount and owner), open until its close date, unless the CRM gave its history",
            as_of.isoformat(),
            source,
            since.isoformat(),
        )
    return attributed(memory_as_of(data, as_of), config.reporting.attribute_to)


def reconstructed_since(data: Dataset, instant: datetime) -> dict[str, datetime]:
    """The sources whose deal versions the store records only since after `instant`: since
    when, by source."""
    return {source: since for source, since in data.recorded_since.items() if since > instant}


def compute_rows(
    config: Config,
    store: Store,
    *,
    now: datetime,
    period: str | None = None,
    as_of: datetime | None = None,
) -> list[ResultRow]:
    """The KPI rows of `period` (else the configured history) at `now`; with `as_of`, from
    the store as it was then (the command line's `--as-of` gives the same instant for both)."""
    data = store_data(config, store, as_of=as_of)
    return compute(data, report_periods(config, now, period), kpi_settings(config, now=now))


def forecast_report(
    config: Config, store: Store, *, now: datetime, as_of: datetime | None = None
) -> Forecast:
    """The Forecast tab's report (`sync.outputs.publication.prepare`) at `now`; with `as_of`,
    from the store as it was then."""
    data = store_data(config, store, as_of=as_of)
    return forecast(data, config.kpi_settings(now=now), now)


def run_publish(config: Config, store: Store, *, clock: Clock) -> PublishReport:
    """Compute every configured period, goal and report, and write every configured output."""
    files = [path for path in (config.xlsx_path,) if path is not None]
    if not files and config.sheets is None:
        raise ConfigError("no output is configured; add an [xlsx] or a [sheets] section")
    now = clock()
    sheet = None if config.sheets is None else connect_sheet(config)
    settings = kpi_settings(config, sheet, now)
    data = store_data(config, store)
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
