"""`crmkpi doctor`: one line per check, and how to fix each failure.

A check that stops on an unexpected error becomes a failed line naming the check and the
error, and the other checks still run: doctor is what a user runs when something is wrong, so
it never ends in a traceback. Every line is scrubbed of the configured tokens.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.http import ApiError, AuthError
from connectors.source import Check, CheckContext, Source
from kpis.columns import NO_LABEL
from kpis.money import CurrencyError, check_currencies
from kpis.spend import check_spend_currencies
from sync.config import Config, ConfigError, load_config
from sync.outputs import WorkbookError, open_workbook
from sync.outputs.sheets import SheetsError, load_service_account, open_sheet
from sync.outputs.sheets import key_file as sheets_key_file
from sync.private import shared_with_others
from sync.run import kpi_settings
from sync.schedule import next_run_time
from sync.secrets import Secrets, load_secrets
from sync.store import Store

CONFIG_CHECK = "config"
# what a SecretStr shows in place of its value
MASK = "**********"
# shorter values are no real token, and masking them would garble the rest of the line
SHORTEST_MASKED = 4
UNEXPECTED_FIX = (
    "the check met an error it does not know (the other checks ran); if the line above does "
    "not say what to change, please report it"
)


CheckFunction = Callable[["Config", datetime], list["Check"]]


def run_checks(
    path: Path, *, now: datetime, checks: Sequence[tuple[str, CheckFunction]] | None = None
) -> list[Check]:
    """Every check (`checks`, by default `CHECKS`) for the config at `path`; stops after the
    config check if it fails."""
    fix = f"edit {path}, or run `crmkpi init`"
    try:
        config = load_config(path)
    except ConfigError as exc:
        return [Check(CONFIG_CHECK, False, str(exc), fix)]
    except Exception as exc:
        return [Check(CONFIG_CHECK, False, f"{path}: {_error(exc)}", fix)]
    results = [
        Check(
            CONFIG_CHECK,
            True,
            f"{path} ({config.reporting.timezone}, {config.reporting.currency}, "
            f"{', '.join(config.reporting.periods)})",
        )
    ]
    for name, check in CHECKS if checks is None else checks:
        try:
            results.extend(check(config, now))
        except Exception as exc:
            results.append(Check(name, False, f"the check stopped: {_error(exc)}", UNEXPECTED_FIX))
    return _masked(results, _secret_values(config))


def config_failed(checks: Sequence[Check]) -> bool:
    """Whether the config itself could not be loaded: a usage error, not a failed check."""
    return any(check.name == CONFIG_CHECK and not check.ok for check in checks)


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _secret_values(config: Config) -> list[str]:
    try:
        secrets = load_secrets(config.base_dir)
    except Exception:
        # the checks that need the secrets report this themselves
        return []
    values = [token.get_secret_value() for token in secrets.tokens.values()]
    # an error message may quote a value as its repr, e.g. requests' InvalidHeader for a token
    # with a line break in it, so the escaped spelling is masked as well
    spellings = {spelling for value in values for spelling in (value, repr(value)[1:-1])}
    # longest first, so a spelling that contains another is masked whole
    return sorted(
        (spelling for spelling in spellings if len(spelling) >= SHORTEST_MASKED),
        key=len,
        reverse=True,
    )


def _masked(checks: list[Check], secrets: list[str]) -> list[Check]:
    """The checks with every secret value in their text replaced, as a SecretStr shows it."""

    def mask(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, MASK)
        return text

    return [replace(c, detail=mask(c.detail), fix=mask(c.fix)) for c in checks]


def _writable_folder(path: Path) -> bool:
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    return os.access(folder, os.W_OK)


def _store(config: Config, now: datetime) -> list[Check]:
    path = config.store_path
    if not path.exists():
        if _writable_folder(path):
            return [Check("store", True, f"{path} will be created by the first pull")]
        return [
            Check("store", False, f"{path} cannot be created", "choose a writable [store] path")
        ]
    try:
        with Store.open(path) as store:
            counts = store.counts()
            sources = store.sources()
    except sqlite3.Error as exc:
        return [
            Check("store", False, f"{path}: {exc}", "move the file away; the next pull rebuilds it")
        ]
    held = ", ".join(f"{n:,} {kind}" for kind, n in counts.items() if n) or "empty"
    return [Check("store", True, f"{path}: {held}"), *_unconfigured(config, sources)]


def _unconfigured(config: Config, sources: dict[str, int]) -> list[Check]:
    """Sources the store still holds records of that the config no longer names."""
    return [
        Check(
            f"stored source {source}",
            True,
            f"{records:,} records of {source!r} stay in the store but count in no KPI, "
            "since no [connectors.*] section names it; `crmkpi forget "
            f"{source}` removes them",
        )
        for source, records in sources.items()
        if source not in config.connectors.names
    ]


def _sources(config: Config, now: datetime) -> list[Check]:
    """Each configured source's own checks (`connectors/registry.py`), each apart from the
    others, so one that stops leaves the rest standing."""
    configured = config.connectors.configured()
    if not configured:
        return [
            Check(
                "sources",
                False,
                "no source is configured",
                config.connectors.how_to_add(),
            )
        ]
    checks: list[Check] = []
    for source, settings in configured:
        try:
            checks.extend(source.checks(settings, _check_context(config, source)))
        except Exception as exc:
            checks.append(
                Check(source.key, False, f"the check stopped: {_error(exc)}", UNEXPECTED_FIX)
            )
    return checks


def _check_context(config: Config, source: Source[Any, Any]) -> CheckContext:
    """What `source`'s checks receive; the secrets are read for a source with a token only."""
    if source.token is None:
        return CheckContext(config.base_dir, Secrets())
    try:
        return CheckContext(config.base_dir, load_secrets(config.base_dir))
    except ConfigError as exc:
        return CheckContext(config.base_dir, None, str(exc))


