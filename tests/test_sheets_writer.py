"""The Google Sheets writer against a stateful fake sheet: layout, reruns, calls, failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses

from connectors.http import RetriableError
from sync.outputs.inputs import INPUTS, INPUTS_HEADER
from sync.outputs.sheets import publish, read_inputs
from sync.outputs.sheets.cells import sheet_value
from sync.outputs.sheets.layout import cells_used, plan_tabs, sheets_of
from sync.outputs.sheets.limits import fit_cell_limit
from sync.outputs.tidy import KPI_HEADER
from tests.fixtures.sheets.builders import UPDATED, connect_fake, workbook
from tests.fixtures.sheets.fake import FakeSheet, Tab


def _requests_of(fake: FakeSheet, call: int) -> list[dict[str, object]]:
    kind, body = fake.calls[call]
    assert kind == "batchUpdate"
    requests: list[dict[str, object]] = body["requests"]
    return requests


def _kinds(requests: list[dict[str, object]]) -> list[str]:
    return [next(iter(request)) for request in requests]


@responses.activate
def test_first_publish_creates_every_tab_as_the_model_lays_it_out(tmp_path: Path) -> None:
    """A new spreadsheet gets every tab, frozen header, charts, rules and filter, in order."""
    fake = FakeSheet()
    publish(connect_fake(tmp_path, fake), workbook())
    assert [tab.title for tab in fake.tabs] == ["Dashboard", "KPIs", "Pipeline", INPUTS, "Sheet1"]
    kpis = fake.tab("KPIs")
    assert fake.values("KPIs")[0] == list(KPI_HEADER)
    assert (kpis.rows, kpis.columns, kpis.frozen) == (13, 12, 1)
    assert kpis.basic_filter is not None
    assert len(fake.tab("Dashboard").charts) == 1
    assert fake.tab("Dashboard").rules[0]["booleanRule"]["condition"]["values"] == [
        {"userEnteredValue": "on track"}
    ]
    assert fake.values(INPUTS)[0] == list(INPUTS_HEADER)
    assert fake.tab(INPUTS).rows == 100


@responses.activate
def test_kpis_tab_holds_numbers_and_serial_dates_not_text(tmp_path: Path) -> None:
    """Values, counts and dates of the KPIs tab are JSON numbers, written RAW."""
    fake = FakeSheet()
    publish(connect_fake(tmp_path, fake), workbook())
    first = dict(zip(KPI_HEADER, fake.values("KPIs")[1], strict=True))
    assert first["value"] == 0.125
    assert first["n"] == 40
    assert first["period_start"] == 46023  # 2026-01-01, days since 1899-12-30
    assert first["updated_at"] == sheet_value(UPDATED) == 46353.25
    money = dict(zip(KPI_HEADER, fake.values("KPIs")[2], strict=True))
    assert money["value"] == 12000.5
    assert money["numerator"] == ""


@responses.activate
def test_formats_notes_and_bottleneck_are_set(tmp_path: Path) -> None:
    """The formatting batch carries number formats, the note and the highlight."""
    fake = FakeSheet()
    publish(connect_fake(tmp_path, fake), workbook())
    text = json.dumps(_requests_of(fake, 1))
    assert '"type": "PERCENT", "pattern": "0.0%"' in text
    assert '"type": "CURRENCY", "pattern": "#,##0.00 \\"EUR\\""' in text
    assert '"type": "DATE", "pattern": "yyyy-mm-dd"' in text
    assert '"note": "no deals closed before October"' in text
    pipeline = fake.tab("Pipeline").sheet_id
    highlights = [
        r["repeatCell"]["range"]
        for r in _requests_of(fake, 1)
        if "repeatCell" in r and r["repeatCell"]["fields"] == "userEnteredFormat.backgroundColor"
    ]
    assert {
        "sheetId": pipeline,
        "startRowIndex": 2,
        "endRowIndex": 3,
        "startColumnIndex": 0,
        "endColumnIndex": 5,
    } in highlights


@pytest.mark.parametrize(("months", "segments"), [(1, 1), (12, 200)], ids=["tiny", "9600-rows"])
@responses.activate
def test_a_publish_is_one_read_and_two_writes_whatever_the_size(
    tmp_path: Path, months: int, segments: int
) -> None:
    """Metadata, one formatting batch, one values batch: the count does not grow with data."""
    fake = FakeSheet()
    publish(connect_fake(tmp_path, fake), workbook(months, segments))
    assert [kind for kind, _ in fake.calls] == ["metadata", "batchUpdate", "values"]
    assert len(responses.calls) == 4  # and one sign-in at Google's token endpoint


@responses.activate
def test_a_rerun_leaves_exactly_the_same_sheet(tmp_path: Path) -> None:
    """Same cells, grids, charts, rules and filters; nothing is added a second time."""
    fake = FakeSheet()
    api = connect_fake(tmp_path, fake)
    publish(api, workbook())
    before = fake.snapshot()
    publish(api, workbook())
    assert fake.snapshot() == before
    second = _kinds(_requests_of(fake, 4))
    assert not {"addSheet", "addChart", "addConditionalFormatRule"} & set(second)
    assert {"updateChartSpec", "updateConditionalFormatRule"} <= set(second)
    assert [kind for kind, _ in fake.calls] == ["metadata", "batchUpdate", "values"] * 2


@responses.activate
def test_charts_and_rules_are_updated_in_place(tmp_path: Path) -> None:
    """A longer trend and a new status update the same chart and rule, not new ones."""
    fake = FakeSheet()
    api = connect_fake(tmp_path, fake)
    publish(api, workbook(months=3, status="on track"))
    [chart_id] = fake.tab("Dashboard").charts
    publish(api, workbook(months=6, status="off track"))
    dashboard = fake.tab("Dashboard")
    assert list(dashboard.charts) == [chart_id]
    series = dashboard.charts[chart_id]["spec"]["basicChart"]["series"][0]
    assert series["series"]["sourceRange"]["sources"][0]["endRowIndex"] == 8  # six months
    assert len(dashboard.rules) == 1
    assert dashboard.rules[0]["booleanRule"]["condition"]["values"][0]["userEnteredValue"] == (
        "off track"
    )


@responses.activate
def test_a_shorter_publish_clears_stale_rows_then_shrinks_the_grid(tmp_path: Path) -> None:
    """Old rows are overwritten with empty cells in the values batch, then the grid shrinks."""
    fake = FakeSheet()
    api = connect_fake(tmp_path, fake)
    publish(api, workbook(months=12, segments=3))
    publish(api, workbook(months=2, segments=1))
    assert len(fake.values("KPIs")) == 5
    assert fake.tab("KPIs").rows == 5
    assert [kind for kind, _ in fake.calls[3:]] == [
        "metadata",
        "batchUpdate",
        "values",
        "batchUpdate",
    ]
    assert _kinds(_requests_of(fake, 6)) == ["updateSheetProperties"] * 2  # KPIs, Dashboard


@responses.activate
def test_a_publish_failing_mid_way_leaves_the_previous_values_whole(tmp_path: Path) -> None:
    """When the values batch fails for good, every cell still shows the previous publish."""
    fake = FakeSheet()
    api = connect_fake(tmp_path, fake)
    publish(api, workbook(months=3))
    before = {tab.title: dict(tab.cells) for tab in fake.tabs}
    fake.failures["values"] = [503] * 8
    with pytest.raises(RetriableError, match="503"):
        publish(api, workbook(months=12))
    assert {tab.title: dict(tab.cells) for tab in fake.tabs} == before
    assert [kind for kind, _ in fake.calls[3:]] == ["metadata", "batchUpdate"] + ["values"] * 8
    publish(api, workbook(months=12))
    assert len(fake.values("KPIs")) == 1 + 12 * 2 * 2


@responses.activate
def test_inputs_tab_is_created_once_then_left_to_the_team(tmp_path: Path) -> None:
    """The team's rows in Inputs survive every publish and are read back from A1."""
    fake = FakeSheet()
    api = connect_fake(tmp_path, fake)
    publish(api, workbook())
    typed = {(3, 0): "2026-10", (3, 1): 1200, (4, 0): "2026-11", (4, 1): "abc"}
    fake.tab(INPUTS).cells.update(typed)
    publish(api, workbook())
    rows = read_inputs(api)
    assert rows is not None
    assert rows[3][:2] == ["2026-10", 1200]
    assert rows[4][:2] == ["2026-11", "abc"]
    assert not any(
        json.dumps(r).count(f'"sheetId": {fake.tab(INPUTS).sheet_id}')
        for r in _requests_of(fake, 4)
    )


