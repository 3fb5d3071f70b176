"""The TOML configuration, validated before anything runs.

A bad file raises `ConfigError`, whose message names the file, every offending key and the
reason, so the CLI can print it and exit 2. Paths in the file are relative to the file.
Secrets never live here: see `sync/secrets.py`.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Sequence
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from kpis.business_hours import check_country
from kpis.engine import KPIS
from kpis.periods import GRAINS
from kpis.settings import BusinessHoursSpec, KpiSettings, MonthlySpend

CONFIG_ENV = "CRMKPI_CONFIG"
DEFAULT_CONFIG = Path("crmkpi.toml")

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# a goal naming a typo is refused at load time
KPI_IDS = frozenset(KPIS)

# sources and outputs DESIGN.md names that this release does not ship yet: refusing them is
# kinder than accepting a section that silently does nothing
_NOT_YET = {
    "connectors.hubspot": "the HubSpot connector is not in this release yet",
    "connectors.activecampaign": "the ActiveCampaign connector is not in this release yet",
    "sheets": "Google Sheets output is not in this release yet; use [xlsx]",
}


class ConfigError(Exception):
    """A configuration that cannot be used; the message is meant for the user as it is."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _currency_code(value: str) -> str:
    code = value.strip().upper()
    if not _CURRENCY.match(code):
        raise ValueError(f"{value!r} is not a three-letter ISO 4217 currency code")
    return code


PublishedGrain = Literal["week", "month", "quarter", "year"]


class StoreSection(_Section):
    path: Path = Path("crmkpi.db")


