"""`crmkpi`: the command line. Each command loads the config and calls `sync.run`.

Exit codes: 0 ok, 1 the run failed, 2 bad usage or configuration.
"""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from kpis.money import CurrencyError
from sync import daemon as scheduled
from sync import doctor as doctor_checks
from sync import run
from sync.config import CONFIG_ENV, DEFAULT_CONFIG, Config, ConfigError, config_path, load_config
from sync.lock import AlreadyRunning, holder, lock_path
from sync.pull import ProgressCallback
from sync.starter import starter_config
from sync.status import describe_status
from sync.store import Store
from sync.tidy import KPI_HEADER, NOTE, tidy_record, to_json_value

app = typer.Typer(
    help="Pull your CRM into a local store, compute the KPIs that tell whether it works, "
    "and publish them.",
    no_args_is_help=True,
    add_completion=False,
)

EXIT_FAILED = 1
EXIT_USAGE = 2

logger = logging.getLogger("crmkpi")


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FullOption = Annotated[bool, typer.Option("--full", help="Ignore the cursors: pull everything.")]


@dataclass(frozen=True)
class AppState:
    config_option: Path | None
    verbose: bool


def _now() -> datetime:
    return datetime.now(UTC)


def _setup_logging(verbose: bool, quiet: bool) -> logging.Handler:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler: logging.Handler
    if sys.stderr.isatty():
        handler = RichHandler(console=Console(stderr=True), show_path=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # replace only our own handler, so repeated invocations in one process do not stack them
    handler.set_name("crmkpi")
    root = logging.getLogger()
    for installed in [h for h in root.handlers if h.get_name() == "crmkpi"]:
        root.removeHandler(installed)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            envvar=CONFIG_ENV,
            help=f"Configuration file [default: ./{DEFAULT_CONFIG}].",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every page.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Log warnings only.")] = False,
) -> None:
    handler = _setup_logging(verbose, quiet)
    # the handler writes to this invocation's stderr: detach it when the command ends, so
    # a caller that runs several commands in one process never logs to a closed stream
    ctx.call_on_close(lambda: logging.getLogger().removeHandler(handler))
    ctx.obj = AppState(config_option=config, verbose=verbose)


def _fail(code: int, message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=code)


@contextmanager
def _guarded(state: AppState) -> Iterator[None]:
    """Turn the errors a user can fix into a message and an exit code, never a traceback."""
    try:
        yield
    except (ConfigError, CurrencyError) as exc:
        raise _fail(EXIT_USAGE, f"configuration error: {exc}") from None
    except typer.Exit:
        raise
    except Exception as exc:
        if state.verbose:
            logger.exception("the run failed")
        raise _fail(EXIT_FAILED, f"failed: {exc}") from None


def _config(state: AppState) -> Config:
    return load_config(config_path(state.config_option))


@contextmanager
def _progress() -> Iterator[ProgressCallback | None]:
    """A live progress display on a terminal; elsewhere the pull's log lines say enough."""
    if not sys.stderr.isatty():
        yield None
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        tasks: dict[tuple[str, str], object] = {}

        def update(source: str, stream: str, records: int) -> None:
            key = (source, stream)
            if key not in tasks:
                tasks[key] = bar.add_task("")
            bar.update(tasks[key], description=f"{source} {stream}: {records:,} records")  # type: ignore[arg-type]

        yield update


