"""`crmkpi`: the command line. Each command loads the config and calls `sync.run`.

Exit codes: 0 ok, 1 the run failed, 2 bad usage or configuration, 130 interrupted.

`crmkpi --help` has to start at once, so of the libraries this module imports only Typer
up front: each command imports the store, the KPI engine and the connectors (requests,
numpy, openpyxl, gspread) when it runs.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, cast

import typer

from connectors.clock import utc_now
from connectors.errors import ConfigurationError, CrmKpiError, RunFailure

if TYPE_CHECKING:
    from kpis.periods import Period
    from sync.config import Config
    from sync.notices import Notices
    from sync.outputs.workbook import Tab
    from sync.pull import ProgressCallback
    from sync.store import Store

EXIT_FAILED = RunFailure.exit_code
EXIT_USAGE = ConfigurationError.exit_code
# what a shell reports for a process ended by SIGINT (128 + 2)
EXIT_INTERRUPTED = 130

logger = logging.getLogger("crmkpi")

# -v and -q set these loggers only: other libraries' debug lines (urllib3, APScheduler,
# gspread) stay off, their warnings show
OWN_LOGGERS = ("connectors", "kpis", "sync", "crmkpi")
LOG_HANDLER = "crmkpi"

CommandFunction = TypeVar("CommandFunction", bound=Callable[..., Any])


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@dataclass(frozen=True)
class AppState:
    """The global options of one invocation, given before the command or after it."""

    config_option: Path | None = None
    verbose: bool = False
    quiet: bool = False

    def given(self, config: Path | None, verbose: bool, quiet: bool) -> AppState:
        return AppState(
            config_option=self.config_option if config is None else config,
            verbose=self.verbose or verbose,
            quiet=self.quiet or quiet,
        )


# The global options, declared once: the app's callback and every command accept them
# (`_with_global_options`), so `crmkpi --config FILE sync` and `crmkpi sync --config FILE`
# are the same. The file falls back to $CRMKPI_CONFIG in `sync.config.config_path`, not
# here, so that the environment never overrides a --config given before the command.
GLOBAL_OPTIONS = (
    inspect.Parameter(
        "config",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            Path | None,
            typer.Option(
                "--config",
                "-c",
                metavar="FILE",
                help="Configuration file; default: $CRMKPI_CONFIG, else ./crmkpi.toml.",
                show_default=False,
            ),
        ],
    ),
    inspect.Parameter(
        "verbose",
        inspect.Parameter.KEYWORD_ONLY,
        default=False,
        annotation=Annotated[bool, typer.Option("--verbose", "-v", help="Log every page.")],
    ),
    inspect.Parameter(
        "quiet",
        inspect.Parameter.KEYWORD_ONLY,
        default=False,
        annotation=Annotated[bool, typer.Option("--quiet", "-q", help="Log warnings only.")],
    ),
)


def _with_global_options(function: CommandFunction, *, runs: bool) -> CommandFunction:
    """`function`, accepting the global options too and merging them into `ctx.obj`.

    `runs` is true for a command, which sets up logging for its run; the app's callback only
    records what was given before the command.
    """
    signature = inspect.signature(function, eval_str=True)
    context = next(
        (name for name, p in signature.parameters.items() if p.annotation is typer.Context), None
    )
    if context is None:
        raise TypeError(f"{function.__name__} must take a `ctx: typer.Context` parameter")

    @functools.wraps(function)
    def accepting(**kwargs: Any) -> Any:
        given = {option.name: kwargs.pop(option.name) for option in GLOBAL_OPTIONS}
        ctx: typer.Context = kwargs[context]
        previous = ctx.obj if isinstance(ctx.obj, AppState) else AppState()
        state = previous.given(**given)
        ctx.obj = state
        if not runs:
            return function(**kwargs)
        if state.verbose and state.quiet:
            raise _fail(EXIT_USAGE, "--verbose and --quiet exclude each other; pass one")
        _setup_logging(state)
        ctx.call_on_close(_reset_logging)
        try:
            return function(**kwargs)
        except BrokenPipeError:
            # the reader had all it wanted (`crmkpi kpis | head -1`), which is no failure:
            # stop without a word, and point stdout at devnull so that flushing it at exit
            # fails no more (https://docs.python.org/3/library/signal.html#note-on-sigpipe)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(code=0) from None

    parameters = [*signature.parameters.values(), *GLOBAL_OPTIONS]
    accepting.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return cast(CommandFunction, accepting)


class _App(typer.Typer):
    """A Typer app whose callback and commands all take the global options."""

    def callback(self, *args: Any, **kwargs: Any) -> Callable[[CommandFunction], CommandFunction]:
        register = super().callback(*args, **kwargs)
        return lambda function: register(_with_global_options(function, runs=False))

    def command(self, *args: Any, **kwargs: Any) -> Callable[[CommandFunction], CommandFunction]:
        register = super().command(*args, **kwargs)
        return lambda function: register(_with_global_options(function, runs=True))


app = _App(
    help="Pull your CRM into a local store, compute the KPIs that tell whether it works, "
    "and publish them.",
    no_args_is_help=True,
    add_completion=False,
    # plain help: Rich markup would eat "[schedule]" and "[default: ...]", and loading
    # Rich's help renderer costs a tenth of a second on every --help
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _show_version(shown: bool) -> None:
    if shown:
        from importlib.metadata import version

        typer.echo(f"crmkpi {version('crm-kpi-sync')}")
        raise typer.Exit()


FullOption = Annotated[bool, typer.Option("--full", help="Ignore the cursors: pull everything.")]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="The store as it was then, and now = then: 2026-10-01 (its start in "
        "reporting.timezone) or 2026-10-01T12:00:00+02:00; default: now.",
        show_default=False,
    ),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]


def config_path(option: Path | None) -> Path:
    """The file to read (`sync.config.config_path`); `sync.config` loads when a command runs."""
    from sync.config import config_path as resolve

    return resolve(option)


def _setup_logging(state: AppState) -> None:
    level = logging.DEBUG if state.verbose else logging.WARNING if state.quiet else logging.INFO
    handler: logging.Handler
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.logging import RichHandler

        handler = RichHandler(console=Console(stderr=True), show_path=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # replace only our own handler, so repeated invocations in one process do not stack them
    handler.set_name(LOG_HANDLER)
    _reset_logging()
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level)


def _reset_logging() -> None:
    # the handler writes to this invocation's stderr: detach it when the command ends, so
    # a caller that runs several commands in one process never logs to a closed stream
    root = logging.getLogger()
    for installed in [h for h in root.handlers if h.get_name() == LOG_HANDLER]:
        root.removeHandler(installed)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Only the global options: `_with_global_options` records them for the command."""