class ReportingSection(_Section):
    timezone: str = "UTC"
    currency: str = "EUR"
    periods: tuple[PublishedGrain, ...] = ("month", "quarter")
    history_periods: int = Field(default=12, ge=1, le=120)
    crm_go_live: date | None = None
    comparison_months: int = Field(default=6, ge=1, le=60)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone name (like Europe/Berlin)"
            ) from None
        return value

    @field_validator("currency")
    @classmethod
    def _code(cls, value: str) -> str:
        return _currency_code(value)

    @field_validator("periods")
    @classmethod
    def _grains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError(f"name at least one of {', '.join(GRAINS)}")
        if len(set(value)) != len(value):
            raise ValueError("names a grain twice")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class CurrencySection(_Section):
    rates: dict[str, Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]] = Field(
        default_factory=dict
    )

    @field_validator("rates")
    @classmethod
    def _codes(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        return {_currency_code(code): rate for code, rate in value.items()}


class KpisSection(_Section):
    new_customer_window_days: int = Field(default=365, ge=0)
    customer_lifespan_years: float | None = Field(default=None, gt=0)


class ForecastSection(_Section):
    months: int = Field(default=6, ge=1, le=36)


class FilesSource(_Section):
    path: Path
    name: str = "files"


class DemoSource(_Section):
    seed: int = 7
    scale: float = Field(default=1.0, gt=0, le=10_000)
    anchor: date | None = None
    name: str = "demo"


class ConnectorsSection(_Section):
    files: FilesSource | None = None
    demo: DemoSource | None = None

    @model_validator(mode="after")
    def _distinct_names(self) -> ConnectorsSection:
        names = [source.name for source in (self.files, self.demo) if source is not None]
        if len(set(names)) != len(names):
            raise ValueError(f"two sources share the name {names[0]!r}; give each its own name")
        return self


class XlsxSection(_Section):
    path: Path = Path("kpis.xlsx")


class ScheduleSection(_Section):
    cron: str = "0 6 * * *"

    @field_validator("cron")
    @classmethod
    def _parses(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not a five-field cron expression (minute hour day month weekday): "
                f"{exc}"
            ) from None
        return value


class BusinessHours(_Section):
    timezone: str | None = None
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    start: str = "09:00"
    end: str = "17:00"
    country: str | None = None
    holidays: tuple[date, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            ReportingSection._known_zone(value)
        return value

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        days = tuple(day.strip().lower()[:3] for day in value)
        unknown = [raw for raw, day in zip(value, days, strict=True) if day not in _WEEKDAYS]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a weekday (mon, tue, ... sun)")
        return days

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is not None:
            check_country(value)
        return value

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"{value!r} is not a 24-hour clock time like 09:00")
        return value

    @model_validator(mode="after")
    def _window(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        return self

    def spec(self, reporting_zone: ZoneInfo) -> BusinessHoursSpec:
        """The working windows; in the reporting time zone unless a zone of their own is set."""
        return BusinessHoursSpec(
            timezone=ZoneInfo(self.timezone) if self.timezone else reporting_zone,
            days=frozenset(_WEEKDAYS.index(day) + 1 for day in self.days),
            start=time.fromisoformat(self.start),
            end=time.fromisoformat(self.end),
            holidays=frozenset(self.holidays),
            country=self.country,
        )


class ServiceSection(_Section):
    business_hours: BusinessHours | None = None


class SpendEntry(_Section):
    month: str
    amount: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
    currency: str | None = None

    @field_validator("month")
    @classmethod
    def _month(cls, value: str) -> str:
        if not _MONTH.match(value):
            raise ValueError(f"{value!r} is not a month like 2026-10")
        return value

    @field_validator("currency")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        return None if value is None else _currency_code(value)

    def monthly(self) -> MonthlySpend:
        year, month = self.month.split("-")
        return MonthlySpend(date(int(year), int(month), 1), self.amount, self.currency)


class Goal(_Section):
    name: str = Field(min_length=1)
    kpi: str
    segment_by: str = "all"
    segment: str = "all"
    target: float
    direction: Literal["at_least", "at_most"] = "at_least"
    start: date
    due: date

    @field_validator("kpi")
    @classmethod
    def _known_kpi(cls, value: str) -> str:
        if value not in KPI_IDS:
            raise ValueError(
                f"{value!r} is not a KPI id (see KPIS.md: {', '.join(sorted(KPI_IDS))})"
            )
        return value

    @model_validator(mode="after")
    def _window(self) -> Goal:
        if self.due <= self.start:
            raise ValueError(f"due {self.due} must be after start {self.start}")
        return self


class Config(_Section):
    """The whole file. `base_dir` is the folder of the file, for relative paths."""

    base_dir: Path = Path()
    store: StoreSection = StoreSection()
    reporting: ReportingSection = ReportingSection()
    currency: CurrencySection = CurrencySection()
    kpis: KpisSection = KpisSection()
    forecast: ForecastSection = ForecastSection()
    connectors: ConnectorsSection = ConnectorsSection()
    xlsx: XlsxSection | None = None
    schedule: ScheduleSection = ScheduleSection()
    service: ServiceSection = ServiceSection()
    spend: tuple[SpendEntry, ...] = ()
    goals: tuple[Goal, ...] = ()

    @model_validator(mode="after")
    def _one_spend_per_month(self) -> Config:
        months = [entry.month for entry in self.spend]
        repeated = sorted({m for m in months if months.count(m) > 1})
        if repeated:
            raise ValueError(f"spend: month {repeated[0]} is listed more than once")
        return self

    def resolve(self, path: Path) -> Path:
        """A path from the file, taken relative to the file's folder."""
        return path if path.is_absolute() else self.base_dir / path

    @property
    def store_path(self) -> Path:
        return self.resolve(self.store.path)

    @property
    def xlsx_path(self) -> Path | None:
        return None if self.xlsx is None else self.resolve(self.xlsx.path)

    def kpi_settings(self, spend: Sequence[MonthlySpend] | None = None) -> KpiSettings:
        """The KPI settings; `spend` replaces the config's `[[spend]]` when given."""
        hours = self.service.business_hours
        return KpiSettings(
            timezone=self.reporting.zone,
            currency=self.reporting.currency,
            rates=dict(self.currency.rates),
            new_customer_window_days=self.kpis.new_customer_window_days,
            customer_lifespan_years=self.kpis.customer_lifespan_years,
            business_hours=None if hours is None else hours.spec(self.reporting.zone),
            spend=tuple(self.monthly_spend() if spend is None else spend),
            forecast_months=self.forecast.months,
        )

    def monthly_spend(self) -> list[MonthlySpend]:
        return [entry.monthly() for entry in self.spend]


def config_path(option: Path | None) -> Path:
    """The file to read: the option, else `CRMKPI_CONFIG`, else `./crmkpi.toml`."""
    if option is not None:
        return option
    from_env = os.environ.get(CONFIG_ENV)
    return Path(from_env) if from_env else DEFAULT_CONFIG


def load_config(path: Path) -> Config:
    """Read and validate the file; `ConfigError` names the file, each bad key and why."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such configuration file; `crmkpi init` writes one to start from"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path) -> Config:
    """Validate an already-parsed file; `path` names it in messages and anchors relative paths."""
    problems = [
        f"{key}: {reason}" for key, reason in _NOT_YET.items() if _lookup(data, key) is not None
    ]
    if "base_dir" in data:
        problems.append("base_dir: is not a setting (paths are relative to this file)")
    if problems:
        raise ConfigError(_report(path, problems))
    try:
        return Config.model_validate({**data, "base_dir": path.absolute().parent})
    except ValidationError as exc:
        raise ConfigError(_report(path, [_describe(error) for error in exc.errors()])) from None


def _lookup(data: dict[str, Any], dotted: str) -> object:
    node: object = data
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _describe(error: Any) -> str:
    key = (
        "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
        ).lstrip(".")
        or "(top level)"
    )
    if error["type"] == "extra_forbidden":
        return f"{key}: is not a known setting (see config.example.toml)"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{key}: {message}"


def _report(path: Path, problems: list[str]) -> str:
    if len(problems) == 1:
        return f"{path}: {problems[0]}"
    return f"{path}: {len(problems)} problems\n" + "\n".join(f"  {p}" for p in problems)
