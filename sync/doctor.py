"""`crmkpi doctor`: one line per check, and how to fix each failure."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kpis.money import CurrencyError, check_currencies
from kpis.spend import check_spend_currencies
from sync.config import Config, ConfigError, load_config
from sync.run import kpi_settings
from sync.schedule import next_run_time
from sync.store import Store


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def run_checks(path: Path, *, now: datetime) -> list[Check]:
    """Every check for the config at `path`; stops after the config check if it fails."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        return [Check("config", False, str(exc), f"edit {path}, or run `crmkpi init`")]
    checks = [
        Check(
            "config",
            True,
            f"{path} ({config.reporting.timezone}, {config.reporting.currency}, "
            f"{', '.join(config.reporting.periods)})",
        )
    ]
    for check in (_store, _sources, _currencies, _outputs, _schedule):
        checks.extend(check(config, now))
    return checks


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
    except sqlite3.Error as exc:
        return [
            Check("store", False, f"{path}: {exc}", "move the file away; the next pull rebuilds it")
        ]
    held = ", ".join(f"{n:,} {kind}" for kind, n in counts.items() if n) or "empty"
    return [Check("store", True, f"{path}: {held}")]


def _sources(config: Config, now: datetime) -> list[Check]:
    sources = config.connectors
    checks = []
    if sources.demo is not None:
        demo = sources.demo
        anchor = demo.anchor or "today"
        checks.append(
            Check(
                f"source {demo.name}",
                True,
                f"demo CRM, seed {demo.seed}, scale {demo.scale}, up to {anchor}",
            )
        )
    if sources.files is not None:
        folder = config.resolve(sources.files.path)
        name = f"source {sources.files.name}"
        if not folder.is_dir():
            checks.append(
                Check(name, False, f"{folder} is not a folder", "set [connectors.files] path")
            )
        else:
            found = sorted(p.name for p in folder.glob("*.csv"))
            checks.append(
                Check(
                    name,
                    bool(found),
                    f"{folder}: {', '.join(found) or 'no CSV files'}",
                    "export your CRM as described in docs/files-format.md",
                )
            )
    if not checks:
        checks.append(
            Check(
                "sources",
                False,
                "no source is configured",
                "add [connectors.demo] or [connectors.files]",
            )
        )
    return checks


def _currencies(config: Config, now: datetime) -> list[Check]:
    if not config.store_path.exists():
        return []
    with Store.open(config.store_path) as store:
        data = store.load_dataset()
    try:
        settings = kpi_settings(config)
        check_currencies(data, settings)
        check_spend_currencies(settings)
    except CurrencyError as exc:
        return [Check("currencies", False, str(exc), "add the rate under [currency.rates]")]
    seen = sorted({deal.currency or config.reporting.currency for deal in data.deals})
    converted = ", ".join(seen) or "no deals yet"
    return [
        Check(
            "currencies",
            True,
            f"every deal converts to {config.reporting.currency} ({converted})",
        )
    ]


def _outputs(config: Config, now: datetime) -> list[Check]:
    path = config.xlsx_path
    if path is None:
        return [Check("outputs", False, "no output is configured", "add an [xlsx] section")]
    if _writable_folder(path) and (not path.exists() or os.access(path, os.W_OK)):
        return [Check("xlsx", True, f"{path} is writable")]
    return [Check("xlsx", False, f"{path} is not writable", "choose a writable [xlsx] path")]


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
