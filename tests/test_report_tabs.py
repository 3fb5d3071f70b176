"""The report tabs: names, headers, stacked tables and the semantic formats of their cells."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from kpis.dataset import Dataset
from kpis.reports.before_after import before_after
from kpis.reports.forecast import forecast
from kpis.reports.lost_deals import lost_deals
from kpis.reports.performance import sales_performance
from sync.outputs.before_after_tab import before_after_tab
from sync.outputs.report_tabs import (
    Column,
    Table,
    forecast_tab,
    lost_deals_tab,
    sales_performance_tab,
    stack,
)
from sync.outputs.workbook import Tab, Workbook
from sync.outputs.xlsx import read_tab, write_xlsx
from tests.kpi_builders import at, deal, details, owner, period, settings

NOW = at("2026-10-15T10:00Z")
OCTOBER = period("2026-10")
SETTINGS = replace(settings(rates={"USD": "0.92"}), forecast_months=2)
DATA = Dataset(
    owners=[owner("u1", "Ada")],
    deals=[
        details(deal("late", amount="100", owner="u1"), expected="2026-09-20", probability=0.5),
        details(deal("nov", amount="200", currency="USD"), expected="2026-11-03", probability=0.5),
        details(deal("undated", amount="10"), name="No date"),
        deal("won", won="2026-10-02", amount="300", owner="u1"),
        details(deal("lost", lost="2026-10-05", amount="40"), reason="Price"),
    ],
)


def _forecast() -> Tab:
    return forecast_tab(forecast(DATA, SETTINGS, NOW))


def _performance() -> Tab:
    return sales_performance_tab(sales_performance(DATA, OCTOBER, SETTINGS))


def _lost() -> Tab:
    return lost_deals_tab(lost_deals(DATA, OCTOBER, SETTINGS))


def _before_after() -> Tab:
    return before_after_tab(before_after(DATA, SETTINGS, date(2026, 3, 1), 6, NOW))


@pytest.mark.parametrize(
    ("build", "name", "header"),
    [
        (
            _forecast,
            "Forecast",
            (
                "month",
                "open_deals",
                "amount",
                "weighted",
                "without_amount",
                "without_probability",
                "won_deals_so_far",
                "won_so_far",
            ),
        ),
        (
            _performance,
            "Sales performance",
            (
                "period",
                "owner",
                "won_deals",
                "won_value",
                "average_won_value",
                "open_deals",
                "open_value",
            ),
        ),
        (_lost, "Lost deals", ("period", "reason", "deals", "share", "value", "", "", "")),
        (
            _before_after,
            "Before vs after",
            (
                "kpi",
                "unit",
                "before",
                "after",
                "change",
                "relative_change",
                "before_n",
                "after_n",
            ),
        ),
    ],
    ids=["forecast", "sales-performance", "lost-deals", "before-vs-after"],
)
def test_tab_name_and_frozen_header(
    build: Callable[[], Tab], name: str, header: tuple[str, ...]
) -> None:
    """Each tab has its exact name and the first table's header, frozen."""
    tab = build()
    assert (tab.name, tab.header, tab.frozen_rows) == (name, header, 1)


def test_forecast_lines_in_time_order_with_won_so_far_on_this_month() -> None:
    """Overdue earlier months, each month, later, undated; won so far only on the current month."""
    rows = _forecast().rows
    # 100 * 0.5 = 50 before October; 200 USD * 0.92 * 0.5 = 92 in November; won 300 in October
    assert [row[:4] + row[6:] for row in rows[:5]] == [
        ("before 2026-10 (overdue)", 1, Decimal("100.00"), Decimal("50.00"), None, None),
        ("2026-10", 0, None, None, 1, Decimal("300.00")),
        ("2026-11", 1, Decimal("184.00"), Decimal("92.00"), None, None),
        ("after 2026-11", 0, None, None, None, None),
        ("no expected date", 1, Decimal("10.00"), None, None, None),
    ]


def test_forecast_money_columns_are_in_the_reporting_currency() -> None:
    """Amount, weighted and won-so-far columns are formatted `currency:EUR`."""
    formats = _forecast().column_formats
    assert [formats[i] for i in (2, 3, 7)] == ["currency:EUR"] * 3


