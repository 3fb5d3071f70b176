"""The configuration file: what it accepts, and how it refuses what it cannot use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kpis.settings import MonthlySpend
from sync.config import ConfigError, config_path, load_config

REPO = Path(__file__).resolve().parent.parent


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "crmkpi.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_loads() -> None:
    """The shipped example config is valid and runs the demo into a workbook beside it."""
    config = load_config(REPO / "config.example.toml")
    assert config.connectors.demo is not None
    assert config.xlsx_path == REPO / "kpis.xlsx"
    assert config.store_path == REPO / "crmkpi.db"
    assert config.currency.rates == {"USD": Decimal("0.92"), "GBP": Decimal("1.16")}


def test_empty_file_takes_the_documented_defaults(tmp_path: Path) -> None:
    """An empty file means UTC, EUR, month and quarter grains, 14 periods, today's owners, a
    365-day window."""
    config = load_config(_write(tmp_path, ""))
    assert config.reporting.zone == ZoneInfo("UTC")
    assert config.reporting.currency == "EUR"
    assert config.reporting.periods == ("month", "quarter")
    assert config.reporting.history_periods == 14
    assert config.reporting.attribute_to == "current_owner"
    assert config.kpis.new_customer_window_days == 365
    assert config.xlsx_path is None


def test_owner_at_close_is_accepted(tmp_path: Path) -> None:
    """`attribute_to = "owner_at_close"` credits closed deals to their owner at the close."""
    config = load_config(_write(tmp_path, '[reporting]\nattribute_to = "owner_at_close"\n'))
    assert config.reporting.attribute_to == "owner_at_close"


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    """Store, workbook and export paths are taken from the config file's folder, not the cwd."""
    text = '[store]\npath = "data/x.db"\n[xlsx]\npath = "out.xlsx"\n'
    text += '[connectors.files]\npath = "exports"\n'
    config = load_config(_write(tmp_path, text))
    assert config.store_path == tmp_path / "data" / "x.db"
    assert config.xlsx_path == tmp_path / "out.xlsx"
    assert config.connectors.files is not None
    assert config.resolve(config.connectors.files.path) == tmp_path / "exports"


def test_design_example_sections_are_accepted(tmp_path: Path) -> None:
    """Business hours, spend and goals as config.example.toml writes them parse to typed values."""
    text = """
[reporting]
timezone = "Europe/Berlin"
crm_go_live = 2026-03-01
[service.business_hours]
timezone = "Europe/Berlin"
days = ["mon", "tue", "wed", "thu", "fri"]
start = "09:00"
end = "17:00"
country = "DE"
holidays = [2026-12-24]
[[spend]]
month = "2026-10"
amount = 12000
[[goals]]
name = "Close rate 25 % by year end"
kpi = "close_rate"
target = 0.25
direction = "at_least"
start = 2026-07-01
due = 2027-01-01
[[goals]]
name = "Net new revenue every quarter"
kpi = "net_new_revenue"
target = 150000
every = "quarter"
"""
    config = load_config(_write(tmp_path, text))
    hours = config.service.business_hours
    assert hours is not None
    assert hours.holidays == (date(2026, 12, 24),)
    assert config.spend[0].amount == Decimal("12000")
    assert config.goals[0].due == date(2027, 1, 1)
    assert config.goals[1].every == "quarter"
    assert config.reporting.crm_go_live == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[reporting]\ntimezone = "Europe/Berln"',
            "reporting.timezone: 'Europe/Berln' is not an IANA",
        ),
        ('[reporting]\ncurrency = "EURO"', "reporting.currency: 'EURO' is not a three-letter"),
        ('[reporting]\nperiods = ["fortnight"]', "reporting.periods[0]"),
        ("[reporting]\nhistory_periods = 0", "reporting.history_periods"),
        (
            '[reporting]\nattribute_to = "owner_at_time"',
            "reporting.attribute_to: Input should be 'current_owner' or 'owner_at_close'",
        ),
        ("[currency.rates]\nUSD = -1", "currency.rates.USD"),
        ('[currency.rates]\nUSD = "lots"', "currency.rates.USD"),
        ("[kpis]\nnew_customer_window_days = -5", "kpis.new_customer_window_days"),
        ("[kpis]\nnew_customer_window = 5", "kpis.new_customer_window: is not a known setting"),
        ('[schedule]\ncron = "every day"', "schedule.cron: 'every day' is not a five-field cron"),
        ('[service.business_hours]\nstart = "9am"', "service.business_hours.start: '9am'"),
        (
            '[service.business_hours]\nstart = "17:00"\nend = "09:00"',
            "end 09:00 must be after start 17:00",
        ),
        ('[service.business_hours]\ndays = ["monday", "funday"]', "'funday' is not a weekday"),
        (
            '[service.business_hours]\ncountry = "XX"',
            "service.business_hours.country: unknown country",
        ),
        ('[[spend]]\nmonth = "2026-13"\namount = 1', "spend[0].month: '2026-13' is not a month"),
        (
            '[[spend]]\nmonth = "2026-10"\namount = 1\n[[spend]]\nmonth = "2026-10"\namount = 2',
            "month 2026-10 is listed more than once",
        ),
        (
            '[[goals]]\nname = "g"\nkpi = "close_rat"\ntarget = 1\nstart = 2026-01-01\n'
            "due = 2027-01-01",
            "goals[0].kpi: 'close_rat' is not a KPI id",
        ),
        (
            '[[goals]]\nname = "g"\nkpi = "nps"\ntarget = 1\nstart = 2026-01-01\ndue = 2025-01-01',
            "due 2025-01-01 must be after start 2026-01-01",
        ),
        (
            '[[goals]]\nname = "g"\nkpi = "nps"\ntarget = 1\nevery = "month"\ndue = 2027-01-01',
            "goals[0]: every and due are both set",
        ),
        (
            '[[goals]]\nname = "g"\nkpi = "nps"\ntarget = 1',
            "goals[0]: set every (month, quarter, year) for a recurring goal, or start and due",
        ),
        (
            '[[goals]]\nname = "g"\nkpi = "nps"\ntarget = 1\nevery = "fortnight"',
            "goals[0].every: Input should be 'month', 'quarter' or 'year'",
        ),
        ("[connectors.files]\nname = 'x'", "connectors.files.path: Field required"),
        ("[connectors.hubspot]\nupsell_deal_types = 5", "connectors.hubspot.upsell_deal_types"),
        ('[sheets]\nspreadsheet_id = "x"', "sheets.spreadsheet_id: 'x' is not a spreadsheet id"),
        ("[store]\npath = 5", "store.path"),
        ('[reporting]\ntimezone = "UTC"\n[reporting]', "not valid TOML"),
        ("toplevel = 1", "toplevel: is not a known setting"),
    ],
    ids=[
        "timezone",
        "currency",
        "grain",
        "history-zero",
        "attribution",
        "negative-rate",
        "text-rate",
        "negative-window",
        "misspelt-key",
        "cron",
        "clock",
        "hours-reversed",
        "weekday",
        "country",
        "spend-month",
        "spend-twice",
        "goal-kpi",
        "goal-window",
        "goal-every-and-dates",
        "goal-no-window",
        "goal-every-grain",
        "files-path-missing",
        "hubspot-mapping",
        "sheets-id",
        "path-type",
        "toml-syntax",
        "unknown-section",
    ],
)
def test_bad_config_names_the_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    """A bad value is refused with a message naming the file, the key and the reason."""
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert expected in message


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    """Several bad keys are reported together, so one edit fixes them all."""
    text = '[reporting]\ntimezone = "Nowhere/City"\ncurrency = "12"\n'
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text))
    assert "2 problems" in str(caught.value)
    assert "reporting.timezone" in str(caught.value)
    assert "reporting.currency" in str(caught.value)


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    """A missing file is refused with a pointer to `crmkpi init`."""
    with pytest.raises(ConfigError, match="crmkpi init"):
        load_config(tmp_path / "absent.toml")


