"""The tidy form of a result row: one flat record per KPI value, for JSON, CSV and the KPIs tab.

A record keeps typed values (`Decimal`, `date`, aware UTC `datetime`) so that the workbook can
write real numbers and dates; `to_json_value` turns each one into a JSON scalar for text output.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeAlias

from kpis.results import ResultRow

TidyValue: TypeAlias = str | int | float | Decimal | date | datetime | None
JsonValue: TypeAlias = str | int | float | None

KPI_HEADER = (
    "period",
    "period_start",
    "period_end",
    "kpi",
    "segment_by",
    "segment",
    "value",
    "unit",
    "n",
    "numerator",
    "denominator",
    "updated_at",
)
NOTE = "note"


def tidy_record(row: ResultRow, updated_at: datetime) -> dict[str, TidyValue]:
    """The row as a record keyed by `KPI_HEADER`, in that order, followed by `note`.

    `period_start` and `period_end` are the period's first and last local days, both
    inclusive like the dates of a custom period label (October 2026 ends on 2026-10-31).
    `updated_at` is converted to UTC. The note is not a KPIs-tab column (the tab shows it as
    the value cell's note); it rides along for JSON and CSV output.
    """
    if updated_at.utcoffset() is None:
        raise ValueError(f"updated_at {updated_at.isoformat()} has no UTC offset")
    return {
        "period": row.period.label,
        "period_start": row.period.first_day,
        "period_end": row.period.last_day,
        "kpi": row.kpi,
        "segment_by": row.segment_by,
        "segment": row.segment,
        "value": row.value,
        "unit": row.unit,
        "n": row.n,
        "numerator": row.numerator,
        "denominator": row.denominator,
        "updated_at": updated_at.astimezone(UTC),
        NOTE: row.note,
    }


def to_json_value(value: TidyValue) -> JsonValue:
    """A tidy value as a JSON scalar: Decimal as a number, dates and instants as ISO-8601.

    `json` cannot encode a Decimal, and a string would make consumers parse numbers. A
    Decimal without fraction digits becomes an int; any other becomes the float whose
    shortest repr keeps every digit of a value rounded to 2 places (up to 15 digits).
    """
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if not isinstance(exponent, int):
            raise ValueError(f"{value} has no JSON representation")
        return int(value) if exponent >= 0 else float(value)
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError(f"{value.isoformat()} has no UTC offset")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value
