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
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from connectors.errors import ConfigurationError
from connectors.registry import SOURCES
from connectors.settings import Section as _Section
from connectors.settings import currency_code, known_zone
from connectors.source import Source
from kpis.business_hours import check_country
from kpis.catalog import KPIS
from kpis.goals import Recurrence, window_problem
from kpis.memory.attribution import DEFAULT_ATTRIBUTION, Attribution
from kpis.periods import GRAINS
from kpis.settings import BusinessHoursSpec, KpiSettings, MonthlySpend

CONFIG_ENV = "CRMKPI_CONFIG"
DEFAULT_CONFIG = Path("crmkpi.toml")

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConfigError(ConfigurationError):
    """A configuration that cannot be used; the message is meant for the user as it is."""


PublishedGrain = Literal["week", "month", "quarter", "year"]


class StoreSection(_Section):
    path: Path = Path("crmkpi.db")


class ReportingSection(_Section):
    timezone: str = "UTC"
    currency: str = "EUR"
    periods: tuple[PublishedGrain, ...] = ("month", "quarter")
    history_periods: int = Field(default=14, ge=1, le=120)
    crm_go_live: date | None = None
    comparison_months: int = Field(default=6, ge=1, le=60)
    attribute_to: Attribution = DEFAULT_ATTRIBUTION

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @field_validator("currency")
    @classmethod
    def _code(cls, value: str) -> str:
        return currency_code(value)

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
        return {currency_code(code): rate for code, rate in value.items()}


_STAGE_NAME = re.compile(r"^\S.* / \S.*$")


class KpisSection(_Section):
    new_customer_window_days: int = Field(default=365, ge=0)
    customer_lifespan_years: float | None = Field(default=None, gt=0)
    stuck_days: dict[str, Annotated[float, Field(gt=0, allow_inf_nan=False)]] = Field(
        default_factory=dict
    )

    @field_validator("stuck_days")
    @classmethod
    def _stage_names(cls, value: dict[str, float]) -> dict[str, float]:
        # a stage is named as its KPI rows name it, which is what the user reads in the sheet
        for name in value:
            if not _STAGE_NAME.match(name):
                raise ValueError(
                    f"{name!r} is not a stage: name it 'Pipeline label / Stage label', "
                    "as the KPIs tab's stage rows do"
                )
        return value


class ForecastSection(_Section):
    months: int = Field(default=6, ge=1, le=36)


class SourcesSection(_Section):
    """`[connectors.*]`: one optional table per source; `sources_section` adds the tables."""

    sources: ClassVar[tuple[Source[Any, Any], ...]] = ()

    def configured(self) -> list[tuple[Source[Any, Any], Any]]:
        """The configured sources and their settings, in the order of the rows."""
        return [
            (source, settings)
            for source in self.sources
            if (settings := getattr(self, source.key)) is not None
        ]

    @classmethod
    def how_to_add(cls) -> str:
        """What to do when no source is configured, naming every table a row gives."""
        tables = [f"[connectors.{source.key}]" for source in cls.sources]
        listed = f"{', '.join(tables[:-1])} or {tables[-1]}" if len(tables) > 1 else tables[0]
        return f"uncomment the section of your CRM or export ({listed}) in the config"

    @property
    def names(self) -> frozenset[str]:
        """The names of the configured sources: only their records count in the KPIs."""
        return frozenset(settings.name for _, settings in self.configured())

    @model_validator(mode="after")
    def _distinct_names(self) -> SourcesSection:
        names = [settings.name for _, settings in self.configured()]
        repeated = [name for name in names if names.count(name) > 1]
        if repeated:
            raise ValueError(f"two sources share the name {repeated[0]!r}; give each its own name")
        return self


def sources_section(sources: Sequence[Source[Any, Any]]) -> type[SourcesSection]:
    """The `[connectors]` model with one optional `[connectors.<key>]` table per row."""
    fields: dict[str, Any] = {source.key: (source.settings | None, None) for source in sources}
    section = create_model("ConnectorsSection", __base__=SourcesSection, **fields)
    section.sources = tuple(sources)
    return section


# the tables come from the registry, so a new source needs no line here; mypy, which cannot
# follow `create_model`, sees the base
if TYPE_CHECKING:
    ConnectorsSection = SourcesSection
else:
    ConnectorsSection = sources_section(SOURCES)


WORKBOOK_SUFFIX = ".xlsx"


def _workbook_place_problem(path: Path) -> str | None:
    """Why no workbook can be written at `path`, judged from the file system alone."""
    try:
        if path.is_dir():
            return f"{path} is a folder; name a workbook file in it, like {path / 'kpis.xlsx'}"
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if folder.exists() and not folder.is_dir():
            return f"{folder} is a file, so {path} cannot be created under it"
    except OSError as exc:
        return f"{path} cannot be looked at: {exc.strerror}"
    return None