def _currencies(config: Config, now: datetime) -> list[Check]:
    if not config.store_path.exists():
        return []
    try:
        with Store.open(config.store_path) as store:
            data = store.load_dataset(contacts="customers", sources=config.connectors.names)
    except sqlite3.Error:
        # the store check has said what is wrong with the file and how to fix it
        return []
    try:
        settings = kpi_settings(config)
        check_currencies(data, settings)
        check_spend_currencies(settings)
    except CurrencyError as exc:
        return [Check("currencies", False, str(exc), "add the rate under [currency.rates]")]
    currencies = data.columns.deals.currency
    # a deal without a currency is in the reporting currency
    unset = bool((currencies.codes == NO_LABEL).any())
    # the codes of the deals loaded: the values may still name those of other sources
    used = {currencies.values[code] for code in set(currencies.codes.tolist()) - {NO_LABEL}}
    seen = sorted({*used, *([config.reporting.currency] if unset else [])})
    converted = ", ".join(seen) or "no deals yet"
    return [
        Check(
            "currencies",
            True,
            f"every deal converts to {config.reporting.currency} ({converted})",
        )
    ]


def _outputs(config: Config, now: datetime) -> list[Check]:
    """The workbook path: an existing file there must be a workbook, and its folder writable."""
    path = config.xlsx_path
    if path is None and config.sheets is not None:
        return []
    if path is None:
        return [
            Check("outputs", False, "no output is configured", "add an [xlsx] or [sheets] section")
        ]
    exists = path.exists()
    if exists:
        try:
            open_workbook(path).close()
        except WorkbookError as exc:
            return [Check("xlsx", False, exc.detail, exc.fix)]
    # the workbook is replaced by a file written beside it, so the folder is what must be writable
    if not _writable_folder(path):
        return [
            Check(
                "xlsx",
                False,
                f"xlsx.path: {path} cannot be written: its folder is not writable by this user",
                "make the folder writable for this user, or point xlsx.path elsewhere",
            )
        ]
    if exists:
        return [Check("xlsx", True, f"{path} is a workbook and writable")]
    return [Check("xlsx", True, f"{path} will be created by the first publish")]


