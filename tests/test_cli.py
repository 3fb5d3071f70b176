"""The `crmkpi` command line, end to end on local data: exit codes, output, records of runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from sync.cli import app
from sync.outputs.tidy import KPI_HEADER
from sync.store import Store
from tests.cli_runs import FILES_CONFIG, REPO, files_setup

runner = CliRunner()


def _invoke(config: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--config", str(config), *args])
    return result.exit_code, result.stdout, result.stderr


def _october(config: Path) -> dict[tuple[str, str, str], dict[str, object]]:
    code, out, err = _invoke(config, "kpis", "--period", "2026-10", "--format", "json")
    assert code == 0, err
    return {(r["kpi"], r["segment_by"], r["segment"]): r for r in json.loads(out)}


@pytest.mark.parametrize(
    ("flags", "demo_on"), [((), False), (("--demo",), True)], ids=["own-crm", "demo"]
)
def test_init_writes_the_example_config_with_the_demo_off_unless_asked(
    tmp_path: Path, flags: tuple[str, ...], demo_on: bool
) -> None:
    """`init` writes the example the README runs, its demo switched off unless `--demo`."""
    target = tmp_path / "crmkpi.toml"
    code, out, _ = _invoke(target, "init", *flags)
    assert code == 0
    assert "crmkpi sync" in out
    written = target.read_text()
    assert (written == (REPO / "config.example.toml").read_text()) is demo_on
    assert ("\n[connectors.demo]\n" in written) is demo_on


def test_example_config_shows_each_demo_goal_last_and_this_period(tmp_path: Path) -> None:
    """On the demo of today, every goal has a judged last period and a current one with a
    value, whatever today is."""
    config = tmp_path / "crmkpi.toml"
    config.write_text((REPO / "config.example.toml").read_text())
    code, _, err = _invoke(config, "sync")
    assert code == 0, err
    rows = list(load_workbook(tmp_path / "kpis.xlsx")["Goals"].iter_rows(values_only=True))
    goals = [row for row in rows[1:] if row[1] is not None]
    names = [row[0] for row in goals]
    value, status = rows[0].index("value_to_date"), rows[0].index("status")
    assert len(goals) == 2 * len(set(names)) >= 4
    assert all(row[value] is not None for row in goals)
    assert all(row[status] in ("achieved", "missed") for row in goals[::2])


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    """An existing config is kept unless --force is given."""
    target = tmp_path / "crmkpi.toml"
    target.write_text("# mine\n")
    code, _, err = _invoke(target, "init")
    assert code == 2
    assert "--force" in err
    assert target.read_text() == "# mine\n"
    assert _invoke(target, "init", "--force")[0] == 0
    assert target.read_text() != "# mine\n"


def test_example_config_runs_the_demo_end_to_end(tmp_path: Path) -> None:
    """The README's first command: the example config syncs the demo into a workbook."""
    config = tmp_path / "crmkpi.toml"
    text = (REPO / "config.example.toml").read_text()
    config.write_text(text.replace("# anchor = 2026-11-27", "anchor = 2026-11-27"))
    code, out, err = _invoke(config, "sync")
    assert code == 0, err
    assert "published" in out
    sheet = load_workbook(tmp_path / "kpis.xlsx")["KPIs"]
    header = [cell.value for cell in sheet[1]]
    assert tuple(header) == KPI_HEADER
    assert sheet.max_row > 100
    with Store.open(tmp_path / "crmkpi.db") as store:
        assert store.counts()["deals"] > 1000
        assert store.recent_runs(1)[0].outcome == "ok"


