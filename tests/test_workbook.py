"""The workbook model: the KPIs and Pipeline tabs built from result rows, and its invariants."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kpis.periods import parse_period
from kpis.results import Number, ResultRow, Unit
from kpis.stuck import StuckDeal, StuckDeals
from sync.outputs.kpi_tabs import kpis_tab, pipeline_tab
from sync.outputs.tidy import KPI_HEADER
from sync.outputs.workbook import CHART_ROWS, Chart, Tab, Workbook, parse_format

BERLIN = ZoneInfo("Europe/Berlin")
UPDATED = datetime(2026, 10, 5, 6, 0, tzinfo=UTC)
VALUE = KPI_HEADER.index("value")


def _row(
    kpi: str = "close_rate",
    *,
    label: str = "2026-10",
    segment_by: str = "all",
    segment: str = "all",
    value: Number | None = Decimal("0.1"),
    unit: Unit = "ratio",
    n: int = 4,
    note: str | None = None,
) -> ResultRow:
    return ResultRow(
        kpi=kpi,
        period=parse_period(label, BERLIN),
        segment_by=segment_by,
        segment=segment,
        value=value,
        unit=unit,
        n=n,
        note=note,
    )


def _stage(
    stage: str, mean: Number | None, median: Number | None, label: str = "2026-10"
) -> list[ResultRow]:
    return [
        _row(kpi, label=label, segment_by="stage", segment=stage, value=value, unit="days")
        for kpi, value in (("stage_duration_days", mean), ("stage_duration_days_median", median))
    ]


def _tab(name: str, rows: list[ResultRow]) -> Tab:
    if name == "KPIs":
        return kpis_tab(rows, updated_at=UPDATED, currency="EUR")
    assert name == "Pipeline"
    return pipeline_tab(rows)


def test_kpis_tab_header_is_exact() -> None:
    """The KPIs tab's header is KPI_HEADER."""
    assert _tab("KPIs", [_row()]).header == KPI_HEADER


def test_kpis_tab_has_one_row_per_result_in_order() -> None:
    """Each result becomes one row, in the order given."""
    rows = [_row("win_rate"), _row("close_rate"), _row("churn_rate")]
    assert [row[KPI_HEADER.index("kpi")] for row in _tab("KPIs", rows).rows] == [
        "win_rate",
        "close_rate",
        "churn_rate",
    ]


def test_kpis_tab_row_holds_typed_values() -> None:
    """A row carries dates, numbers and the UTC update time as values, not text."""
    assert _tab("KPIs", [_row(value=Decimal("0.25"))]).rows[0] == (
        "2026-10",
        date(2026, 10, 1),
        date(2026, 10, 31),
        "close_rate",
        "all",
        "all",
        Decimal("0.25"),
        "ratio",
        4,
        None,
        None,
        UPDATED,
    )


@pytest.mark.parametrize(
    ("unit", "currency", "value", "expected"),
    [
        ("ratio", "EUR", Decimal("0.1"), "percent"),
        ("currency", "EUR", Decimal("0.1"), "currency:EUR"),
        ("currency", "USD", Decimal("0.1"), "currency:USD"),
        ("days", "EUR", Decimal("0.1"), "days"),
        ("hours", "EUR", Decimal("0.1"), "hours"),
        ("score", "EUR", Decimal("0.1"), "number"),
        ("count", "EUR", 12, "integer"),
        ("count", "EUR", Decimal("1.75"), "number"),
    ],
    ids=["ratio", "currency-eur", "currency-usd", "days", "hours", "score", "count", "mean-count"],
)
def test_value_format_follows_unit(unit: Unit, currency: str, value: Number, expected: str) -> None:
    """The value cell's format is chosen by its row's unit; money in the reporting currency,
    counts as integers unless a mean count has decimals."""
    tab = kpis_tab([_row(unit=unit, value=value)], updated_at=UPDATED, currency=currency)
    assert tab.format_at((0, VALUE)) == expected


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("period_start", "date"),
        ("period_end", "date"),
        ("n", "integer"),
        ("updated_at", "datetime"),
    ],
    ids=["period-start", "period-end", "n", "updated-at"],
)
def test_kpis_column_formats(column: str, expected: str) -> None:
    """Dates, counts and the update time have formats of their kind."""
    assert _tab("KPIs", [_row()]).format_at((0, KPI_HEADER.index(column))) == expected


def test_row_note_is_a_note_on_its_value_cell() -> None:
    """A result's note is attached to that row's value cell, not added as a column."""
    tab = _tab("KPIs", [_row(), _row(note="lifespan assumed: 3 years")])
    assert dict(tab.cell_notes) == {(1, VALUE): "lifespan assumed: 3 years"}


def test_kpis_tab_has_autofilter_and_frozen_header() -> None:
    """The tidy table is filterable with its header frozen."""
    tab = _tab("KPIs", [_row()])
    assert (tab.autofilter, tab.frozen_rows) == (True, 1)


