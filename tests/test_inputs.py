"""The Inputs tab: created once with its explanation, read back into monthly spend."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kpis.settings import MonthlySpend
from sync.outputs.inputs import INPUTS_HEADER, INPUTS_NOTE, inputs_tab, merge_spend, read_spend
from sync.outputs.workbook import Workbook
from sync.outputs.xlsx import read_tab, write_xlsx

HEADER: list[object] = list(INPUTS_HEADER)


def _spend(month: str, amount: str, currency: str | None = None) -> MonthlySpend:
    return MonthlySpend(date.fromisoformat(f"{month}-01"), Decimal(amount), currency)


def test_inputs_tab_is_header_and_explanation_created_once() -> None:
    """The tab is the four-column header, no rows, the format explained, and create-only."""
    tab = inputs_tab()
    assert (tab.name, tab.header, tab.rows, tab.notes, tab.create_only) == (
        "Inputs",
        ("month", "amount", "currency", "note"),
        (),
        (INPUTS_NOTE,),
        True,
    )


def test_fresh_tab_reads_as_no_spend(tmp_path: Path) -> None:
    """A just-created Inputs tab, explanation line included, holds no spend and no problem."""
    path = tmp_path / "kpis.xlsx"
    write_xlsx(Workbook(tabs=(inputs_tab(),)), path)
    rows = read_tab(path, "Inputs")
    assert rows is not None
    assert read_spend(rows) == ([], [])


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["2026-10", 12000, None, None], _spend("2026-10", "12000")),
        ([" 2026-10 ", 12000.5, "", "ads"], _spend("2026-10", "12000.5")),
        (
            [datetime.fromisoformat("2026-10-01T00:00"), "12000.50", "usd", None],
            _spend("2026-10", "12000.50", "USD"),
        ),
        ([date(2026, 10, 17), 0, None, None], _spend("2026-10", "0")),
        (["2026-10-17", Decimal("7.25"), " EUR ", None], _spend("2026-10", "7.25", "EUR")),
    ],
    ids=[
        "text-month-int",
        "padded-float",
        "datetime-cell-text-amount",
        "date-cell-zero",
        "iso-day",
    ],
)
def test_read_spend_understands_cells(row: list[object], expected: MonthlySpend) -> None:
    """Months as text or dates become the first of the month; amounts as numbers or text."""
    assert read_spend([HEADER, row]) == ([expected], [])


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (["2026-10", "abc", None, None], "Inputs!B2: 'abc' is not an amount"),
        (["2026-10", "12,000", None, None], "Inputs!B2: '12,000' is not an amount"),
        (["2026-10", None, None, "late"], "Inputs!B2: an empty cell is not an amount"),
        (["2026-10", True, None, None], "Inputs!B2: True is not an amount"),
        (["2026-10", -5, None, None], "Inputs!B2: -5 is negative; spend is 0 or more"),
        (["Oct 2026", 5, None, None], "Inputs!A2: 'Oct 2026' is not a month like 2026-10"),
        (["2026-13", 5, None, None], "Inputs!A2: '2026-13' is not a month like 2026-10"),
        ([None, 5, None, None], "Inputs!A2: an empty cell is not a month like 2026-10"),
        (["2026-10", 5, "euro", None], "Inputs!C2: 'euro' is not a currency code like USD"),
    ],
    ids=[
        "word-amount",
        "thousands-separator",
        "missing-amount",
        "boolean-amount",
        "negative-amount",
        "month-name",
        "month-13",
        "missing-month",
        "currency-name",
    ],
)
def test_bad_cell_is_reported_by_address(row: list[object], problem: str) -> None:
    """A cell that cannot be read is named with its address and its row is left out."""
    assert read_spend([HEADER, row]) == ([], [problem])


def test_other_rows_are_used_beside_a_bad_one() -> None:
    """One bad row does not cost the others: they are read, the bad one reported."""
    rows = [HEADER, ["2026-09", 100], ["2026-10", 200], ["2026-11", "abc"], ["2026-12", 400]]
    spend, problems = read_spend(rows)
    assert spend == [_spend("2026-09", "100"), _spend("2026-10", "200"), _spend("2026-12", "400")]
    assert problems == ["Inputs!B4: 'abc' is not an amount"]


def test_blank_comment_and_explanation_rows_are_skipped() -> None:
    """Empty rows, rows with only a note and the explanation line are not spend nor problems."""
    rows = [HEADER, [], [None, None, None, None], [None, "", None, "Q4 budget"], [INPUTS_NOTE]]
    assert read_spend([*rows, ["2026-10", 5]]) == ([_spend("2026-10", "5")], [])


def test_columns_are_found_by_header_name() -> None:
    """Reordered, renamed in case, or with extra columns, the header tells where each value is."""
    rows: list[list[object]] = [
        ["Note", "Amount", "Owner", "Month"],
        ["ads", "abc", "Ada", "2026-10"],
    ]
    rows.append([None, 30, "Bob", "2026-11"])
    assert read_spend(rows) == ([_spend("2026-11", "30")], ["Inputs!B2: 'abc' is not an amount"])


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (["month", "spend"], "Inputs!A1: the header has no amount column"),
        (["when", "spend"], "Inputs!A1: the header has no month or amount column"),
    ],
    ids=["no-amount", "neither"],
)
def test_header_without_required_columns_reads_nothing(header: list[object], problem: str) -> None:
    """Without a month and an amount column nothing can be read, and the header is named."""
    assert read_spend([header, ["2026-10", 5]]) == ([], [problem])


def test_no_rows_read_as_no_spend() -> None:
    """An empty tab holds no spend and no problem."""
    assert read_spend([]) == ([], [])


def test_rows_of_one_month_add_up() -> None:
    """Two rows of one month in one currency are that month's spend together: 100 + 50.5."""
    rows = [HEADER, ["2026-10", 100, "USD", "ads"], ["2026-10", "50.5", "usd", "events"]]
    assert read_spend(rows) == ([_spend("2026-10", "150.5", "USD")], [])


def test_month_in_two_currencies_keeps_the_first() -> None:
    """A month listed again in another currency is a problem; the first currency's rows stand."""
    rows = [HEADER, ["2026-10", 100, "USD"], ["2026-10", 50, None], ["2026-10", 1, "USD"]]
    assert read_spend(rows) == (
        [_spend("2026-10", "101", "USD")],
        ["Inputs!C3: 2026-10 is already listed in USD; give each month one currency"],
    )


def test_inputs_tab_wins_over_config_for_its_months() -> None:
    """A month in both the config and the tab takes the tab's amount; the others are kept."""
    config = [_spend("2026-09", "1"), _spend("2026-10", "2")]
    tab = [_spend("2026-10", "20", "USD"), _spend("2026-11", "30")]
    assert merge_spend(config, tab) == [
        _spend("2026-09", "1"),
        _spend("2026-10", "20", "USD"),
        _spend("2026-11", "30"),
    ]