def test_pull_then_kpis_gives_the_hand_computed_october(tmp_path: Path) -> None:
    """On the CSV export, October in Berlin has the values worked out by hand in the fixture."""
    config = files_setup(tmp_path)
    code, _, err = _invoke(config, "pull")
    assert code == 0, err
    rows = _october(config)
    # in the pipeline: d1 d2 d3 d4 d6 d7 (d5 closed in August); won: d1, d2 (30 Sep 22:30Z
    # is 1 Oct in Berlin) and d7; d6 closes 31 Oct 23:30Z, already November in Berlin
    assert rows["close_rate", "all", "all"]["value"] == 0.5
    assert rows["close_rate", "all", "all"]["numerator"] == 3
    assert rows["close_rate", "all", "all"]["denominator"] == 6
    assert rows["close_rate", "owner", "Ada Lovelace"]["value"] == pytest.approx(2 / 3)
    assert rows["close_rate", "owner", "Grace Hopper"]["value"] == pytest.approx(1 / 3)
    assert rows["close_rate", "source", "(none)"]["value"] == 0.0
    assert rows["close_rate", "pipeline", "Sales"]["value"] == 0.5
    assert rows["win_rate", "all", "all"]["value"] == 0.75
    assert rows["win_rate", "owner", "Grace Hopper"]["value"] == 0.5
    # 1000 EUR + 500 USD at 0.92 + the 200 EUR upsell, all within a year of the first win
    assert rows["net_new_revenue", "all", "all"]["value"] == 1660
    assert rows["net_new_revenue", "owner", "Ada Lovelace"]["value"] == 1460
    # only c2 (customer since August) was active on 1 October; c1 upsold but joined in October
    assert rows["upsell_rate", "all", "all"]["value"] == 0.0
    assert rows["upsell_rate", "all", "all"]["denominator"] == 1
    # d1 39 d 2 h, d2 15 d 15.5 h, d7 19 d
    assert rows["sales_cycle_days", "all", "all"]["value"] == pytest.approx(
        (39 + 2 / 24 + 15 + 15.5 / 24 + 19) / 3
    )
    assert rows["sales_cycle_days_median", "all", "all"]["value"] == 19.0
    # Proposal: d1 20 d 2 h, d3 15 d; Qualified: d3 10 d (d1 left Qualified in September)
    assert rows["stage_duration_days", "stage", "Sales / Proposal"]["value"] == pytest.approx(
        (20 + 2 / 24 + 15) / 2
    )
    assert rows["stage_duration_days", "stage", "Sales / Qualified"]["value"] == 10.0
    assert ("stage_duration_days", "stage", "Sales / Closed won") not in rows


def test_service_kpis_match_the_hand_computed_october(tmp_path: Path) -> None:
    """Tickets and surveys of the export give October's service KPIs worked out by hand."""
    config = files_setup(tmp_path)
    assert _invoke(config, "pull")[0] == 0
    rows = _october(config)
    # t1 Friday 16:00 to Monday 10:00 is 1 h + 1 h of working time, t2 09:00 to 13:00 is 4 h;
    # t3 is still open
    assert rows["time_to_resolution_hours", "all", "all"]["value"] == 3.0
    assert rows["time_to_resolution_hours", "owner", "Grace Hopper"]["n"] == 2
    assert rows["time_to_resolution_hours_median", "all", "all"]["value"] == 3.0
    assert rows["followups_per_ticket", "all", "all"]["value"] == 3.0
    # n1 10, n4 9 (31 Oct 23:30 CET) promote, n2 8 is passive, n3 6 detracts; n5 (31 Oct
    # 22:30Z) is 23:30 CET, still October: 3 promoters, 1 detractor of 5 -> 40
    assert rows["nps", "all", "all"]["value"] == 40.0
    assert rows["nps", "all", "all"]["n"] == 5


