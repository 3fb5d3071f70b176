"""The .xlsx writer: typed cells and formats, idempotent rewrites, foreign tabs, atomic saves."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from kpis.periods import parse_period
from kpis.results import Number, ResultRow, Unit
from sync.outputs.inputs import INPUTS, inputs_tab
from sync.outputs.kpi_tabs import kpis_tab, pipeline_tab
from sync.outputs.tidy import KPI_HEADER
from sync.outputs.workbook import Chart, Tab, Workbook, status_style
from sync.outputs.xlsx import HIGHLIGHT, WorkbookError, read_tab, write_xlsx

BERLIN = ZoneInfo("Europe/Berlin")
UPDATED = datetime(2026, 10, 5, 6, 0, tzinfo=UTC)
VALUE_COLUMN = KPI_HEADER.index("value") + 1


def _row(
    kpi: str,
    value: Number | None,
    unit: Unit,
    *,
    segment_by: str = "all",
    segment: str = "all",
    note: str | None = None,
) -> ResultRow:
    return ResultRow(
        kpi=kpi,
        period=parse_period("2026-10", BERLIN),
        segment_by=segment_by,
        segment=segment,
        value=value,
        unit=unit,
        n=4,
        numerator=10 if unit == "ratio" else None,
        denominator=100 if unit == "ratio" else None,
        note=note,
    )


ROWS = [
    _row("close_rate", Decimal("0.1"), "ratio"),
    _row("net_new_revenue", Decimal("1234.50"), "currency"),
    _row("sales_cycle_days", 12.5, "days"),
    _row("time_to_resolution_hours", Decimal("2.0"), "hours"),
    _row("nps", 30, "score"),
    _row("followups_per_ticket", Decimal("1.75"), "count"),
    _row("win_rate", None, "ratio"),
    _row("customer_lifetime_value", Decimal("800.00"), "currency", note="lifespan assumed: 3 y"),
    _row("stage_duration_days", 2, "days", segment_by="stage", segment="Sales / Qualified"),
    _row("stage_duration_days", 9.5, "days", segment_by="stage", segment="Sales / Proposal"),
    _row("stage_duration_days", 4, "days", segment_by="stage", segment="Sales / Contract"),
]


def _workbook(rows: list[ResultRow] = ROWS) -> Workbook:
    return Workbook(tabs=(kpis_tab(rows, updated_at=UPDATED, currency="EUR"), pipeline_tab(rows)))


def _sheet(path: Path, name: str) -> Worksheet:
    sheet = openpyxl.load_workbook(path)[name]
    assert isinstance(sheet, Worksheet)
    return sheet


def _values(path: Path) -> dict[str, list[list[object]]]:
    book = openpyxl.load_workbook(path)
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book}


@pytest.fixture
def written(tmp_path: Path) -> Path:
    path = tmp_path / "kpis.xlsx"
    write_xlsx(_workbook(), path)
    return path


def test_kpis_header_is_exact_and_bold(written: Path) -> None:
    """The KPIs tab's first row is KPI_HEADER in bold."""
    header = _sheet(written, "KPIs")[1]
    assert [cell.value for cell in header] == list(KPI_HEADER)
    assert all(cell.font.b for cell in header)


@pytest.mark.parametrize(
    ("row", "value", "number_format"),
    [
        (2, 0.1, "0.0%"),
        (3, 1234.5, '#,##0.00 "EUR"'),
        (4, 12.5, "0.0"),
        (5, 2.0, "0.0"),
        (6, 30, "#,##0.00"),
        (7, 1.75, "#,##0.00"),
    ],
    ids=["ratio-percent", "currency", "days", "hours", "score", "mean-count"],
)
def test_values_are_numbers_formatted_by_unit(
    written: Path, row: int, value: float, number_format: str
) -> None:
    """A value is a numeric cell whose number format follows its unit."""
    cell = _sheet(written, "KPIs").cell(row=row, column=VALUE_COLUMN)
    assert (cell.value, cell.data_type, cell.number_format) == (value, "n", number_format)