class XlsxSection(_Section):
    # an `[xlsx]` section without a path is judged too: `kpis.xlsx` may be a folder
    path: Path = Field(default=Path("kpis.xlsx"), validate_default=True)

    @field_validator("path")
    @classmethod
    def _workbook_path(cls, value: Path, info: ValidationInfo) -> Path:
        # openpyxl opens no name but .xlsx, .xlsm, .xltx and .xltm (SUPPORTED_FORMATS), so any
        # other would be written once and refused by the next run, which reads the Inputs tab
        # back; the other three promise macros or a template, which this workbook is not
        if value.suffix.lower() != WORKBOOK_SUFFIX:
            raise ValueError(
                f"{str(value)!r} does not end in {WORKBOOK_SUFFIX}: the output is an Excel "
                "workbook, name it like kpis.xlsx"
            )
        base_dir = (info.context or {}).get("base_dir", Path())
        problem = _workbook_place_problem(value if value.is_absolute() else base_dir / value)
        if problem is not None:
            raise ValueError(problem)
        return value


class SheetsSection(_Section):
    """The Google Sheet to publish to; the key file path is not a secret, the key is."""

    spreadsheet_id: str
    credentials_file: Path | None = None

    @field_validator("spreadsheet_id")
    @classmethod
    def _sheet_id(cls, value: str) -> str:
        # the id is the long token of the sheet's address: docs.google.com/spreadsheets/d/<id>/
        pasted = re.search(r"/spreadsheets/d/([A-Za-z0-9_-]+)", value)
        sheet_id = pasted[1] if pasted else value.strip()
        if not re.fullmatch(r"[A-Za-z0-9_-]{10,}", sheet_id):
            raise ValueError(
                f"{value!r} is not a spreadsheet id: copy the long id from the sheet's address "
                "(docs.google.com/spreadsheets/d/<id>/edit), or paste the address itself"
            )
        return sheet_id


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_DAY_TOKEN = re.compile(r"(\*|[0-7])(?:-([0-7]))?(?:/(\d+))?")


def _standard_weekdays(expression: str) -> str:
    """The cron expression with numeric weekdays as names, read the standard way (0 = Sunday).

    APScheduler 3.x counts 0 as Monday ("The first weekday is always monday",
    https://apscheduler.readthedocs.io/en/3.x/modules/triggers/cron.html), so "0 6 * * 1-5"
    would run Tuesday to Saturday; names mean the same to both.
    """
    fields = expression.split()
    if len(fields) != 5 or fields[4] == "*":
        return expression
    days: list[str] = []
    for token in fields[4].split(","):
        match = _CRON_DAY_TOKEN.fullmatch(token)
        if match is None:
            days.append(token)
            continue
        start, end, step = match.groups()
        first = 0 if start == "*" else int(start)
        last = int(end) if end else 6 if start == "*" or step else first
        days.extend(_CRON_DAYS[day % 7] for day in range(first, last + 1, int(step or 1)))
    return " ".join([*fields[:4], ",".join(dict.fromkeys(days))])


class ScheduleSection(_Section):
    cron: str = "0 6 * * *"

    @field_validator("cron")
    @classmethod
    def _parses(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        expression = _standard_weekdays(value)
        try:
            CronTrigger.from_crontab(expression)
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not a five-field cron expression (minute hour day month weekday): "
                f"{exc}"
            ) from None
        return expression


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
            known_zone(value)
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
        return None if value is None else currency_code(value)

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
    start: date | None = None
    due: date | None = None
    every: Recurrence | None = None

    @field_validator("kpi")
    @classmethod
    def _known_kpi(cls, value: str) -> str:
        # a goal naming a typo is refused at load time
        if value not in KPIS:
            raise ValueError(
                f"{value!r} is not a KPI id (see docs/kpis.md: {', '.join(sorted(KPIS))})"
            )
        return value

    @model_validator(mode="after")
    def _window(self) -> Goal:
        # the goal engine's own rule, so the file is refused before anything runs
        problem = window_problem(self.start, self.due, self.every)
        if problem is not None:
            raise ValueError(problem)
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
    sheets: SheetsSection | None = None
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

    def kpi_settings(
        self, spend: Sequence[MonthlySpend] | None = None, now: datetime | None = None
    ) -> KpiSettings:
        """The KPI settings; `spend` replaces the config's `[[spend]]` when given, `now` is the
        run's instant (a running period's stuck deals are counted at it)."""
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
            stuck_days=dict(self.kpis.stuck_days),
            now=now,
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
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path) -> Config:
    """Validate an already-parsed file; `path` names it in messages and anchors relative paths."""
    if "base_dir" in data:
        raise ConfigError(f"{path}: base_dir: is not a setting (paths are relative to this file)")
    base_dir = path.absolute().parent
    try:
        # the context lets a section judge its paths where they will be, beside the file
        return Config.model_validate({**data, "base_dir": base_dir}, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(_report(path, [_describe(error) for error in exc.errors()])) from None


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
