"""The tidy record of a result row and its JSON form."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kpis.periods import parse_period
from kpis.results import ResultRow, Unit
from sync.outputs.tidy import KPI_HEADER, TidyValue, tidy_record, to_json_value

BERLIN = ZoneInfo("Europe/Berlin")
UPDATED = datetime(2026, 10, 5, 6, 0, tzinfo=UTC)


def _row(
    label: str = "2026-10",
    *,
    value: Decimal | None = Decimal("0.1"),
    unit: Unit = "ratio",
    numerator: int | None = 10,
    denominator: int | None = 100,
    note: str | None = None,
) -> ResultRow:
    return ResultRow(
        kpi="close_rate",
        period=parse_period(label, BERLIN),
        segment_by="all",
        segment="all",
        value=value,
        unit=unit,
        n=100,
        numerator=numerator,
        denominator=denominator,
        note=note,
    )


def test_kpi_header_is_exact() -> None:
    """The KPIs-tab header is the one docs/sheets.md and the README fix, column for column."""
    assert KPI_HEADER == (
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


def test_record_keys_are_the_header_then_note() -> None:
    """A record has the header's keys in order, then the note."""
    assert list(tidy_record(_row(), UPDATED)) == [*KPI_HEADER, "note"]


@pytest.mark.parametrize(
    ("label", "first_day", "last_day"),
    [
        ("2026-10", date(2026, 10, 1), date(2026, 10, 31)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-W40", date(2026, 9, 28), date(2026, 10, 4)),
        ("2026-01-01..2026-03-31", date(2026, 1, 1), date(2026, 3, 31)),
    ],
    ids=["month", "quarter", "iso-week", "custom"],
)
def test_period_bounds_are_inclusive_days(label: str, first_day: date, last_day: date) -> None:
    """period_start and period_end are the period's first and last local day, both inclusive."""
    record = tidy_record(_row(label), UPDATED)
    assert (record["period"], record["period_start"], record["period_end"]) == (
        label,
        first_day,
        last_day,
    )


def test_values_keep_their_types() -> None:
    """Decimal numbers stay Decimal and missing numbers stay None."""
    record = tidy_record(
        _row(value=Decimal("1234.50"), unit="currency", numerator=None, denominator=None), UPDATED
    )
    assert (record["value"], record["numerator"], record["denominator"]) == (
        Decimal("1234.50"),
        None,
        None,
    )
    assert isinstance(record["value"], Decimal)


def test_note_is_carried() -> None:
    """The row's note rides along under `note`."""
    record = tidy_record(_row(note="lifespan assumed: 3 years"), UPDATED)
    assert record["note"] == "lifespan assumed: 3 years"


def test_updated_at_is_converted_to_utc() -> None:
    """An update time with any offset is recorded as the same instant in UTC."""
    berlin_morning = datetime(2026, 10, 5, 8, 0, tzinfo=timezone(timedelta(hours=2)))
    updated_at = tidy_record(_row(), berlin_morning)["updated_at"]
    assert isinstance(updated_at, datetime)
    assert (updated_at, updated_at.tzinfo) == (datetime(2026, 10, 5, 6, 0, tzinfo=UTC), UTC)


def test_naive_updated_at_is_rejected() -> None:
    """An update time without an offset is an error, not a guess."""
    with pytest.raises(ValueError, match="no UTC offset"):
        tidy_record(_row(), datetime.fromisoformat("2026-10-05T06:00:00"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234.50"), 1234.5),
        (Decimal("0.09"), 0.09),
        (Decimal("3"), 3),
        (7, 7),
        (0.25, 0.25),
        (None, None),
        ("Sales / Proposal", "Sales / Proposal"),
        (date(2026, 10, 31), "2026-10-31"),
        (datetime(2026, 10, 5, 6, 0, tzinfo=UTC), "2026-10-05T06:00:00+00:00"),
    ],
    ids=[
        "decimal",
        "decimal-small",
        "decimal-integral",
        "int",
        "float",
        "none",
        "text",
        "date",
        "datetime",
    ],
)
def test_to_json_value(value: TidyValue, expected: object) -> None:
    """Each tidy value becomes the JSON scalar of the same meaning and type."""
    converted = to_json_value(value)
    assert (converted, type(converted)) == (expected, type(expected))


def test_json_output_writes_decimal_as_number() -> None:
    """A record dumped through to_json_value has its money as a JSON number, not a string."""
    record = tidy_record(_row(value=Decimal("1234.50"), unit="currency"), UPDATED)
    text = json.dumps({key: to_json_value(value) for key, value in record.items()})
    assert '"value": 1234.5,' in text


def test_non_finite_decimal_is_rejected() -> None:
    """A NaN has no JSON number and is reported instead of written."""
    with pytest.raises(ValueError, match="no JSON representation"):
        to_json_value(Decimal("NaN"))