def _sheets(config: Config, now: datetime) -> list[Check]:
    """The service-account key, the spreadsheet it must reach, and the right to edit it."""
    if config.sheets is None:
        return []
    try:
        path = sheets_key_file(config, load_secrets(config.base_dir))
        account = load_service_account(path)
    except (ConfigError, SheetsError) as exc:
        fix = (
            "download a JSON key of the service account (Google Cloud console, IAM, Service "
            "accounts, Keys) and point GOOGLE_APPLICATION_CREDENTIALS or [sheets] "
            "credentials_file at it"
        )
        return [Check("sheets key", False, str(exc), fix)]
    checks = [Check("sheets key", True, f"{path} (service account {account.email})")]
    api = open_sheet(config.sheets.spreadsheet_id, account, attempts=2)
    share = f"open the sheet, click Share and add {account.email} as an Editor"
    for name, probe in (("sheet", api.metadata), ("sheet write access", api.check_write)):
        try:
            probe()
        except (ApiError, SheetsError) as exc:
            fix = (
                share
                if isinstance(exc, AuthError)
                else "check [sheets] spreadsheet_id, the network and the proxy (HTTPS_PROXY)"
            )
            return [*checks, Check(name, False, str(exc), fix)]
        detail = (
            f"{api.metadata()['properties']['title']!r} at {api.url}"
            if name == "sheet"
            else f"{account.email} may edit it"
        )
        checks.append(Check(name, True, detail))
    return checks


def _private(config: Config, now: datetime) -> list[Check]:
    """The files that hold secrets or the CRM's data are this user's alone (`sync.private`)."""
    files = [
        config.base_dir / ".env",
        _key_file(config),
        config.store_path,
        config.xlsx_path,
    ]
    shared = [path for path in files if path is not None and path.is_file()]
    shared = [path for path in shared if shared_with_others(path)]
    if not shared:
        return [Check("private files", True, "no file with secrets or data is shared")]
    return [
        Check(
            "private files",
            True,
            f"{path} may be read by other accounts of this machine",
            f"chmod 600 {path}{'*' if path == config.store_path else ''}",
            warning=True,
        )
        for path in shared
    ]


def _key_file(config: Config) -> Path | None:
    """The Sheets service-account key, when one is configured (the sheets check says if not)."""
    if config.sheets is None:
        return None
    try:
        return sheets_key_file(config, load_secrets(config.base_dir))
    except ConfigError:
        return None


def _schedule(config: Config, now: datetime) -> list[Check]:
    upcoming = next_run_time(config, now)
    when = upcoming.strftime("%Y-%m-%d %H:%M %Z") if upcoming else "never"
    return [
        Check(
            "schedule",
            True,
            f"{config.schedule.cron!r} in {config.reporting.timezone}, next {when}",
        )
    ]


def _stuck_days(config: Config, now: datetime) -> list[Check]:
    """Each stage `kpis.stuck_days` names is an open stage of a configured source."""
    named = config.kpis.stuck_days
    if not named or not config.store_path.exists():
        return []
    try:
        with Store.open(config.store_path) as store:
            stages = store.stages()
    except sqlite3.Error:
        return []
    sources = config.connectors.names
    # named as the KPIs tab's stage rows name them (`kpis.stages.stage_segment`)
    known = {
        f"{stage.pipeline_label} / {stage.stage_label}"
        for stage in stages
        if stage.source in sources and not stage.is_closed
    }
    unknown = [name for name in named if name not in known]
    if unknown:
        listed = ", ".join(repr(name) for name in unknown)
        return [
            Check(
                "kpis.stuck_days",
                False,
                f"no open stage is named {listed}; its threshold is never used",
                "name each stage as the KPIs tab's stage rows do, e.g. "
                + (repr(min(known)) if known else "'Sales / Qualified'"),
            )
        ]
    count = len(named)
    every = "the stage is an open stage" if count == 1 else f"each of {count} is an open stage"
    return [Check("kpis.stuck_days", True, every)]


CHECKS: tuple[tuple[str, CheckFunction], ...] = (
    ("store", _store),
    ("sources", _sources),
    ("currencies", _currencies),
    ("stuck days", _stuck_days),
    ("outputs", _outputs),
    ("sheets", _sheets),
    ("private files", _private),
    ("schedule", _schedule),
)