@app.command()
def init(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    demo: Annotated[
        bool,
        typer.Option("--demo", help="Switch the built-in demo CRM on, to try the tool offline."),
    ] = False,
) -> None:
    """Write a commented configuration file for your CRM to start from."""
    state: AppState = ctx.obj
    target = config_path(state.config_option)
    if target.exists() and not force:
        raise _fail(EXIT_USAGE, f"{target} exists already; pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(starter_config(demo=demo), encoding="utf-8")
    then = (
        "run `crmkpi sync`"
        if demo
        else "uncomment the section of your CRM, then run `crmkpi doctor` and `crmkpi sync`"
    )
    typer.echo(f"wrote {target}; {then}")


@app.command()
def doctor(ctx: typer.Context) -> None:
    """Check the configuration, sources, store and outputs, one line each."""
    state: AppState = ctx.obj
    results = doctor_checks.run_checks(config_path(state.config_option), now=_now())
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        line = f"{mark} {result.name}: {result.detail}"
        if not result.ok and result.fix:
            line += f"\n     fix: {result.fix}"
        typer.echo(line)
    if doctor_checks.config_failed(results):
        raise typer.Exit(code=EXIT_USAGE)
    if not all(result.ok for result in results):
        raise typer.Exit(code=EXIT_FAILED)


@app.command("pull")
def pull_command(
    ctx: typer.Context,
    full: FullOption = False,
) -> None:
    """Sync the configured sources into the local store."""
    state: AppState = ctx.obj
    with _guarded(state):
        config = _config(state)
        with (
            Store.open(config.store_path) as store,
            run.recorded(store, "pull", _now),
            _progress() as progress,
        ):
            report = run.run_pull(config, store, full=full, clock=_now, progress=progress)
        typer.echo(report.summary())


@app.command()
def kpis(
    ctx: typer.Context,
    period: Annotated[
        str | None,
        typer.Option(
            help="2026-10, 2026-Q3, 2026, 2026-W40 or 2026-01-01..2026-03-31 "
            "[default: the configured history of every grain].",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """Compute the KPIs from the store and print them."""
    state: AppState = ctx.obj
    with _guarded(state):
        config = _config(state)
        now = _now()
        try:
            run.report_periods(config, now, period)
        except ValueError as exc:
            raise _fail(EXIT_USAGE, f"--period: {exc}") from None
        with Store.open(config.store_path) as store:
            rows = run.compute_rows(config, store, now=now, period=period)
        records = [
            {key: to_json_value(value) for key, value in tidy_record(row, now).items()}
            for row in rows
        ]
        if output is OutputFormat.json:
            typer.echo(json.dumps(records, indent=2))
        elif output is OutputFormat.csv:
            writer = csv.DictWriter(sys.stdout, fieldnames=[*KPI_HEADER, NOTE], lineterminator="\n")
            writer.writeheader()
            writer.writerows(records)
        else:
            _print_table(records)


TABLE_COLUMNS = ("period", "kpi", "segment_by", "segment", "value", "unit", "n")


def _print_table(records: Sequence[Mapping[str, object]]) -> None:
    table = Table(*TABLE_COLUMNS)
    for record in records:
        table.add_row(*(_cell(record, column) for column in TABLE_COLUMNS))
    # off a terminal rich assumes 80 columns, which would cut the segment names
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def _cell(record: Mapping[str, object], column: str) -> str:
    value = record[column]
    if value is None:
        return ""
    if column != "value" or not isinstance(value, int | float):
        return str(value)
    unit = record["unit"]
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "currency":
        return f"{value:,.2f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


@app.command()
def publish(ctx: typer.Context) -> None:
    """Compute the KPIs and write them to the configured outputs."""
    state: AppState = ctx.obj
    with _guarded(state):
        config = _config(state)
        with Store.open(config.store_path) as store, run.recorded(store, "publish", _now):
            report = run.run_publish(config, store, clock=_now)
        typer.echo(report.summary())


@app.command("sync")
def sync_command(
    ctx: typer.Context,
    full: FullOption = False,
) -> None:
    """Pull, then publish: the scheduled job, once."""
    state: AppState = ctx.obj
    with _guarded(state):
        config = _config(state)
        with (
            Store.open(config.store_path) as store,
            run.recorded(store, "sync", _now),
            _progress() as progress,
        ):
            pulled, published = run.run_sync(
                config, store, full=full, clock=_now, progress=progress
            )
        typer.echo(pulled.summary())
        typer.echo(published.summary())


@app.command()
def status(ctx: typer.Context) -> None:
    """Show the last runs, their outcome, what the store holds and the next scheduled run."""
    state: AppState = ctx.obj
    with _guarded(state):
        config = _config(state)
        with Store.open(config.store_path) as store:
            typer.echo(describe_status(config, store, now=_now()))
        pid = holder(lock_path(config.store_path))
        typer.echo("daemon: not running" if pid is None else f"daemon: running (pid {pid})")


@app.command()
def forget(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The source's name, as `crmkpi doctor` shows it.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Remove without asking.")] = False,
) -> None:
    """Remove every record and cursor of one source from the store."""
    state: AppState = ctx.obj
    with _guarded(state):
        config = _config(state)
        with Store.open(config.store_path) as store:
            held = store.sources()
            if source not in held and not store.cursors(source):
                holds = ", ".join(repr(name) for name in held) or "no records"
                raise _fail(EXIT_USAGE, f"the store holds nothing of {source!r} (it holds {holds})")
            records = held.get(source, 0)
            question = f"remove the {records:,} records of {source!r} from {config.store_path}?"
            try:
                if not yes and not typer.confirm(question):
                    raise _fail(EXIT_FAILED, "nothing removed")
            except typer.Abort:
                raise _fail(EXIT_FAILED, "nothing removed; --yes skips the question") from None
            with run.recorded(store, "forget", _now):
                removed = store.forget(source)
        details = ", ".join(f"{count:,} {table}" for table, count in removed.items())
        line = f"removed {sum(removed.values()):,} records of {source!r}"
        typer.echo(line + (f" ({details})" if details else "") + " and its cursors")
        if source in config.connectors.names:
            typer.echo(f"{source!r} is still configured: its next pull stores it afresh")


@app.command()
def daemon(
    ctx: typer.Context,
    now: Annotated[
        bool, typer.Option("--now", help="Sync once right away, then on the schedule.")
    ] = False,
) -> None:
    """Sync on the [schedule] cron until SIGTERM or Ctrl-C, which let a running sync finish."""
    state: AppState = ctx.obj
    with _guarded(state):
        config = _config(state)
        try:
            scheduled.serve(config, run_now=now)
        except AlreadyRunning as exc:
            raise _fail(EXIT_USAGE, str(exc)) from None