def _fail(code: int, message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=code)


@contextmanager
def _guarded(state: AppState) -> Iterator[None]:
    """Turn every error into one line and an exit code, never a traceback: a `CrmKpiError`
    says its own code, anything else failed the run (with its traceback in --verbose)."""
    try:
        yield
    except (typer.Exit, BrokenPipeError):
        raise
    except KeyboardInterrupt:
        raise _fail(EXIT_INTERRUPTED, "interrupted") from None
    except Exception as exc:
        error = exc if isinstance(exc, CrmKpiError) else RunFailure(str(exc))
        if state.verbose and error.exit_code == EXIT_FAILED:
            logger.exception("the run failed")
        raise _fail(error.exit_code, error.user_line()) from None


def _config(state: AppState) -> Config:
    from sync.config import load_config

    return load_config(config_path(state.config_option))


@contextmanager
def _progress() -> Iterator[ProgressCallback | None]:
    """A live progress display on a terminal; elsewhere the pull's log lines say enough."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

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
    from sync.private import private_file
    from sync.starter import starter_config

    state: AppState = ctx.obj
    target = config_path(state.config_option)
    if target.exists() and not force:
        raise _fail(EXIT_USAGE, f"{target} exists already; pass --force to overwrite it")
    private_file(target)
    target.write_text(starter_config(demo=demo), encoding="utf-8")
    then = (
        "run `crmkpi sync`"
        if demo
        else "uncomment the section of your CRM, then run `crmkpi doctor` and `crmkpi sync`"
    )
    typer.echo(f"wrote {target}; {then}")


@app.command()
def doctor(ctx: typer.Context) -> None:
    """Check the config, sources, store and outputs, one line each."""
    from sync import doctor as doctor_checks

    state: AppState = ctx.obj
    results = doctor_checks.run_checks(config_path(state.config_option), now=utc_now())
    for result in results:
        mark = "FAIL" if not result.ok else "warn" if result.warning else "ok  "
        line = f"{mark} {result.name}: {result.detail}"
        if (not result.ok or result.warning) and result.fix:
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
    from sync import run
    from sync.store import Store

    state: AppState = ctx.obj
    with _guarded(state):
        config = _config(state)
        with (
            Store.open(config.store_path) as store,
            run.recorded(store, "pull", utc_now) as notices,
            _progress() as progress,
        ):
            report = run.run_pull(config, store, full=full, clock=utc_now, progress=progress)
        typer.echo(report.summary())
        _list_warnings(notices)


def _list_warnings(notices: Notices) -> None:
    """End a run that logged warnings with the list of them, after its summary."""
    if len(notices):
        typer.echo(notices.summary(), err=True)


@app.command()
def kpis(
    ctx: typer.Context,
    period: Annotated[
        str | None,
        typer.Option(
            metavar="PERIOD",
            help="2026-10, 2026-Q3, 2026, 2026-W40 or 2026-01-01..2026-03-31; "
            "default: the configured history of every grain.",
            show_default=False,
        ),
    ] = None,
    kpi: Annotated[
        list[str] | None,
        typer.Option(
            "--kpi",
            metavar="ID",
            help="Only this KPI, e.g. close_rate; repeat for more.",
            show_default=False,
        ),
    ] = None,
    segment_by: Annotated[
        list[str] | None,
        typer.Option(
            "--segment-by",
            metavar="KIND",
            help="Only the rows segmented by KIND (all, owner, pipeline, source, stage, "
            "campaign, list); repeat for more.",
            show_default=False,
        ),
    ] = None,
    as_of: AsOfOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Compute the KPIs from the store and print them."""
    import csv
    import json

    from kpis.engine import select_kpis
    from sync import run
    from sync.outputs import KPI_HEADER, NOTE, tidy_record, to_json_value

    state: AppState = ctx.obj
    with _guarded(state):
        config = _config(state)
        try:
            selected = set(select_kpis(kpi)) if kpi else None
        except ValueError as exc:
            raise _fail(EXIT_USAGE, f"--kpi: {exc}") from None
        clock = utc_now()
        then = _as_of(config, clock, as_of)
        now = clock if then is None else then
        _check_period(config, now, period)
        with _filled_store(config) as store:
            rows = run.compute_rows(config, store, now=now, period=period, as_of=then)
        if selected is not None:
            rows = [row for row in rows if row.kpi in selected]
        if segment_by:
            carried = list(dict.fromkeys(row.segment_by for row in rows))
            rows = [row for row in rows if row.segment_by in segment_by]
            if not rows:
                raise _fail(
                    EXIT_USAGE,
                    f"--segment-by {', '.join(segment_by)}: no row is segmented so; "
                    f"the rows carry {', '.join(carried)}",
                )
        records = [
            {key: to_json_value(value) for key, value in tidy_record(row, now).items()}
            for row in rows
        ]
        # JSON and CSV say the as-of in every row's updated_at, the table in a line above it
        if output is OutputFormat.json:
            typer.echo(json.dumps(records, indent=2))
        elif output is OutputFormat.csv:
            writer = csv.DictWriter(sys.stdout, fieldnames=[*KPI_HEADER, NOTE], lineterminator="\n")
            writer.writeheader()
            writer.writerows(records)
        else:
            if then is not None:
                typer.echo(_as_of_line(config, then))
            _print_table(records)