@pytest.mark.parametrize(
    ("column", "value", "number_format"),
    [("n", 4, "#,##0"), ("numerator", 10, "#,##0"), ("denominator", 100, "#,##0")],
    ids=["n", "numerator", "denominator"],
)
def test_counts_are_numbers(written: Path, column: str, value: int, number_format: str) -> None:
    """Sample size, numerator and denominator are numeric cells too, counts as integers."""
    cell = _sheet(written, "KPIs").cell(row=2, column=KPI_HEADER.index(column) + 1)
    assert (cell.value, cell.data_type, cell.number_format) == (value, "n", number_format)


def test_null_value_is_an_empty_cell(written: Path) -> None:
    """An undefined value leaves its cell empty rather than writing 0 or text."""
    assert _sheet(written, "KPIs").cell(row=8, column=VALUE_COLUMN).value is None


@pytest.mark.parametrize(
    ("column", "value", "number_format"),
    [
        ("period_start", "2026-10-01T00:00", "yyyy-mm-dd"),
        ("period_end", "2026-10-31T00:00", "yyyy-mm-dd"),
        ("updated_at", "2026-10-05T06:00", 'yyyy-mm-dd hh:mm:ss "UTC"'),
    ],
    ids=["period-start", "period-end", "updated-at-utc"],
)
def test_dates_are_dates(written: Path, column: str, value: str, number_format: str) -> None:
    """Period bounds and the update time are date cells, the update time in UTC."""
    cell = _sheet(written, "KPIs").cell(row=2, column=KPI_HEADER.index(column) + 1)
    expected = datetime.fromisoformat(value)
    assert (cell.value, cell.is_date, cell.number_format) == (expected, True, number_format)


def test_row_note_is_a_comment_on_the_value(written: Path) -> None:
    """A result's note is the comment of its value cell."""
    comment = _sheet(written, "KPIs").cell(row=9, column=VALUE_COLUMN).comment
    assert comment is not None
    assert comment.text == "lifespan assumed: 3 y"


def test_kpis_tab_layout(written: Path) -> None:
    """The KPIs tab has its header frozen and a filter over the table."""
    sheet = _sheet(written, "KPIs")
    assert (sheet.freeze_panes, sheet.auto_filter.ref) == ("A2", "A1:L12")


def test_pipeline_bottleneck_is_filled_and_named(written: Path) -> None:
    """The bottleneck's whole row is filled, no other cell is, and the line under it names it."""
    sheet = _sheet(written, "Pipeline")
    filled = {
        (cell.row, cell.column)
        for row in sheet.iter_rows()
        for cell in row
        if cell.fill.fgColor.rgb == HIGHLIGHT.fgColor.rgb
    }
    assert filled == {(3, column) for column in range(1, 6)}
    assert sheet["A6"].value == (
        "Bottleneck in 2026-10: Sales / Proposal, 9.5 days on average over 4 visits."
    )


def test_rerun_gives_identical_content(tmp_path: Path) -> None:
    """Writing the same model twice leaves the same tabs and rows as writing it once."""
    once, twice = tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    write_xlsx(_workbook(), once)
    write_xlsx(_workbook(), twice)
    write_xlsx(_workbook(), twice)
    assert _values(twice) == _values(once)
    assert openpyxl.load_workbook(twice).sheetnames == ["KPIs", "Pipeline"]
    assert _sheet(twice, "KPIs").max_row == len(ROWS) + 1


def test_fewer_rows_leave_no_stale_rows(written: Path) -> None:
    """A rewrite with fewer results replaces the tab whole, with nothing left from before."""
    write_xlsx(_workbook(ROWS[:2]), written)
    assert _sheet(written, "KPIs").max_row == 3


def test_foreign_tabs_survive_a_rewrite(tmp_path: Path) -> None:
    """A tab the model does not own keeps its place, values and formats across rewrites."""
    path = tmp_path / "kpis.xlsx"
    book = openpyxl.Workbook()
    inputs = book.active
    assert isinstance(inputs, Worksheet)
    inputs.title = "Inputs"
    inputs.append(["month", "amount"])
    inputs.append(["2026-10", 12000])
    inputs["B2"].number_format = "#,##0"
    book.create_sheet("KPIs").append(["stale"])
    book.save(path)
    write_xlsx(_workbook(), path)
    write_xlsx(_workbook(), path)
    assert openpyxl.load_workbook(path).sheetnames == ["Inputs", "KPIs", "Pipeline"]
    assert read_tab(path, "Inputs") == [["month", "amount"], ["2026-10", 12000]]
    assert _sheet(path, "Inputs")["B2"].number_format == "#,##0"
    assert _sheet(path, "KPIs")["A1"].value == "period"


