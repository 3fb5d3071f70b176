"""The Pipeline changes tab: its tables, its waterfall, and how each output draws it."""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import responses

from kpis.dataset import Dataset
from kpis.memory.waterfall import PipelineChanges, pipeline_changes
from kpis.periods import Grain, recent_periods
from sync.outputs.pipeline_changes_tab import pipeline_changes_tab
from sync.outputs.sheets import publish
from sync.outputs.sheets.charts import chart_spec
from sync.outputs.sheets.layout import plan_tabs
from sync.outputs.sheets.writer import format_requests
from sync.outputs.workbook import Tab, WaterfallChart, Workbook
from sync.outputs.xlsx import write_xlsx
from tests.fixtures.sheets.builders import connect_fake
from tests.fixtures.sheets.discovery import problems
from tests.fixtures.sheets.fake import FakeSheet
from tests.kpi_builders import BERLIN, at, settings
from tests.test_kpi_pipeline_changes import worked_example

NOW = at("2026-11-10T08:00:00Z")
USD = settings(rates={"USD": "0.92"})


def _changes(grain: Grain, count: int) -> list[PipelineChanges]:
    data = Dataset(deals=worked_example())
    periods = recent_periods(grain, NOW, count, BERLIN)
    return [pipeline_changes(data, period, USD) for period in periods]


def _tab() -> Tab:
    return pipeline_changes_tab(_changes("month", 2), _changes("week", 2), currency="EUR", now=NOW)


def _rows_titled(tab: Tab, title: str, count: int) -> list[tuple[object, ...]]:
    at_title = [row[0] for row in tab.rows].index(title)
    return list(tab.rows[at_title + 2 : at_title + 2 + count])


def test_month_rows_follow_the_identity_per_pipeline_and_in_all() -> None:
    """October in all pipelines is the worked example; a step with no deal shows 0."""
    tab = _tab()
    assert tab.header[:3] == ("period", "pipeline", "start")
    october = [row for row in tab.rows if row[0] == "2026-10"]
    assert [row[1] for row in october] == ["all pipelines", "p1"]
    assert october[0][2:] == tuple(
        Decimal(v)
        for v in ("1460.00", "700.00", "460.00", "300.00", "200.00", "1600.00", "1000.00")
    )
    november = next(row for row in tab.rows if row[0] == "2026-11")
    zero = Decimal("0.00")
    assert november[2:] == (Decimal("1600.00"), zero, zero, zero, zero, Decimal("1600.00"), zero)


def test_week_table_follows_the_months() -> None:
    """The ISO week table lists the last weeks, all pipelines first."""
    rows = _rows_titled(_tab(), "Pipeline changes by ISO week", 4)
    assert [(row[0], row[1]) for row in rows] == [
        ("2026-W45", "all pipelines"),
        ("2026-W45", "p1"),
        ("2026-W46", "all pipelines"),
        ("2026-W46", "p1"),
    ]


def test_waterfall_bars_of_the_last_complete_month() -> None:
    """October's bars: rises before falls, each standing on the total so far."""
    tab = _tab()
    rows = _rows_titled(tab, "Waterfall of 2026-10, all pipelines", 6)
    d = Decimal
    assert rows == [
        ("start", d("1460.00"), None, d("1460.00"), None, None, None, None, None),
        ("created", d("700.00"), d("1460.00"), None, d("700.00"), None, None, None, None),
        ("value change", d("200.00"), d("2160.00"), None, d("200.00"), None, None, None, None),
        ("won", d("-460.00"), d("1900.00"), None, None, d("460.00"), None, None, None),
        ("lost", d("-300.00"), d("1600.00"), None, None, d("300.00"), None, None, None),
        ("end", d("1600.00"), None, d("1600.00"), None, None, None, None, None),
    ]
    (chart,) = tab.charts
    assert isinstance(chart, WaterfallChart)
    assert tab.rows[chart.first_row][0] == "start"
    assert tab.rows[chart.last_row][0] == "end"


def test_no_complete_month_has_no_chart() -> None:
    """With only the running month there is nothing to draw yet."""
    tab = pipeline_changes_tab(_changes("month", 1), [], currency="EUR", now=NOW)
    assert tab.charts == ()


def test_sheets_draws_a_waterfall_with_start_and_end_as_totals() -> None:
    """The spec is a waterfallChart of the change column, valid for the discovery document."""
    tab = _tab()
    (chart,) = tab.charts
    assert isinstance(chart, WaterfallChart)
    spec = chart_spec(chart, 7)
    waterfall = spec["waterfallChart"]
    (series,) = waterfall["series"]
    (source,) = series["data"]["sourceRange"]["sources"]
    assert (source["startRowIndex"], source["endRowIndex"]) == (
        chart.first_row + 1,
        chart.last_row + 2,
    )
    assert (source["startColumnIndex"], source["endColumnIndex"]) == (1, 2)
    assert waterfall["firstValueIsTotal"] is True
    assert series["customSubtotals"] == [{"subtotalIndex": 5, "dataIsSubtotal": True}]
    assert series["hideTrailingSubtotal"] is True
    plans = plan_tabs(Workbook(tabs=(tab,)), {})
    assert problems({"requests": format_requests(plans)}, "BatchUpdateSpreadsheetRequest") == []


@responses.activate
def test_a_republish_updates_the_one_chart_in_place(tmp_path: Path) -> None:
    """Publishing twice leaves one chart, updated rather than added again."""
    fake = FakeSheet()
    api = connect_fake(tmp_path, fake)
    book = Workbook(tabs=(_tab(),))
    publish(api, book)
    [chart_id] = fake.tab("Pipeline changes").charts
    before = fake.snapshot()
    publish(api, book)
    assert list(fake.tab("Pipeline changes").charts) == [chart_id]
    assert fake.snapshot() == before


def _chart_xml(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        return [archive.read(name).decode() for name in names]


@pytest.mark.parametrize("writes", [1, 3], ids=["once", "three times"])
def test_xlsx_stacks_columns_on_an_invisible_base(tmp_path: Path, writes: int) -> None:
    """One stacked column chart of four series whose first, the base, has no fill nor line."""
    path = tmp_path / "t.xlsx"
    for _ in range(writes):
        write_xlsx(Workbook(tabs=(_tab(),)), path)
    (xml,) = _chart_xml(path)
    assert '<grouping val="stacked" />' in xml
    base, *shown = re.findall(r"<ser>.*?</ser>", xml, re.DOTALL)
    assert len(shown) == 3
    assert "<spPr><a:noFill /><a:ln><a:noFill />" in base
    assert all("<spPr><a:solidFill>" in series for series in shown)