def _as_of(config: Config, now: datetime, text: str | None) -> datetime | None:
    """The instant `--as-of` names, None without one; exit 2 for text that names no instant
    or an instant after `now`."""
    from kpis.periods import local_midnight

    if text is None:
        return None
    zone = config.reporting.zone
    try:
        instant = local_midnight(date.fromisoformat(text), zone)
    except ValueError:
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            instant = None
    if instant is None or instant.utcoffset() is None:
        raise _fail(
            EXIT_USAGE,
            f"--as-of {text}: give a day, 2026-10-01 (its start in {zone.key}), or an instant "
            "with its UTC offset, 2026-10-01T12:00:00+02:00",
        )
    if instant > now:
        raise _fail(
            EXIT_USAGE,
            f"--as-of {text}: it is after now ({now.astimezone(zone):%Y-%m-%d %H:%M} in "
            f"{zone.key}); the store knows nothing of it yet",
        )
    return instant.astimezone(UTC)


def _as_of_line(config: Config, instant: datetime) -> str:
    zone = config.reporting.zone
    return f"as of {instant.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"


@contextmanager
def _filled_store(config: Config) -> Iterator[Store]:
    """The store, open; exit 1 when it holds no records of the configured sources yet."""
    from sync.store import Store

    if not config.store_path.exists():
        raise _fail(EXIT_FAILED, _empty_store(config.store_path))
    with Store.open(config.store_path) as store:
        # records of sources no longer configured count in no KPI (`sync.store.scope`)
        if not config.connectors.names & store.sources().keys():
            raise _fail(EXIT_FAILED, _empty_store(config.store_path))
        yield store


