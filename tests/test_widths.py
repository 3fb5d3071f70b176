"""Column widths from what the cells show: header and longest cell, capped text wraps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from sync.outputs.widths import HEADING_WIDTH, MAX_WIDTH, NOTE_WIDTH, shown, width_of
from sync.outputs.workbook import CellValue, FormatKind, Tab


@pytest.mark.parametrize(
    ("value", "kind", "code", "text"),
    [
        (0.125, "percent", None, "12.5%"),
        (-0.9876, "percent", None, "-98.8%"),
        (Decimal("-1234567.5"), "currency", "EUR", "-1,234,567.50 EUR"),
        (Decimal("304888.77"), "whole_currency", "EUR", "304,889 EUR"),
        (-12.25, "points", None, "-12.2 pp"),
        (2.345, "multiple", None, "2.3\N{MULTIPLICATION SIGN}"),
        (12.34, "days", None, "12.3"),
        (1234.5, "hours", None, "1234.5"),
        (1234, "integer", None, "1,234"),
        (Decimal("1234.5"), "number", None, "1,234.50"),
        (date(2026, 10, 31), "date", None, "2026-10-31"),
        (datetime(2026, 10, 31, 6, 0, tzinfo=UTC), "datetime", None, "2026-10-31 06:00:00 UTC"),
        ("Sales / Contract sent", "text", None, "Sales / Contract sent"),
        (None, "percent", None, ""),
    ],
    ids=[
        "percent",
        "negative-percent",
        "currency",
        "whole-currency",
        "points",
        "multiple",
        "days",
        "hours-no-separator",
        "integer",
        "number",
        "date",
        "datetime",
        "text",
        "empty",
    ],
)
def test_shown_text_follows_the_format(
    value: CellValue, kind: FormatKind, code: str | None, text: str
) -> None:
    """The text a cell shows is its value under its format's pattern, as both writers set it."""
    assert shown(value, kind, code) == text


def _tab(
    header: tuple[str, ...],
    rows: tuple[tuple[CellValue, ...], ...],
    formats: tuple[str, ...],
    **fields: object,
) -> Tab:
    return Tab(name="T", header=header, rows=rows, column_formats=formats, **fields)  # type: ignore[arg-type]


def test_a_column_is_as_wide_as_its_longest_shown_cell() -> None:
    """A money column widens to its longest amount as shown, currency code and all."""
    tab = _tab(("a",), ((Decimal("5"),), (Decimal("-1234567.5"),)), ("currency:EUR",))
    assert tab.column_widths == (width_of("-1,234,567.50 EUR"),)


def test_a_header_longer_than_its_cells_sets_the_width() -> None:
    """The bold header is never cut, however short the values under it."""
    tab = _tab(("without_probability",), ((1,),), ("integer",))
    assert tab.column_widths == (width_of("without_probability", bold=True),)
    assert width_of("without_probability", bold=True) > width_of("without_probability")


def test_long_text_is_capped_and_wraps() -> None:
    """A reason longer than the cap gets a column of the cap's width and wraps; short ones
    in that column wrap too, and nothing in other columns does."""
    reason = "The customer chose a competitor after a long evaluation of both offers " * 2
    tab = _tab(("reason", "deals"), ((reason, 3), ("price", 1)), ("text", "integer"))
    assert tab.column_widths[0] == MAX_WIDTH
    assert tab.fit.wrapped == frozenset({(0, 0), (1, 0)})


def test_text_that_fits_does_not_wrap() -> None:
    """A column within the cap wraps nothing."""
    tab = _tab(("stage", "n"), (("Sales / Contract sent", 3),), ("text", "integer"))
    assert tab.fit.wrapped == frozenset()


def test_a_title_over_empty_cells_spills_instead_of_widening_its_column() -> None:
    """A section title with nothing to its right runs over its neighbours: its own column
    keeps the width its other cells need."""
    title = "Deals lost in 2026-10"
    tab = _tab(
        ("deal_id", "name", "amount", "reason"),
        ((title, None, None, None), ("1-1", "Acme renewal", Decimal("10"), "price")),
        ("text", "text", "currency:EUR", "text"),
        bold_rows=frozenset({0}),
    )
    assert tab.column_widths[0] == width_of("deal_id", bold=True)
    assert width_of(title, bold=True) <= sum(tab.column_widths)


def test_a_title_wider_than_the_table_widens_its_last_column() -> None:
    """Sheets cuts text at the grid's edge, so the columns a long title spans grow to hold it."""
    title = "Stuck deals on 2026-10-05 09:30: open longer than their stage's threshold"
    rows: tuple[tuple[CellValue, ...], ...] = ((title, None), ("1", 2))
    tab = _tab(("id", "n"), rows, ("text", "integer"), bold_rows=frozenset({0}))
    assert sum(tab.column_widths) == width_of(title, bold=True)
    assert tab.column_widths[0] == width_of("id", bold=True)


def test_notes_are_broken_to_the_tables_width() -> None:
    """A long note becomes lines no wider than the table, so none runs past its edge."""
    words = "Revenue goals are paced against the share of their window that has passed"
    tab = _tab(("a",), (("x",),), ("text",), notes=(f"{words}. {words}.",))
    lines = [row[0] for row in tab.grid()[3:]]
    assert len(lines) == 2
    assert " ".join(str(line) for line in lines) == f"{words}. {words}."
    assert all(len(str(line)) <= NOTE_WIDTH for line in lines)
    assert sum(tab.column_widths) == max(width_of(str(line)) for line in lines)


def test_short_notes_stay_whole() -> None:
    """A note that fits is one line, as written."""
    tab = _tab(("a", "b"), ((1, 2),), ("integer", "integer"), notes=("Updated today.",))
    assert tab.grid()[3] == ["Updated today.", None]


def test_capitals_take_more_room_than_digits() -> None:
    """An amount's currency code needs more room than as many digits."""
    assert width_of("100 EUR") > width_of("100 123")


@pytest.mark.parametrize(
    ("values", "width"),
    [
        ((0.25, 0.5), HEADING_WIDTH),
        ((Decimal("1234567.5"), Decimal("1")), width_of("1,234,567.50 EUR")),
    ],
    ids=["down-to-the-least-width", "down-to-its-data"],
)
def test_a_long_heading_inside_the_table_wraps_over_its_column_of_figures(
    values: tuple[CellValue, ...], width: int
) -> None:
    """A stacked block's bold heading wraps to its column's data, never below the least width;
    the figures under it do not wrap."""
    label = "Time to resolution (business hours, mean)"
    fmt = "percent" if isinstance(values[0], float) else "currency:EUR"
    rows = (("period", label), ("2026-10", values[0]), ("2026-11", values[1]))
    tab = _tab(("", ""), rows, ("text", fmt), bold_rows=frozenset({0}))
    assert tab.column_widths[1] == width
    assert tab.fit.wrapped == frozenset({(0, 1)})