@responses.activate
def test_no_inputs_tab_reads_as_none(tmp_path: Path) -> None:
    """A spreadsheet without the Inputs tab yet gives no rows and no error."""
    fake = FakeSheet()
    assert read_inputs(connect_fake(tmp_path, fake)) is None
    assert [kind for kind, _ in fake.calls] == ["metadata"]


@responses.activate
def test_tabs_of_the_user_are_left_alone(tmp_path: Path) -> None:
    """Another tab, its chart and its cells are untouched by a publish."""
    fake = FakeSheet(tabs=[Tab(sheet_id=7, title="Notes", cells={(0, 0): "mine"}, charts={55: {}})])
    publish(connect_fake(tmp_path, fake), workbook())
    notes = fake.tab("Notes")
    assert notes.cells == {(0, 0): "mine"}
    assert list(notes.charts) == [55]


def test_cell_limit_trims_the_oldest_periods_with_a_note() -> None:
    """Past the limit the KPIs tab loses whole periods, oldest first, and the Dashboard says so."""
    book = workbook(months=12, segments=2)
    grid = {"rowCount": 1000, "columnCount": 10}
    archive = {"properties": {"sheetId": 1, "title": "Archive", "gridProperties": grid}}
    sheets = sheets_of({"sheets": [archive]})
    total = cells_used(plan_tabs(book, sheets), [sheets["Archive"]])
    assert fit_cell_limit(book, sheets, limit=total) is book
    fitted = fit_cell_limit(book, sheets, limit=total - 1)
    periods = [row[0] for row in fitted.tab("KPIs").rows]
    assert periods[0] == "2026-02"
    assert len(periods) == 11 * 4
    assert cells_used(plan_tabs(fitted, sheets), [sheets["Archive"]]) <= total - 1
    assert "leaves out 1 of the oldest periods (2026-01)" in fitted.tab("Dashboard").notes[-1]


@responses.activate
def test_a_publish_near_ten_million_cells_stays_under_the_limit(tmp_path: Path) -> None:
    """With another tab of almost 10,000,000 cells the history is trimmed to fit."""
    archive = Tab(sheet_id=9, title="Archive", rows=999_900, columns=10)
    fake = FakeSheet(tabs=[archive])
    publish(connect_fake(tmp_path, fake), workbook(months=12, segments=2))
    assert sum(tab.rows * tab.columns for tab in fake.tabs) <= 10_000_000
    assert fake.tab("KPIs").rows < 1 + 12 * 4
    assert any("10,000,000" in str(value) for value in fake.tab("Dashboard").cells.values())