def _check_period(config: Config, now: datetime, label: str | None) -> list[Period]:
    """The periods to compute; exit 2 for a label that does not parse or lies in the future."""
    from sync import run

    try:
        periods = run.report_periods(config, now, label)
    except ValueError as exc:
        raise _fail(EXIT_USAGE, f"--period: {exc}") from None
    if label is not None and periods[0].start > now:
        zone = config.reporting.zone
        today = now.astimezone(zone).date()
        raise _fail(
            EXIT_USAGE,
            f"--period {label}: it starts on {periods[0].first_day}, after today "
            f"({today} in {zone.key}); there is nothing to compute yet",
        )
    return periods


def _empty_store(path: Path) -> str:
    return (
        f"the store {path} holds no records of the configured sources yet; run `crmkpi pull` first"
    )


# the human view of the tidy rows: the segment in one cell ("owner: Ada Lovelace"), the unit
# in the value where the KPI id does not say it, and one period above the table rather than
# on every row, so that the rows fit 80 columns
TABLE_COLUMNS = ("period", "kpi", "segment", "value", "n", "note")
# the free text wraps; everything else keeps its width
WRAPPED_COLUMNS = ("segment", "note")
NUMBERS = ("value", "n")
# off a terminal rich would assume 80 columns; unless $COLUMNS says otherwise, a file or a
# pager gets every row on one line
UNBOUNDED_WIDTH = 160


def _print_table(records: Sequence[Mapping[str, object]]) -> None:
    from rich.table import Table
    from rich.text import Text

    periods = {(r["period"], r["period_start"], r["period_end"]) for r in records}
    columns: tuple[str, ...] = TABLE_COLUMNS
    title = None
    if len(periods) == 1:
        [(label, first, last)] = periods
        title = str(label) if label == f"{first}..{last}" else f"{label}: {first} to {last}"
        columns = tuple(column for column in TABLE_COLUMNS if column != "period")
    # no rules between the columns, and one space: at 80 columns the cells need them all
    table = Table(box=None, pad_edge=False, padding=(0, 1), collapse_padding=True)
    cells = [[_cell(record, column) for column in columns] for record in records]
    for index, column in enumerate(columns):
        if column in WRAPPED_COLUMNS:
            table.add_column(column, overflow="fold")
            continue
        # as wide as its widest cell, so that the free text shrinks first; on a screen too
        # narrow even for these, a cell folds onto a second line but is never cut, so that
        # `sales_cycle_days` and `sales_cycle_days_median` never read alike
        widest = max((len(row[index]) for row in cells), default=0)
        justify: Literal["left", "right"] = "right" if column in NUMBERS else "left"
        table.add_column(column, width=max(widest, len(column)), overflow="fold", justify=justify)
    for row in cells:
        # as Text, so that a name in square brackets is shown, not read as markup
        table.add_row(*(Text(cell) for cell in row))
    _echo_rich(*(() if title is None else (Text(title),)), table)


def _cell(record: Mapping[str, object], column: str) -> str:
    if column == "segment":
        by, segment = record["segment_by"], record["segment"]
        return str(segment) if by == segment else f"{by}: {segment}"
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
    number = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{number} {unit}" if unit in ("days", "hours") else number


