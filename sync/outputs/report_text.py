"""A report for the command line: its tab's cells as text, and the report itself as JSON.

The command line prints a report as the tab the workbook shows (`sync.outputs.report_tabs`),
cell for cell, so that it and the spreadsheet never disagree; as JSON it prints the report's
own dataclass, field for field, for a program to read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kpis.periods import Period
from sync.outputs.tidy import JsonValue, to_json_value
from sync.outputs.workbook import CellValue, Tab

Json = JsonValue | list[Any] | dict[str, Any]


def cell_text(value: CellValue) -> str:
    """A cell as text: money and numbers to the cent with thousands separators, dates as
    ISO-8601, an empty cell as nothing."""
    if value is None:
        return ""
    if isinstance(value, Decimal | float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class TabTable:
    """One of the tables a tab stacks; `title` is None for the first, which the tab names."""

    title: str | None
    header: tuple[str, ...]
    rows: list[tuple[CellValue, ...]] = field(default_factory=list)

    def numeric(self, column: int) -> bool:
        """Whether every cell of `column` holding something holds a number."""
        values = [row[column] for row in self.rows if row[column] is not None]
        return all(isinstance(v, int | float | Decimal) for v in values)


def tab_tables(tab: Tab) -> list[TabTable]:
    """The tables of a report's tab, as `sync.outputs.report_tabs.stack` lays them out: the
    first under the tab's header, each further one after a blank row, as a bold title row
    and a bold header row, its rows as wide as its header."""
    tables = [TabTable(None, tab.header)]
    rows, bold = tab.rows, tab.bold_rows
    index = 0
    while index < len(rows):
        if index in bold and index + 1 in bold:
            previous = tables[-1].rows
            if previous and all(value is None for value in previous[-1]):
                previous.pop()
            header = tuple(str(value) for value in rows[index + 1] if value is not None)
            tables.append(TabTable(str(rows[index][0]), header))
            index += 2
            continue
        tables[-1].rows.append(rows[index][: len(tables[-1].header)])
        index += 1
    return tables


def report_json(report: object) -> dict[str, Json]:
    """A report dataclass as JSON: its fields by name, a period as its label and days, money
    as numbers, dates as ISO-8601."""
    found = _json(report)
    if not isinstance(found, dict):
        raise TypeError(f"{type(report).__name__} is no report")
    return found


def _json(value: object) -> Json:
    if isinstance(value, Period):
        return {
            "label": value.label,
            "first_day": value.first_day.isoformat(),
            "last_day": value.last_day.isoformat(),
        }
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(key): _json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    if isinstance(value, str | int | float | Decimal | date | datetime) or value is None:
        return to_json_value(value)
    raise TypeError(f"{type(value).__name__} has no JSON form")