def test_failed_save_leaves_the_old_file(written: Path) -> None:
    """A save that dies halfway leaves the previous workbook intact and no temporary file."""
    before = written.read_bytes()

    def crash(book: openpyxl.Workbook, path: Path) -> None:
        path.write_bytes(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_xlsx(_workbook(ROWS[:1]), written, save=crash)
    assert written.read_bytes() == before
    assert [p.name for p in written.parent.iterdir()] == ["kpis.xlsx"]


def test_failed_first_save_creates_nothing(tmp_path: Path) -> None:
    """A first write that fails leaves no workbook behind."""

    def crash(book: openpyxl.Workbook, path: Path) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_xlsx(_workbook(), tmp_path / "kpis.xlsx", save=crash)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["KPIs", "Pipeline"], ids=["kpis", "pipeline"])
def test_no_rows_write_headers_only(tmp_path: Path, name: str) -> None:
    """Without results every tab is written with its header row alone."""
    path = tmp_path / "kpis.xlsx"
    write_xlsx(_workbook([]), path)
    rows = read_tab(path, name)
    assert rows is not None
    assert len(rows) == 1


@pytest.mark.parametrize(
    ("segment", "expected"),
    [("=1+1", "=1+1"), ("Fair\x07 2026", "Fair 2026")],
    ids=["formula-like", "control-character"],
)
def test_text_is_written_as_text(tmp_path: Path, segment: str, expected: str) -> None:
    """CRM text is never run as a formula, and characters Excel forbids are dropped."""
    path = tmp_path / "kpis.xlsx"
    row = _row(
        "campaign_revenue", Decimal("5.00"), "currency", segment_by="campaign", segment=segment
    )
    write_xlsx(_workbook([row]), path)
    cell = _sheet(path, "KPIs").cell(row=2, column=KPI_HEADER.index("segment") + 1)
    assert (cell.value, cell.data_type) == (expected, "s")


def test_naive_datetime_is_rejected(tmp_path: Path) -> None:
    """An instant without an offset cannot be written as UTC and is refused."""
    tab = Tab(
        name="T",
        header=("at",),
        rows=((datetime.fromisoformat("2026-10-05T06:00:00"),),),
        column_formats=("datetime",),
    )
    with pytest.raises(ValueError, match="no UTC offset"):
        write_xlsx(Workbook(tabs=(tab,)), tmp_path / "t.xlsx")


@pytest.mark.parametrize(
    ("filename", "tab"),
    [("kpis.xlsx", "Inputs"), ("missing.xlsx", "KPIs")],
    ids=["missing-tab", "missing-file"],
)
def test_read_tab_of_nothing_is_none(written: Path, filename: str, tab: str) -> None:
    """Reading a tab that is not there, or from a file that is not there, gives None."""
    assert read_tab(written.parent / filename, tab) is None


TREND = Tab(
    name="Trend",
    header=("period", "close_rate", "win_rate"),
    rows=(("2026-09", 0.1, 0.3), ("2026-10", 0.2, None)),
    column_formats=("text", "percent", "percent"),
    bold_rows=frozenset({1}),
    charts=(
        Chart(
            title="Rates by month",
            categories=0,
            series=(1, 2),
            first_row=0,
            last_row=1,
            y_format="percent",
        ),
    ),
)