def test_pipeline_pairs_mean_and_median_per_stage() -> None:
    """Each stage gets one line with its mean, median and n, in the order given."""
    rows = [*_stage("Sales / Qualified", 2.5, 2), *_stage("Sales / Proposal", 7, Decimal("6.5"))]
    assert _tab("Pipeline", rows).rows == (
        ("2026-10", "Sales / Qualified", 2.5, 2, 4),
        ("2026-10", "Sales / Proposal", 7, Decimal("6.5"), 4),
    )


def test_pipeline_shows_the_most_recent_period() -> None:
    """Only the latest period with stage durations is shown; a month wins over its quarter."""
    rows = [
        *_stage("Sales / Qualified", 9, 9, label="2026-09"),
        *_stage("Sales / Qualified", 3, 3, label="2026-Q4"),
        *_stage("Sales / Qualified", 1, 1, label="2026-10"),
        _row("close_rate", label="2026-11"),
    ]
    assert _tab("Pipeline", rows).rows == (("2026-10", "Sales / Qualified", 1, 1, 4),)


def test_pipeline_skips_the_all_stages_row() -> None:
    """The over-all-stages row is not a stage of the table."""
    rows = [_row("stage_duration_days", segment_by="all", value=5, unit="days")]
    rows += _stage("Sales / Qualified", 2, 2)
    assert [row[1] for row in _tab("Pipeline", rows).rows] == ["Sales / Qualified"]


def test_pipeline_marks_the_bottleneck() -> None:
    """The stage with the longest mean has its whole row highlighted and a line naming it."""
    rows = [*_stage("Sales / Qualified", 2, 2), *_stage("Sales / Proposal", 12.34, 3)]
    rows += _stage("Sales / Contract", 5, 9)
    tab = _tab("Pipeline", rows)
    assert tab.highlights == {(1, column) for column in range(5)}
    assert tab.notes == (
        "Bottleneck in 2026-10: Sales / Proposal, 12.3 days on average over 4 visits.",
    )


def test_pipeline_bottleneck_tie_goes_to_the_first_stage() -> None:
    """Two stages with the same longest mean: the first one is the bottleneck."""
    rows = [*_stage("Sales / Qualified", 1, 1), *_stage("Sales / Proposal", 4, 4)]
    rows += _stage("Sales / Contract", Decimal("4.0"), 4)
    assert {row for row, _ in _tab("Pipeline", rows).highlights} == {1}


def test_pipeline_without_means_has_no_bottleneck() -> None:
    """Stages whose means are all undefined mark nothing and name nothing."""
    tab = _tab("Pipeline", _stage("Sales / Qualified", None, None))
    assert (len(tab.rows), tab.highlights, tab.notes) == (1, frozenset(), ())


def test_pipeline_lists_stuck_deals_under_the_durations() -> None:
    """After a blank row, a bold title and header: each stuck deal with its days in stage and
    its stage's threshold in columns of their own; the bottleneck keeps its highlight and
    its line."""
    rows = [*_stage("Sales / Qualified", 2, 2), *_stage("Sales / Proposal", 12.34, 3)]
    stuck = StuckDeals(
        period=parse_period("2026-10", BERLIN),
        at=UPDATED,
        deals=(
            StuckDeal("d2", "Acme", "Sales / Proposal", "Ada", 30.5, 12.0),
            StuckDeal("d1", None, "Sales / Qualified", "(none)", 9.25, 4.0),
        ),
    )
    tab = pipeline_tab(rows, stuck)
    assert tab.rows[2:] == (
        (None,) * 6,
        (
            "Stuck deals on 2026-10-05 08:00: open longer than their stage's threshold, "
            "longest first",
            *(None,) * 5,
        ),
        ("deal_id", "name", "stage", "owner", "days_in_stage", "threshold_days"),
        ("d2", "Acme", "Sales / Proposal", "Ada", 30.5, 12.0),
        ("d1", None, "Sales / Qualified", "(none)", 9.25, 4.0),
    )
    assert (tab.header, tab.bold_rows) == (
        (*pipeline_tab(rows).header, ""),
        frozenset({3, 4}),
    )
    assert [tab.format_at((5, column)) for column in (2, 4, 5)] == ["text", "days", "days"]
    assert dict(tab.cell_notes) == {}
    assert (tab.highlights, tab.notes) == (pipeline_tab(rows).highlights, pipeline_tab(rows).notes)


@pytest.mark.parametrize(
    ("name", "header"),
    [("KPIs", KPI_HEADER), ("Pipeline", ("period", "stage", "mean_days", "median_days", "n"))],
    ids=["kpis", "pipeline"],
)
def test_no_rows_give_header_only_tabs(name: str, header: tuple[str, ...]) -> None:
    """Without results each tab is its header alone: no rows, marks or notes."""
    tab = _tab(name, [])
    assert (tab.header, tab.rows, tab.highlights, tab.notes, dict(tab.cell_notes)) == (
        header,
        (),
        frozenset(),
        (),
        {},
    )