def test_lowercase_currency_codes_are_normalized(tmp_path: Path) -> None:
    """Currency codes are upper-cased, as the deals' codes are."""
    config = load_config(
        _write(tmp_path, '[reporting]\ncurrency = "usd"\n[currency.rates]\neur = 1.09')
    )
    assert config.reporting.currency == "USD"
    assert config.currency.rates == {"EUR": Decimal("1.09")}


@pytest.mark.parametrize(
    ("option", "env", "expected"),
    [
        (Path("a.toml"), "b.toml", Path("a.toml")),
        (None, "b.toml", Path("b.toml")),
        (None, None, Path("crmkpi.toml")),
    ],
    ids=["option-wins", "env", "default"],
)
def test_config_path_precedence(
    monkeypatch: pytest.MonkeyPatch, option: Path | None, env: str | None, expected: Path
) -> None:
    """--config wins over CRMKPI_CONFIG, which wins over ./crmkpi.toml."""
    if env is None:
        monkeypatch.delenv("CRMKPI_CONFIG", raising=False)
    else:
        monkeypatch.setenv("CRMKPI_CONFIG", env)
    assert config_path(option) == expected


def test_kpi_settings_carry_hours_spend_and_horizon(tmp_path: Path) -> None:
    """Business hours, monthly spend and the forecast horizon reach the KPI settings typed."""
    text = """
[reporting]
timezone = "Europe/Berlin"
[forecast]
months = 3
[service.business_hours]
days = ["mon", "wed"]
start = "08:30"
end = "16:00"
holidays = [2026-12-24]
country = "DE"
[[spend]]
month = "2026-10"
amount = 12000.50
currency = "usd"
"""
    settings = load_config(_write(tmp_path, text)).kpi_settings()
    hours = settings.business_hours
    assert hours is not None
    assert hours.timezone == ZoneInfo("Europe/Berlin")
    assert hours.days == frozenset({1, 3})
    assert (hours.start, hours.end) == (time(8, 30), time(16))
    assert hours.holidays == frozenset({date(2026, 12, 24)})
    assert hours.country == "DE"
    assert settings.spend == (MonthlySpend(date(2026, 10, 1), Decimal("12000.50"), "USD"),)
    assert settings.forecast_months == 3