def _chart_xml(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        return [archive.read(name).decode() for name in names]


def test_chart_is_drawn_over_its_rows(tmp_path: Path) -> None:
    """A chart's lines read the data rows, their names the row above, the x axis the labels."""
    path = tmp_path / "t.xlsx"
    write_xlsx(Workbook(tabs=(TREND,)), path)
    (xml,) = _chart_xml(path)
    for part in (
        "Rates by month",
        "'Trend'!B1",
        "'Trend'!$B$2:$B$3",
        "'Trend'!C1",
        "'Trend'!$C$2:$C$3",
        "'Trend'!$A$2:$A$3",
        'formatCode="0.0%"',
    ):
        assert part in xml


def test_chart_sits_under_the_grid(tmp_path: Path) -> None:
    """The chart's top-left corner is the cell the model places it at: A5 under 3 rows."""
    path = tmp_path / "t.xlsx"
    write_xlsx(Workbook(tabs=(TREND,)), path)
    with zipfile.ZipFile(path) as archive:
        drawing = archive.read("xl/drawings/drawing1.xml").decode()
    # 0-based: column 0, row 4, that is A5
    assert "<from><col>0</col><colOff>0</colOff><row>4</row>" in drawing


def test_rewrite_never_duplicates_charts(tmp_path: Path) -> None:
    """Writing a tab with one chart three times leaves one chart."""
    path = tmp_path / "t.xlsx"
    for _ in range(3):
        write_xlsx(Workbook(tabs=(TREND,)), path)
    assert len(_chart_xml(path)) == 1


def test_bold_rows_are_bold(tmp_path: Path) -> None:
    """A bold data row is written bold, the others are not."""
    path = tmp_path / "t.xlsx"
    write_xlsx(Workbook(tabs=(TREND,)), path)
    sheet = _sheet(path, "Trend")
    assert (sheet["A2"].font.b, sheet["A3"].font.b) == (False, True)


@pytest.mark.parametrize(
    ("status", "rgb"),
    [
        ("achieved", "C6EFCE"),
        ("on track", "C6EFCE"),
        ("at risk", "FFEB9C"),
        ("off track", "FFC7CE"),
        ("missed", "FFC7CE"),
        ("too early", "E7E6E6"),
        ("no data", "E7E6E6"),
    ],
    ids=["achieved", "on-track", "at-risk", "off-track", "missed", "too-early", "no-data"],
)
def test_status_cells_are_coloured(tmp_path: Path, status: str, rgb: str) -> None:
    """Green for achieved and on track, amber at risk, red off track and missed, else grey."""
    tab = Tab(
        name="Goals",
        header=("status",),
        rows=((status,),),
        column_formats=("text",),
        cell_styles={(0, 0): status_style(status)},
    )
    path = tmp_path / "t.xlsx"
    write_xlsx(Workbook(tabs=(tab,)), path)
    assert _sheet(path, "Goals")["A2"].fill.fgColor.rgb == f"00{rgb}"


def _inputs(rows: tuple[tuple[str, ...], ...]) -> Tab:
    return Tab(
        name="Inputs",
        header=("month", "amount"),
        rows=rows,
        column_formats=("text", "text"),
        create_only=True,
    )


def test_create_only_tab_is_created_when_missing(written: Path) -> None:
    """A create-only tab missing from the file is added after the existing tabs."""
    write_xlsx(Workbook(tabs=(_inputs((("2026-10", "1"),)),)), written)
    assert openpyxl.load_workbook(written).sheetnames == ["KPIs", "Pipeline", "Inputs"]
    assert read_tab(written, "Inputs") == [["month", "amount"], ["2026-10", "1"]]


def test_create_only_tab_is_never_overwritten(tmp_path: Path) -> None:
    """Once the tab exists, a write leaves what the team typed in it untouched."""
    path = tmp_path / "t.xlsx"
    write_xlsx(Workbook(tabs=(_inputs(()),)), path)
    book = openpyxl.load_workbook(path)
    sheet = book["Inputs"]
    assert isinstance(sheet, Worksheet)
    sheet.append(["2026-10", 12000])
    book.save(path)
    write_xlsx(Workbook(tabs=(_inputs(()),)), path)
    assert read_tab(path, "Inputs") == [["month", "amount"], ["2026-10", 12000]]


def test_blank_header_cells_stay_empty(tmp_path: Path) -> None:
    """A header padded with empty names (a tab of several blocks) leaves those cells empty."""
    tab = Tab(
        name="T",
        header=("kpi", ""),
        rows=(("close_rate", 0.1),),
        column_formats=("text", "percent"),
    )
    path = tmp_path / "t.xlsx"
    write_xlsx(Workbook(tabs=(tab,)), path)
    assert read_tab(path, "T") == [["kpi", None], ["close_rate", 0.1]]


def _real_workbook(tmp_path: Path) -> bytes:
    path = tmp_path / "real.xlsx"
    write_xlsx(Workbook(tabs=(inputs_tab(),)), path)
    data = path.read_bytes()
    path.unlink()
    return data


def _with_part(data: bytes, part: str, content: bytes) -> bytes:
    """The zip `data` with the member `part` replaced by `content`."""
    source, target = io.BytesIO(data), io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            new.writestr(item, content if item.filename == part else old.read(item))
    return target.getvalue()


def _zip_of(name: str, content: bytes) -> bytes:
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr(name, content)
    return target.getvalue()


BROKEN_FILES: list[tuple[Callable[[bytes], bytes], str]] = [
    (lambda real: b"", "is empty (0 bytes)"),
    (lambda real: b"month,amount\n2026-10,12000\n", "is not a workbook (not a zip archive"),
    (lambda real: real[: len(real) // 2], "is not a workbook (not a zip archive"),
    (lambda real: _zip_of("notes.txt", b"hello"), "is a zip archive openpyxl cannot open"),
    (
        lambda real: _with_part(real, "xl/workbook.xml", b"<workbook"),
        "is a zip archive openpyxl cannot open",
    ),
]
BROKEN_IDS = ["zero-bytes", "csv-renamed", "truncated", "zip-of-other-things", "damaged-xml"]


@pytest.mark.parametrize(("damage", "reason"), BROKEN_FILES, ids=BROKEN_IDS)
def test_reading_a_file_that_is_not_a_workbook_names_it(
    tmp_path: Path, damage: Callable[[bytes], bytes], reason: str
) -> None:
    """Reading the Inputs tab of a broken file is a WorkbookError naming the key and the file."""
    path = tmp_path / "kpis.xlsx"
    path.write_bytes(damage(_real_workbook(tmp_path)))
    with pytest.raises(WorkbookError) as caught:
        read_tab(path, INPUTS)
    assert str(caught.value).startswith(f"xlsx.path: {path} {reason}")
    assert "point xlsx.path elsewhere" in str(caught.value)


@pytest.mark.parametrize(("damage", "reason"), BROKEN_FILES, ids=BROKEN_IDS)
def test_a_file_that_is_not_a_workbook_is_never_overwritten(
    tmp_path: Path, damage: Callable[[bytes], bytes], reason: str
) -> None:
    """Writing over a broken file refuses, keeps it byte for byte and leaves nothing beside it."""
    path = tmp_path / "kpis.xlsx"
    before = damage(_real_workbook(tmp_path))
    path.write_bytes(before)
    with pytest.raises(WorkbookError, match=re.escape(reason)):
        write_xlsx(_workbook(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["kpis.xlsx"]


def test_a_damaged_tab_is_named_when_read(tmp_path: Path) -> None:
    """A tab cut off inside its rows is reported with its name when it is read, not as a crash.

    openpyxl's read-only mode parses a tab's rows only as they are read, after the file opened.
    """
    path = tmp_path / "kpis.xlsx"
    real = _real_workbook(tmp_path)
    with zipfile.ZipFile(io.BytesIO(real)) as archive:
        tab = archive.read("xl/worksheets/sheet1.xml")
    cut = tab[: tab.index(b"</sheetData>") - 5]
    path.write_bytes(_with_part(real, "xl/worksheets/sheet1.xml", cut))
    with pytest.raises(WorkbookError, match="has a tab 'Inputs' openpyxl cannot read"):
        read_tab(path, INPUTS)


def test_the_written_workbook_opens_again_after_an_interrupted_rewrite(written: Path) -> None:
    """The old file is replaced only by a complete one: after a failed save the next run reads."""

    def crash(book: openpyxl.Workbook, path: Path) -> None:
        path.write_bytes(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_xlsx(_workbook(ROWS[:1]), written, save=crash)
    write_xlsx(_workbook(), written)
    assert read_tab(written, "KPIs") == _values(written)["KPIs"]
