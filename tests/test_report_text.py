"""A report's tab and dataclass as the command line prints them (`sync.outputs.report_text`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from kpis.reports.forecast import OpenDeals
from sync.outputs.report_tabs import Column, Table, stack
from sync.outputs.report_text import TabTable, cell_text, report_json, tab_tables
from tests.kpi_builders import period


def test_a_stacked_tab_gives_back_its_tables() -> None:
    """Each further table comes back under its title, without the blank row before it and
    as wide as its own header."""
    first = Table(
        title="Forecast",
        columns=(
            Column("month", "text"),
            Column("deals", "integer"),
            Column("amount", "currency:EUR"),
        ),
        rows=[("2026-10", 2, Decimal("10.5")), ("2026-11", 0, None)],
    )
    second = Table(title="Overdue", columns=(Column("deal_id", "text"),), rows=[("d1",)])
    assert tab_tables(stack("Forecast", [first, second])) == [
        TabTable(None, ("month", "deals", "amount"), [first.rows[0], first.rows[1]]),
        TabTable("Overdue", ("deal_id",), [("d1",)]),
    ]


def test_cells_read_as_the_sheet_shows_them() -> None:
    values = [None, 1234, Decimal("1234.5"), date(2026, 10, 1), "x"]
    assert [cell_text(v) for v in values] == ["", "1,234", "1,234.50", "2026-10-01", "x"]


def test_a_report_is_json_field_for_field_with_a_period_as_its_label_and_days() -> None:
    line = OpenDeals(deals=2, amount=Decimal("10.50"), weighted=None, without_amount=1)
    assert report_json({"month": period("2026-10"), "open": line}) == {
        "month": {"label": "2026-10", "first_day": "2026-10-01", "last_day": "2026-10-31"},
        "open": {
            "deals": 2,
            "amount": 10.5,
            "weighted": None,
            "without_amount": 1,
            "without_probability": 0,
        },
    }
