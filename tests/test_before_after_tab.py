"""The Before vs after tab: labels, unit formats, points, the windows and their notes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from kpis.dataset import Dataset
from kpis.reports.before_after import BeforeAfter, Elapsed, before_after, compare
from kpis.results import ResultRow
from sync.outputs.before_after_tab import before_after_tab
from sync.outputs.workbook import Tab
from tests.kpi_builders import at, deal, details, owner, period, settings

NOW = at("2026-10-15T10:00Z")
SETTINGS = settings(rates={"USD": "0.92"})
DATA = Dataset(
    owners=[owner("u1", "Ada")],
    deals=[
        deal("won-before", won="2026-01-10", amount="300", owner="u1"),
        deal("won", won="2026-10-02", amount="300", owner="u1"),
        details(deal("lost", lost="2026-10-05", amount="40"), reason="Price"),
    ],
)


def _before_after() -> Tab:
    return before_after_tab(before_after(DATA, SETTINGS, date(2026, 3, 1), 6, NOW))


@pytest.mark.parametrize(
    ("label", "unit", "formats"),
    [
        ("Win rate", "%", ["percent", "percent", "points"]),
        ("Net new revenue", "EUR", ["currency:EUR"] * 3),
        ("Sales cycle (days, mean)", "days", ["days"] * 3),
    ],
    ids=["ratio-change-in-points", "currency", "days"],
)
def test_before_after_values_are_formatted_by_unit(
    label: str, unit: str, formats: list[str]
) -> None:
    """Before and after take the KPI's unit format, a rate's change is in points."""
    tab = _before_after()
    (index,) = [i for i, row in enumerate(tab.rows) if row[0] == label]
    assert tab.rows[index][1] == unit
    assert [tab.format_at((index, column)) for column in (2, 3, 4, 5)] == [*formats, "percent"]


def test_before_after_ratio_change_in_points_without_relative_change() -> None:
    """Win rate 0 of 1 before and 1 of 2 after is +50 points, with no relative change."""
    data = Dataset(
        deals=[
            details(deal("l-before", lost="2025-12-01"), reason="Price"),
            deal("w-after", won="2026-04-01"),
            details(deal("l-after", lost="2026-04-02"), reason="Price"),
        ]
    )
    tab = before_after_tab(before_after(data, SETTINGS, date(2026, 3, 1), 6, NOW))
    (row,) = [row for row in tab.rows if row[0] == "Win rate"]
    assert row[2:6] == (0.0, 0.5, 50.0, None)


def _running() -> Tab:
    # 2026-08-01 (CEST, 2026-07-31T22:00Z) to NOW: August and September, then 14 days
    # 12 hours of October's 31 days and 1 hour (the clocks go back on 2026-10-25)
    return before_after_tab(before_after(DATA, SETTINGS, date(2026, 8, 1), 6, NOW))


def test_before_after_running_header_says_how_much_has_passed() -> None:
    """While the after window runs, its column's header gives the months passed of the six."""
    assert _running().header[3] == "after, 2.5 of 6 months"


def test_before_after_windows_table_gives_both_windows_and_what_has_passed() -> None:
    """Under the KPIs, a table gives each window's days, months, and how much has passed."""
    tab = _running()
    (title,) = [
        i for i, row in enumerate(tab.rows) if row[0] == "Windows around go-live on 2026-08-01"
    ]
    header, before, after = tab.rows[title + 1 : title + 4]
    assert header == (
        "window",
        "first_day",
        "last_day",
        "months",
        "months_passed",
        "days",
        "days_passed",
        None,
    )
    # before 2026-02-01..2026-07-31 is 181 days less the hour lost on 2026-03-29;
    # after 2026-08-01..2027-01-31 is 184 days and the hour gained on 2026-10-25
    assert before[:5] == ("before", date(2026, 2, 1), date(2026, 7, 31), 6, 6)
    assert before[5:7] == pytest.approx((181 - 1 / 24, 181 - 1 / 24))
    assert after[:4] == ("after", date(2026, 8, 1), date(2027, 1, 31), 6)
    assert after[4:7] == pytest.approx((2 + 14.5 / (31 + 1 / 24), 184 + 1 / 24, 75.5))
    formats = ["text", "date", "date", "integer", "number", "days", "days"]
    assert [[tab.format_at((title + row, c)) for c in range(7)] for row in (2, 3)] == [
        formats,
        formats,
    ]


@pytest.mark.parametrize(
    ("go_live", "notes"),
    [
        (
            date(2026, 8, 1),
            (
                "The after window is still running (2.5 of 6 months): its totals, such as net"
                " new revenue, grow until 2027-01-31.",
            ),
        ),
        (date(2026, 3, 1), ()),
        (date(2026, 11, 1), ("Go-live is still ahead: no after window yet.",)),
    ],
    ids=["running", "complete", "ahead"],
)
def test_before_after_notes_say_whether_the_after_window_runs(
    go_live: date, notes: tuple[str, ...]
) -> None:
    """A running after window is said so under the tables, as is a go-live still ahead."""
    assert before_after_tab(before_after(DATA, SETTINGS, go_live, 6, NOW)).notes == notes


def test_before_after_kpi_note_is_attached_to_its_value_cell() -> None:
    """A result row's note becomes the note of its before or after value cell."""
    october, november = period("2026-10"), period("2026-11")
    row = ResultRow(
        "customer_lifetime_value", october, "all", "all", Decimal("800.00"), "currency", 4
    )
    noted = replace(row, period=november, note="lifespan assumed: 3 years")
    report = BeforeAfter(
        go_live=date(2026, 11, 1),
        months=1,
        currency="EUR",
        before=october,
        after_window=november,
        after=november,
        elapsed=Elapsed(months=1.0, days=30.0, of_days=30.0),
        changes=(compare(row, noted),),
    )
    assert dict(before_after_tab(report).cell_notes) == {(0, 3): "lifespan assumed: 3 years"}