def test_grid_puts_note_lines_under_a_blank_row() -> None:
    """The grid is header, rows, one blank row, then the note lines in the first column."""
    tab = Tab(
        name="T",
        header=("a", "b"),
        rows=((1, 2),),
        column_formats=("integer", "integer"),
        notes=("first", "second"),
    )
    assert tab.grid() == [["a", "b"], [1, 2], [None, None], ["first", None], ["second", None]]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rows": ((1,),)}, "row 0 has 1 cells, not 2"),
        ({"column_formats": ("integer",)}, "1 column_formats for 2 columns"),
        ({"column_formats": ("integer", "money")}, "format 'money'"),
        ({"cell_formats": {(0, 0): "currency:euro"}}, "format 'currency:euro'"),
        ({"highlights": frozenset({(1, 0)})}, r"cell \(1, 0\) is outside"),
        ({"cell_notes": {(0, 2): "x"}}, r"cell \(0, 2\) is outside"),
    ],
    ids=[
        "short-row",
        "missing-format",
        "unknown-format",
        "bad-currency-code",
        "highlight-outside",
        "note-outside",
    ],
)
def test_tab_rejects_inconsistent_layout(fields: dict[str, object], message: str) -> None:
    """A tab whose parts disagree with its header is refused with the reason."""
    layout: dict[str, object] = {
        "name": "T",
        "header": ("a", "b"),
        "rows": ((1, 2),),
        "column_formats": ("integer", "integer"),
    }
    with pytest.raises(ValueError, match=message):
        Tab(**{**layout, **fields})


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("percent", ("percent", None)),
        ("currency:EUR", ("currency", "EUR")),
        ("text", ("text", None)),
    ],
    ids=["percent", "currency", "text"],
)
def test_parse_format(fmt: str, expected: tuple[str, str | None]) -> None:
    """A semantic format splits into its kind and currency code."""
    assert parse_format(fmt) == expected


@pytest.mark.parametrize(
    "fmt", ["currency", "percent:EUR", "0.0%"], ids=["no-code", "code-on-percent", "excel"]
)
def test_parse_format_rejects_unknown(fmt: str) -> None:
    """Anything but a known kind or currency:XXX is refused."""
    with pytest.raises(ValueError, match="is not one of"):
        parse_format(fmt)


def test_workbook_rejects_repeated_tab_names() -> None:
    """Two tabs of one name would overwrite each other, so the model refuses them."""
    tab = _tab("KPIs", [])
    with pytest.raises(ValueError, match="tab names repeat"):
        Workbook(tabs=(tab, tab))


def _chart(**fields: object) -> Chart:
    layout: dict[str, object] = {
        "title": "c",
        "categories": 0,
        "series": (1,),
        "first_row": 0,
        "last_row": 1,
        "y_format": "percent",
    }
    return Chart(**{**layout, **fields})  # type: ignore[arg-type]


def _table(**fields: object) -> Tab:
    layout: dict[str, object] = {
        "name": "T",
        "header": ("period", "rate"),
        "rows": (("2026-09", 0.1), ("2026-10", 0.2)),
        "column_formats": ("text", "percent"),
    }
    return Tab(**{**layout, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"charts": (_chart(series=(2,)),)}, "needs series and columns in the table"),
        ({"charts": (_chart(series=()),)}, "needs series and columns in the table"),
        ({"charts": (_chart(categories=-1),)}, "needs series and columns in the table"),
        ({"charts": (_chart(last_row=2),)}, r"rows 0..2 are outside the table"),
        ({"charts": (_chart(first_row=1, last_row=0),)}, r"rows 1..0 are outside the table"),
        ({"charts": (_chart(y_format="money"),)}, "format 'money'"),
        ({"cell_styles": {(0, 0): "status:great"}}, "cell style 'status:great' is unknown"),
        ({"cell_styles": {(2, 0): "status:missed"}}, r"cell \(2, 0\) is outside"),
        ({"bold_rows": frozenset({2})}, "bold row 2 is outside"),
    ],
    ids=[
        "series-outside",
        "no-series",
        "categories-outside",
        "rows-outside",
        "rows-reversed",
        "unknown-axis-format",
        "unknown-style",
        "style-outside",
        "bold-outside",
    ],
)
def test_tab_rejects_inconsistent_charts_and_styles(
    fields: dict[str, object], message: str
) -> None:
    """Charts, styles and bold rows must point inside the table and use known names."""
    with pytest.raises(ValueError, match=message):
        _table(**fields)


@pytest.mark.parametrize(
    ("notes", "index", "anchor"),
    [((), 0, (4, 0)), ((), 1, (4 + CHART_ROWS, 0)), (("a note",), 0, (6, 0))],
    ids=["first", "second", "under-notes"],
)
def test_charts_stack_under_the_grid(
    notes: tuple[str, ...], index: int, anchor: tuple[int, int]
) -> None:
    """Charts start one blank row under the grid (notes included) and stack downwards."""
    # grid: header + 2 rows = 3 sheet rows (+ blank + note = 5); the chart leaves one blank row
    assert _table(notes=notes, charts=(_chart(), _chart())).chart_anchor(index) == anchor