@app.command()
def forecast(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Print the Forecast report: the open deals weighted by probability, by month of expected
    close, and the overdue ones."""
    import csv
    import json

    from sync import run
    from sync.outputs import to_json_value
    from sync.outputs.report_tabs import forecast_tab
    from sync.outputs.report_text import report_json

    state: AppState = ctx.obj
    with _guarded(state):
        config = _config(state)
        clock = utc_now()
        then = _as_of(config, clock, as_of)
        now = clock if then is None else then
        with _filled_store(config) as store:
            report = run.forecast_report(config, store, now=now, as_of=then)
        tab = forecast_tab(report)
        if output is OutputFormat.json:
            typer.echo(json.dumps({"as_of": to_json_value(now), **report_json(report)}, indent=2))
        elif output is OutputFormat.csv:
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerows([to_json_value(v) for v in row] for row in (tab.header, *tab.rows))
        else:
            typer.echo(f"{tab.name} {_as_of_line(config, now)}")
            _print_tab(tab)


def _print_tab(tab: Tab) -> None:
    """A report's tab as the workbook shows it: its tables one under another, each further
    one under its title."""
    from rich.table import Table
    from rich.text import Text

    from sync.outputs.report_text import cell_text, tab_tables

    shown: list[object] = []
    for part in tab_tables(tab):
        if part.title is not None:
            shown.extend((Text(""), Text(part.title)))
        table = Table(box=None, pad_edge=False, padding=(0, 1), collapse_padding=True)
        for index, name in enumerate(part.header):
            justify: Literal["left", "right"] = "right" if part.numeric(index) else "left"
            # folded onto a second line on a narrow screen, never cut
            table.add_column(name, justify=justify, overflow="fold")
        for row in part.rows:
            table.add_row(*(Text(cell_text(value)) for value in row))
        shown.append(table)
    _echo_rich(*shown)


def _echo_rich(*renderables: object) -> None:
    """Print `renderables` through rich, one under another."""
    from rich.console import Console

    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=UNBOUNDED_WIDTH)
    # captured and echoed, so that a reader leaving early ends this as it ends every command
    # (rich's own handling would exit 1)
    with console.capture() as captured:
        for renderable in renderables:
            console.print(renderable)
    typer.echo(captured.get(), nl=False)


@app.command()
def publish(ctx: typer.Context) -> None:
    """Compute the KPIs and write them to the configured outputs."""
    from sync import run
    from sync.store import Store

    state: AppState = ctx.obj
    with _guarded(state):
        config = _config(state)
        with (
            Store.open(config.store_path) as store,
            run.recorded(store, "publish", utc_now) as notices,
        ):
            report = run.run_publish(config, store, clock=utc_now)
        typer.echo(report.summary())
        _list_warnings(notices)


@app.command("sync")
def sync_command(
    ctx: typer.Context,
    full: FullOption = False,
) -> None:
    """Pull, then publish: the scheduled job, once."""
    from sync import run
    from sync.store import Store

    state: AppState = ctx.obj
    with _guarded(state):
        config = _config(state)
        with (
            Store.open(config.store_path) as store,
            run.recorded(store, "sync", utc_now) as notices,
            _progress() as progress,
        ):
            pulled, published = run.run_sync(
                config, store, full=full, clock=utc_now, progress=progress
            )
        typer.echo(pulled.summary())
        typer.echo(published.summary())
        _list_warnings(notices)


@app.command()
def status(ctx: typer.Context) -> None:
    """Show the last runs, what the store holds and the next run."""
    from sync.schedule import holder, lock_path
    from sync.status import describe_status
    from sync.store import Store

    state: AppState = ctx.obj
    with _guarded(state):
        config = _config(state)
        with Store.open(config.store_path) as store:
            typer.echo(describe_status(config, store, now=utc_now()))
        pid = holder(lock_path(config.store_path))
        typer.echo("daemon: not running" if pid is None else f"daemon: running (pid {pid})")


@app.command()
def forget(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="The source's name, as `crmkpi doctor` shows it.",
            show_default=False,
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Remove without asking.")] = False,
) -> None:
    """Remove every record and cursor of one source from the store."""
    from sync import run
    from sync.store import Store

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
            with run.recorded(store, "forget", utc_now):
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
    """Sync on the [schedule] cron until stopped.

    SIGTERM or Ctrl-C stop it once a running sync has finished.
    """
    from sync.schedule import serve

    state: AppState = ctx.obj
    with _guarded(state):
        serve(_config(state), run_now=now)