def test_business_hours_may_have_a_zone_of_their_own(tmp_path: Path) -> None:
    """A support team's zone can differ from the reporting zone."""
    text = '[reporting]\ntimezone = "Europe/Berlin"\n'
    text += '[service.business_hours]\ntimezone = "America/New_York"\n'
    hours = load_config(_write(tmp_path, text)).kpi_settings().business_hours
    assert hours is not None
    assert hours.timezone == ZoneInfo("America/New_York")


def test_no_business_hours_means_calendar_time(tmp_path: Path) -> None:
    """Without [service.business_hours] the KPI settings say 24/7."""
    assert load_config(_write(tmp_path, "")).kpi_settings().business_hours is None


def _file_at(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("a file", encoding="utf-8")


def _folder_at(tmp_path: Path, name: str) -> None:
    (tmp_path / name).mkdir()


@pytest.mark.parametrize(
    ("text", "make", "expected"),
    [
        ('path = "report.csv"', None, "xlsx.path: 'report.csv' does not end in .xlsx"),
        ('path = "kpis.xlsm"', None, "xlsx.path: 'kpis.xlsm' does not end in .xlsx"),
        ('path = "kpis"', None, "xlsx.path: 'kpis' does not end in .xlsx"),
        ('path = "kpis.xlsx"', (_folder_at, "kpis.xlsx"), "kpis.xlsx is a folder"),
        ("", (_folder_at, "kpis.xlsx"), "kpis.xlsx is a folder"),
        ('path = "out/kpis.xlsx"', (_file_at, "out"), "out is a file, so"),
        ('path = "out/month/kpis.xlsx"', (_file_at, "out"), "out is a file, so"),
    ],
    ids=[
        "csv-name",
        "xlsm-name",
        "no-suffix",
        "a-folder",
        "default-name-is-a-folder",
        "under-a-file",
        "deep-under-a-file",
    ],
)
def test_a_workbook_path_that_cannot_hold_a_workbook_is_refused(
    tmp_path: Path,
    text: str,
    make: tuple[Callable[[Path, str], None], str] | None,
    expected: str,
) -> None:
    """`[xlsx] path` must name an .xlsx file that can be created where the file says."""
    if make is not None:
        maker, name = make
        maker(tmp_path, name)
    path = _write(tmp_path, f"[xlsx]\n{text}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: xlsx.path: ")
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('path = "KPIS.XLSX"', Path("KPIS.XLSX")),
        ('path = "new/month/kpis.xlsx"', Path("new/month/kpis.xlsx")),
        ('path = "kpis.xlsx"', Path("kpis.xlsx")),
    ],
    ids=["upper-case-suffix", "folders-made-on-publish", "existing-file"],
)
def test_a_workbook_path_that_can_hold_a_workbook_is_accepted(
    tmp_path: Path, text: str, expected: Path
) -> None:
    """Any case of .xlsx, missing folders (made on publish) and an existing file pass."""
    (tmp_path / "kpis.xlsx").write_bytes(b"judged by doctor and publish, not here")
    config = load_config(_write(tmp_path, f"[xlsx]\n{text}\n"))
    assert config.xlsx_path == tmp_path / expected


def test_workbook_problems_are_listed_with_the_others(tmp_path: Path) -> None:
    """A bad workbook path is one of the problems reported together."""
    text = '[reporting]\ncurrency = "12"\n[xlsx]\npath = "report.csv"\n'
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text))
    assert "2 problems" in str(caught.value)
    assert "xlsx.path" in str(caught.value)


def test_a_config_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    """A file saved in another encoding is a ConfigError naming the file, not a crash."""
    path = tmp_path / "crmkpi.toml"
    path.write_bytes('[xlsx]\npath = "Übersicht.xlsx"\n'.encode("cp1252"))
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_config(path)


def test_stuck_days_are_keyed_by_stage_name(tmp_path: Path) -> None:
    """`[kpis.stuck_days]` reaches the KPI settings as stage name and days, with the run's now."""
    text = '[kpis.stuck_days]\n"Sales Pipeline / Contract sent" = 21\n"Renewals / Call" = 2.5\n'
    now = datetime(2026, 10, 15, tzinfo=UTC)
    settings = load_config(_write(tmp_path, text)).kpi_settings(now=now)
    assert settings.stuck_days == {"Sales Pipeline / Contract sent": 21, "Renewals / Call": 2.5}
    assert settings.now == now


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ('"Contract sent" = 21', "is not a stage: name it 'Pipeline label / Stage label'"),
        ('"Sales / Demo" = 0', "kpis.stuck_days.Sales / Demo"),
        ('"Sales / Demo" = "soon"', "kpis.stuck_days.Sales / Demo"),
    ],
    ids=["no-pipeline", "zero-days", "text-days"],
)
def test_bad_stuck_days_name_the_key(tmp_path: Path, entry: str, expected: str) -> None:
    """A stage without its pipeline, or days that are not a positive number, are refused."""
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, f"[kpis.stuck_days]\n{entry}\n"))
    assert expected in str(caught.value)