@pytest.mark.parametrize(
    ("go_live", "comparison"),
    [(False, []), (True, ["Before vs after"])],
    ids=["no-go-live", "go-live"],
)
def test_publish_writes_every_tab(tmp_path: Path, go_live: bool, comparison: list[str]) -> None:
    """A publish writes the tabs of docs/sheets.md; Before vs after only with a go-live date."""
    text = FILES_CONFIG
    if go_live:
        text = text.replace('currency = "EUR"', 'currency = "EUR"\ncrm_go_live = 2026-10-01')
    config = files_setup(tmp_path, text)
    assert _invoke(config, "pull")[0] == 0
    code, _, err = _invoke(config, "publish")
    assert code == 0, err
    names = load_workbook(tmp_path / "out" / "kpis.xlsx").sheetnames
    assert names == [
        "Dashboard",
        "KPIs",
        "Goals",
        "Pipeline",
        "Pipeline changes",
        "Sales performance",
        "Lost deals",
        "Forecast",
        *comparison,
        "Inputs",
    ]


def test_kpis_json_rows_carry_period_bounds(tmp_path: Path) -> None:
    """Each JSON row has the tidy columns, with the period's first and last local day."""
    config = files_setup(tmp_path)
    _invoke(config, "pull")
    row = _october(config)["close_rate", "all", "all"]
    assert list(row) == [*KPI_HEADER, "note"]
    assert row["period"] == "2026-10"
    assert (row["period_start"], row["period_end"]) == ("2026-10-01", "2026-10-31")
    assert row["unit"] == "ratio"


def test_an_empty_period_is_null_not_zero(tmp_path: Path) -> None:
    """A period with no deals reports null values, not zeros."""
    config = files_setup(tmp_path)
    _invoke(config, "pull")
    code, out, _ = _invoke(config, "kpis", "--period", "2025-01", "--format", "json")
    assert code == 0
    alls = [r for r in json.loads(out) if r["segment_by"] == "all"]
    assert alls
    assert all(r["value"] is None for r in alls)


@pytest.mark.parametrize("output", ["csv", "table"], ids=["csv", "table"])
def test_kpis_prints_csv_and_tables(tmp_path: Path, output: str) -> None:
    """The csv format starts with the tidy header; the table shows the KPI ids."""
    config = files_setup(tmp_path)
    _invoke(config, "pull")
    code, out, _ = _invoke(config, "kpis", "--period", "2026-10", "--format", output)
    assert code == 0
    if output == "csv":
        assert out.splitlines()[0] == ",".join([*KPI_HEADER, "note"])
    assert "close_rate" in out


def test_bad_config_exits_2_naming_the_key_before_anything_runs(tmp_path: Path) -> None:
    """A bad key stops the command with exit code 2 before the store is created."""
    config = files_setup(tmp_path, FILES_CONFIG.replace("Europe/Berlin", "Europe/Berln"))
    code, _, err = _invoke(config, "sync")
    assert code == 2
    assert "reporting.timezone" in err
    assert not (tmp_path / "crmkpi.db").exists()


def test_goal_with_both_window_forms_exits_2_before_anything_runs(tmp_path: Path) -> None:
    """A goal that both recurs and has dates stops the command, naming the goal's keys."""
    goal = (
        '\n[[goals]]\nname = "g"\nkpi = "nps"\ntarget = 30\nevery = "month"\nstart = 2026-01-01\n'
    )
    config = files_setup(tmp_path, FILES_CONFIG + goal)
    code, _, err = _invoke(config, "sync")
    assert code == 2
    assert "goals[0]: every and start are both set" in err
    assert not (tmp_path / "crmkpi.db").exists()


def test_bad_period_exits_2(tmp_path: Path) -> None:
    """An unreadable --period is a usage error that lists the accepted forms."""
    config = files_setup(tmp_path)
    code, _, err = _invoke(config, "kpis", "--period", "October")
    assert code == 2
    assert "2026-Q3" in err


def test_a_currency_without_rate_is_a_config_error(tmp_path: Path) -> None:
    """A deal in a currency with no configured rate stops the KPIs with exit 2 naming it."""
    config = files_setup(tmp_path, FILES_CONFIG.replace("USD = 0.92", "GBP = 1.16"))
    assert _invoke(config, "pull")[0] == 0
    code, _, err = _invoke(config, "kpis", "--period", "2026-10")
    assert code == 2
    assert "USD" in err


