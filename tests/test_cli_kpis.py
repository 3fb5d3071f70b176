"""`crmkpi kpis`: filters, what it refuses, and the table a person reads."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kpis.catalog import KPIS
from tests.cli_runs import files_setup, invoke

# the reporting time zone of the fixture's config
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def pulled(tmp_path: Path) -> Path:
    """The export fixture pulled into its store; the config's path."""
    config = files_setup(tmp_path)
    result = invoke("--config", str(config), "pull")
    assert result.exit_code == 0, result.output
    return config


def _rows(config: Path, *args: str) -> list[dict[str, object]]:
    result = invoke(
        "--config", str(config), "kpis", "--period", "2026-10", "--format", "json", *args
    )
    assert result.exit_code == 0, result.output
    # the time of computing differs between two runs; the rows must not
    return [
        {key: value for key, value in row.items() if key != "updated_at"}
        for row in json.loads(result.stdout)
    ]


@pytest.mark.parametrize(
    ("args", "kpis", "kinds"),
    [
        (("--kpi", "close_rate"), {"close_rate"}, {"all", "owner", "pipeline", "source"}),
        (("--kpi", "nps", "--kpi", "win_rate"), {"nps", "win_rate"}, None),
        (("--segment-by", "owner"), None, {"owner"}),
        (
            ("--kpi", "close_rate", "--segment-by", "all", "--segment-by", "source"),
            {"close_rate"},
            {"all", "source"},
        ),
    ],
    ids=["one-kpi", "two-kpis", "one-kind", "kpi-and-kinds"],
)
def test_kpi_and_segment_by_filter_the_rows(
    pulled: Path, args: tuple[str, ...], kpis: set[str] | None, kinds: set[str] | None
) -> None:
    """--kpi and --segment-by keep only the rows asked for, each repeatable."""
    rows = _rows(pulled, *args)
    everything = _rows(pulled)
    expected = [
        row
        for row in everything
        if (kpis is None or row["kpi"] in kpis) and (kinds is None or row["segment_by"] in kinds)
    ]
    assert rows == expected
    assert 0 < len(rows) < len(everything)


def test_an_unknown_kpi_is_a_usage_error_naming_the_known_ones(pulled: Path) -> None:
    """A mistyped id exits 2, and the message lists every KPI id there is."""
    result = invoke("--config", str(pulled), "kpis", "--kpi", "close_rat")
    assert result.exit_code == 2
    assert "close_rat" in result.stderr
    for kpi in KPIS:
        assert kpi in result.stderr


def test_a_segment_kind_no_row_carries_is_a_usage_error(pulled: Path) -> None:
    """--segment-by a kind the rows do not carry exits 2 naming the kinds they do."""
    result = invoke(
        "--config", str(pulled), "kpis", "--kpi", "close_rate", "--segment-by", "region"
    )
    assert result.exit_code == 2
    assert "region" in result.stderr
    assert "all, owner, pipeline, source" in result.stderr


@pytest.mark.parametrize(
    "store", ["missing", "empty", "other-source"], ids=["missing", "empty", "other-source"]
)
def test_kpis_on_an_empty_store_says_to_pull_first(tmp_path: Path, store: str) -> None:
    """Before any pull of the configured sources, `kpis` exits 1 and says what to run,
    rather than a table of nulls; records of a source no longer configured do not count."""
    config = files_setup(tmp_path)
    if store == "empty":
        assert invoke("--config", str(config), "status").exit_code == 0
        assert (tmp_path / "crmkpi.db").exists()
    if store == "other-source":
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("[connectors.files]", '[connectors.files]\nname = "old"'))
        assert invoke("--config", str(config), "pull").exit_code == 0
        config.write_text(text, encoding="utf-8")
    result = invoke("--config", str(config), "kpis")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "holds no records of the configured sources yet; run `crmkpi pull` first" in (
        result.stderr
    )


def test_a_period_wholly_in_the_future_is_refused(pulled: Path) -> None:
    """A year that has not begun exits 2: there is nothing to compute yet."""
    future = str(datetime.now(BERLIN).year + 2)
    result = invoke("--config", str(pulled), "kpis", "--period", future)
    assert result.exit_code == 2
    assert f"--period {future}: it starts on {future}-01-01, after today" in result.stderr


def test_the_current_year_is_accepted(pulled: Path) -> None:
    """A period that has begun but not ended is computed, up to now."""
    result = invoke("--config", str(pulled), "kpis", "--period", str(datetime.now(BERLIN).year))
    assert result.exit_code == 0, result.output


def test_the_table_keeps_kpi_ids_whole_at_80_columns(pulled: Path) -> None:
    """On an 80-column screen mean and median read apart, and no line is wider."""
    result = invoke(
        "--config",
        str(pulled),
        "kpis",
        "--period",
        "2026-10",
        "--segment-by",
        "all",
        env={"COLUMNS": "80"},
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    first_words = {line.split()[0] for line in lines if line.strip()}
    assert set(KPIS) <= first_words


def test_the_table_shows_the_note(pulled: Path) -> None:
    """The note column is there, with the note of the acquisition cost (no spend entered)."""
    result = invoke(
        "--config",
        str(pulled),
        "kpis",
        "--period",
        "2026-10",
        "--kpi",
        "customer_acquisition_cost",
        env={"COLUMNS": "80"},
    )
    assert result.exit_code == 0, result.output
    header = next(line for line in result.stdout.splitlines() if line.startswith("kpi "))
    assert header.split() == ["kpi", "segment", "value", "n", "note"]
    assert "no spend entered for 2026-10" in " ".join(result.stdout.split())


def test_the_table_of_several_periods_names_each_on_its_row(pulled: Path) -> None:
    """Without --period every row carries its period; with one, it heads the table."""
    result = invoke("--config", str(pulled), "kpis", "--kpi", "close_rate", "--segment-by", "all")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["period", "kpi", "segment", "value", "n", "note"]
    assert len({line.split()[0] for line in lines[1:]}) == len(lines) - 1
    one = invoke("--config", str(pulled), "kpis", "--period", "2026-10", "--kpi", "nps")
    assert one.stdout.splitlines()[0] == "2026-10: 2026-10-01 to 2026-10-31"


def test_the_table_shows_names_in_square_brackets(tmp_path: Path) -> None:
    """An owner called "[EMEA] Ada Lovelace" keeps the brackets: cells are text, not markup."""
    config = files_setup(tmp_path)
    owners = tmp_path / "export" / "owners.csv"
    owners.write_text(owners.read_text().replace("Ada Lovelace", "[EMEA] Ada"), encoding="utf-8")
    assert invoke("--config", str(config), "pull").exit_code == 0
    result = invoke("--config", str(config), "kpis", "--period", "2026-10", "--kpi", "close_rate")
    assert result.exit_code == 0, result.output
    assert "owner: [EMEA] Ada" in result.stdout
