"""`crmkpi kpis --as-of` and `crmkpi forecast [--as-of]`: the store as of a date."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kpis.dataset import Dataset
from sync import run
from sync.config import load_config
from tests.cli_runs import files_setup, invoke
from tests.kpi_builders import at, deal

# the reporting time zone of the fixture's config
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def pulled(tmp_path: Path) -> Path:
    """The export fixture pulled into its store; the config's path."""
    config = files_setup(tmp_path)
    result = invoke("--config", str(config), "pull")
    assert result.exit_code == 0, result.output
    return config


def _close_rate(config: Path, *args: str) -> dict[str, object]:
    result = invoke(
        "--config",
        str(config),
        "kpis",
        "--period",
        "2026-10",
        "--kpi",
        "close_rate",
        "--segment-by",
        "all",
        "--format",
        "json",
        *args,
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    found: dict[str, object] = row
    return found


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # d1, d2, d3, d4, d6, d7 in October's pipeline; d1, d2, d7 won in it
        ((), (3, 6)),
        # d4 is created later; d3 is lost, d7 won and d6 closed after: d1 and d2 won of 5
        (("--as-of", "2026-10-15"), (2, 5)),
        # d4 is there, d3 lost at 10:00, d7 not won until 12:00
        (("--as-of", "2026-10-20T11:00:00+02:00"), (2, 6)),
    ],
    ids=["now", "a day", "an instant with its offset"],
)
def test_kpis_as_of_a_date_count_what_the_store_knew_then(
    pulled: Path, args: tuple[str, ...], expected: tuple[int, int]
) -> None:
    """October's close rate as of the 15th counts the deals as they were then."""
    row = _close_rate(pulled, *args)
    assert (row["numerator"], row["denominator"]) == expected


def test_the_rows_as_of_a_day_are_updated_at_its_start_in_the_reporting_time_zone(
    pulled: Path,
) -> None:
    assert _close_rate(pulled, "--as-of", "2026-10-15")["updated_at"] == (
        "2026-10-14T22:00:00+00:00"
    )


def test_the_table_as_of_a_date_says_so_on_its_first_line(pulled: Path) -> None:
    result = invoke(
        "--config", str(pulled), "kpis", "--period", "2026-10", "--kpi", "nps", "--as-of",
        "2026-10-15",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "as of 2026-10-15 00:00 Europe/Berlin"


def test_the_periods_as_of_a_date_are_those_of_that_date(pulled: Path) -> None:
    """Without --period the history ends with the as-of's month, and a later month is in the
    future of the as-of."""
    result = invoke(
        "--config", str(pulled), "kpis", "--kpi", "nps", "--format", "json", "--as-of",
        "2026-10-15",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    months = sorted(row["period"] for row in json.loads(result.stdout) if "Q" not in row["period"])
    assert months[-1] == "2026-10"
    later = invoke("--config", str(pulled), "kpis", "--period", "2026-11", "--as-of", "2026-10-15")
    assert later.exit_code == 2
    assert "--period 2026-11: it starts on 2026-11-01, after today (2026-10-15" in later.stderr


@pytest.mark.parametrize(
    "text",
    ["2026-10-32", "yesterday", "2026-10-15T10:00:00"],
    ids=["no such day", "not a date", "no offset"],
)
@pytest.mark.parametrize("command", ["kpis", "forecast"], ids=["kpis", "forecast"])
def test_an_unparsable_as_of_is_a_usage_error_naming_the_option(
    pulled: Path, command: str, text: str
) -> None:
    result = invoke("--config", str(pulled), command, "--as-of", text)
    assert result.exit_code == 2
    assert f"--as-of {text}: give a day, 2026-10-01" in result.stderr


@pytest.mark.parametrize("command", ["kpis", "forecast"], ids=["kpis", "forecast"])
def test_an_as_of_in_the_future_is_refused(pulled: Path, command: str) -> None:
    """The day after tomorrow has not begun: the store knows nothing of it yet."""
    later = (datetime.now(BERLIN).date() + timedelta(days=2)).isoformat()
    result = invoke("--config", str(pulled), command, "--as-of", later)
    assert result.exit_code == 2
    assert f"--as-of {later}: it is after now" in result.stderr


def test_the_forecast_as_of_a_date_is_that_dates(pulled: Path) -> None:
    """As of 15 October: October is the first month, d1 (1,000 EUR) and d2 (500 USD, 460 EUR)
    are won so far, and d3 (800), d6 (no amount) and d7 (200), open then, have no expected
    date; d4, created later, is not there."""
    result = invoke(
        "--config", str(pulled), "forecast", "--as-of", "2026-10-15", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["as_of"], report["today"]) == ("2026-10-14T22:00:00+00:00", "2026-10-15")
    assert report["months"][0]["period"]["label"] == "2026-10"
    assert report["won_so_far"]["deals"] == 2
    assert report["won_so_far"]["value"] == 1460
    undated = report["undated"]
    assert (undated["deals"], undated["amount"], undated["without_amount"]) == (3, 1000, 1)
    assert sum(month["open"]["deals"] for month in report["months"]) == 0


def test_the_forecast_table_is_the_tab_under_a_line_with_the_as_of(pulled: Path) -> None:
    result = invoke("--config", str(pulled), "forecast", "--as-of", "2026-10-15")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Forecast as of 2026-10-15 00:00 Europe/Berlin"
    assert lines[1].split()[:3] == ["month", "open_deals", "amount"]
    assert lines[3].split() == ["2026-10", "0", "0", "0", "2", "1,460.00"]
    assert (
        "Overdue: open deals expected to close before today (2026-10-15), most overdue first"
        in lines
    )


def test_the_forecast_csv_is_the_tabs_grid(pulled: Path) -> None:
    result = invoke("--config", str(pulled), "forecast", "--as-of", "2026-10-15", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "month,open_deals,amount,weighted,without_amount,without_probability,"
        "won_deals_so_far,won_so_far"
    )
    assert lines[2] == "2026-10,0,,,0,0,2,1460.0"


def test_the_forecast_of_an_empty_store_says_to_pull_first(tmp_path: Path) -> None:
    result = invoke("--config", str(files_setup(tmp_path)), "forecast")
    assert result.exit_code == 1
    assert "run `crmkpi pull` first" in result.stderr


class _Store:
    """A store that holds `data` (what `sync.run.store_data` reads of one)."""

    def __init__(self, data: Dataset) -> None:
        self.data = data

    def load_dataset(self, **_: object) -> Dataset:
        return self.data


@pytest.mark.parametrize(
    ("instant", "warned"),
    [("2026-10-15", True), ("2026-11-15", False)],
    ids=["before the versions", "after"],
)
def test_as_of_before_the_versions_are_recorded_warns_that_the_deals_are_reconstructed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, instant: str, warned: bool
) -> None:
    config = load_config(files_setup(tmp_path))
    data = Dataset(
        deals=[deal("d", created="2026-01-01")], recorded_since={"files": at("2026-11-01")}
    )
    with caplog.at_level(logging.WARNING, logger="sync.run"):
        run.store_data(config, _Store(data), as_of=at(instant))  # type: ignore[arg-type]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    expected = (
        "the deals of 'files' are reconstructed: the store records their versions only since "
        "2026-11-01T00:00:00+00:00"
    )
    assert [expected in text for text in warnings] == ([True] if warned else [])