def test_a_failed_publish_exits_1_and_is_recorded(tmp_path: Path) -> None:
    """A run that fails exits 1 with the reason, and `status` shows it as failed."""
    config = files_setup(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "kpis.xlsx").write_text("not a workbook")
    code, _, err = _invoke(config, "sync")
    assert code == 1
    assert err.splitlines()[-1].startswith("failed:")
    code, out, _ = _invoke(config, "status")
    assert code == 0
    assert "sync" in out
    assert "failed" in out


def test_status_lists_runs_and_the_next_scheduled_time(tmp_path: Path) -> None:
    """After a pull and a publish, status shows both, what the store holds and the schedule."""
    config = files_setup(tmp_path)
    assert _invoke(config, "pull")[0] == 0
    assert _invoke(config, "publish")[0] == 0
    code, out, _ = _invoke(config, "status")
    assert code == 0
    assert "7 deals" in out
    assert "pull" in out
    assert "publish" in out
    assert "next:" in out


def test_doctor_passes_on_a_good_setup(tmp_path: Path) -> None:
    """Every check of a working setup is ok and the exit code is 0."""
    config = files_setup(tmp_path)
    _invoke(config, "pull")
    code, out, _ = _invoke(config, "doctor")
    assert code == 0, out
    assert "FAIL" not in out
    assert "deals.csv" in out


def test_doctor_says_how_to_fix_a_missing_folder(tmp_path: Path) -> None:
    """A missing export folder fails its check with a fix, and the exit code is 1."""
    config = tmp_path / "crmkpi.toml"
    config.write_text('[connectors.files]\npath = "nowhere"\n[xlsx]\npath = "k.xlsx"\n')
    code, out, _ = _invoke(config, "doctor")
    assert code == 1
    assert "FAIL source files" in out
    assert "fix:" in out


def test_doctor_reports_a_bad_config_as_its_first_failure(tmp_path: Path) -> None:
    """A bad config is the one failed check, with the key named, and a usage error (exit 2)."""
    config = tmp_path / "crmkpi.toml"
    config.write_text("[kpis]\nnew_customer_window_days = -1\n")
    code, out, _ = _invoke(config, "doctor")
    assert code == 2
    assert out.startswith("FAIL config")
    assert "kpis.new_customer_window_days" in out


def test_publish_rewrites_the_workbook_without_duplicates(tmp_path: Path) -> None:
    """Publishing twice leaves the same number of KPI rows."""
    config = files_setup(tmp_path)
    _invoke(config, "pull")
    _invoke(config, "publish")
    first = load_workbook(tmp_path / "out" / "kpis.xlsx")["KPIs"].max_row
    _invoke(config, "publish")
    assert load_workbook(tmp_path / "out" / "kpis.xlsx")["KPIs"].max_row == first


def test_spend_typed_into_the_inputs_tab_feeds_acquisition_cost(tmp_path: Path) -> None:
    """Spend the team types into Inputs is read on the next run; a bad cell is named, not fatal."""
    config = files_setup(tmp_path)
    _invoke(config, "pull")
    assert _invoke(config, "publish")[0] == 0
    path = tmp_path / "out" / "kpis.xlsx"
    book = load_workbook(path)
    inputs = book["Inputs"]
    inputs.append(["2026-10", 3100, None, "ads"])
    inputs.append(["2026-09", "lots", None, None])
    book.save(path)
    result = runner.invoke(
        app, ["--config", str(config), "kpis", "--period", "2026-10", "--format", "json"]
    )
    assert result.exit_code == 0
    rows = {(r["kpi"], r["segment_by"]): r for r in json.loads(result.stdout)}
    # c1 is October's only new customer (c2 since August, c3 first wins in November)
    assert rows["customer_acquisition_cost", "all"]["value"] == 3100
    assert rows["customer_acquisition_cost", "all"]["denominator"] == 1
    assert "Inputs!B" in result.stderr
    assert "'lots'" in result.stderr