def test_further_tables_follow_a_blank_row_with_bold_title_and_header() -> None:
    """The overdue table comes after a blank row, as a bold title row and header row in text."""
    tab = _forecast()
    blank, title, header, first = tab.rows[5:9]
    assert (set(blank), title[0], header) == (
        {None},
        "Overdue: open deals expected to close before today (2026-10-15), most overdue first",
        (
            "deal_id",
            "name",
            "owner",
            "currency",
            "amount",
            "value_EUR",
            "expected_on",
            "days_overdue",
        ),
    )
    assert tab.bold_rows == frozenset({6, 7})
    assert [tab.format_at((7, column)) for column in range(8)] == ["text"] * 8
    assert (first[0], first[2], first[6], first[7]) == ("late", "Ada", date(2026, 9, 20), 25)
    assert [tab.format_at((8, column)) for column in (6, 7)] == ["date", "integer"]


USD_DEALS = Dataset(
    deals=[
        details(deal("late-usd", amount="200", currency="USD"), expected="2026-09-20"),
        details(deal("lost-usd", lost="2026-10-05", amount="200", currency="USD"), reason="Price"),
    ]
)


@pytest.mark.parametrize(
    ("build", "deal_id", "row"),
    [
        (
            lambda: forecast_tab(forecast(USD_DEALS, SETTINGS, NOW)),
            "late-usd",
            ("USD", Decimal("200.00"), Decimal("184.00")),
        ),
        (_forecast, "late", ("EUR", Decimal("100.00"), Decimal("100.00"))),
        (
            lambda: lost_deals_tab(lost_deals(USD_DEALS, OCTOBER, SETTINGS)),
            "lost-usd",
            ("USD", Decimal("200.00"), Decimal("184.00")),
        ),
        (_lost, "lost", ("EUR", Decimal("40.00"), Decimal("40.00"))),
    ],
    ids=["overdue-in-usd", "overdue-without-currency", "lost-in-usd", "lost-without-currency"],
)
def test_listed_deals_give_amount_currency_and_value_in_columns_of_their_own(
    build: Callable[[], Tab], deal_id: str, row: tuple[object, ...]
) -> None:
    """A listed deal's currency code is a column, its amount a number in that currency's
    format, and its value is in the reporting currency."""
    tab = build()
    (index,) = [i for i, line in enumerate(tab.rows) if line[0] == deal_id]
    assert tab.rows[index][3:6] == row
    assert [tab.format_at((index, column)) for column in (3, 4, 5)] == [
        "text",
        f"currency:{row[0]}",
        "currency:EUR",
    ]


def test_stack_moves_a_further_table_highlights_under_the_first() -> None:
    """A highlighted cell of the second table lands on its row in the tab, past the titles."""
    first = Table(title="One", columns=(Column("a", "text"),), rows=[("x",), ("y",)])
    second = Table(
        title="Two",
        columns=(Column("b", "text"), Column("c", "integer")),
        rows=[("z", 1)],
        highlights=frozenset({(0, 1)}),
    )
    # rows: x, y, blank, title, header, z
    assert stack("T", [first, second]).highlights == {(5, 1)}


def test_currency_table_shows_each_original_amount_in_its_currency() -> None:
    """In Deals by currency, the amount cell is formatted in the deal currency."""
    tab = _performance()
    (usd,) = [i for i, row in enumerate(tab.rows) if row[0] == "USD"]
    assert (tab.rows[usd][:4], tab.format_at((usd, 2)), tab.format_at((usd, 3))) == (
        ("USD", 1, Decimal("200.00"), Decimal("184.00")),
        "currency:USD",
        "currency:EUR",
    )


def test_lost_share_is_a_percent() -> None:
    """The reason table's share column is formatted as a percent, 1 of 1 lost is 1.0."""
    tab = _lost()
    assert (tab.rows[0][:4], tab.column_formats[3]) == (("2026-10", "Price", 1, 1.0), "percent")


def test_report_tabs_render_to_xlsx(tmp_path: Path) -> None:
    """All four tabs write to one workbook and read back with their titles in place."""
    path = tmp_path / "kpis.xlsx"
    tabs = (_forecast(), _performance(), _lost(), _before_after())
    write_xlsx(Workbook(tabs=tabs), path)
    lost = read_tab(path, "Lost deals")
    assert lost is not None
    assert (lost[0][:2], lost[3][0]) == (["period", "reason"], "Deals lost in 2026-10")
