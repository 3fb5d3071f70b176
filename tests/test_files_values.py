"""Cell values in the forms spreadsheets write: what is read, and what is refused as ambiguous."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from connectors.files.values import Style, amount, instant

COMMAS = Style(decimal_comma=False)
SEMICOLONS = Style(decimal_comma=True)
BERLIN = Style(zone=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize(
    ("cell", "style", "expected"),
    [
        ("1234.50", COMMAS, "1234.50"),
        ("1234.50", SEMICOLONS, "1234.50"),
        ("1234,50", SEMICOLONS, "1234.50"),
        ("1234,50", COMMAS, "1234.50"),
        ("1.234,50", COMMAS, "1234.50"),
        ("1.234,50", SEMICOLONS, "1234.50"),
        ("1,234.50", COMMAS, "1234.50"),
        ("1.234.567", SEMICOLONS, "1234567"),
        ("1,234", SEMICOLONS, "1.234"),
        ("1.234", COMMAS, "1.234"),
        ("0,4", SEMICOLONS, "0.4"),
        (",5", SEMICOLONS, "0.5"),
        ("-5", COMMAS, "-5"),
        ("+12.000,00", SEMICOLONS, "12000.00"),
    ],
    ids=[
        "point",
        "point in a semicolon file",
        "decimal comma",
        "decimal comma, two decimals, comma file",
        "grouped German",
        "grouped German in a semicolon file",
        "grouped English",
        "grouped thousands, no decimals",
        "three decimals after a comma in a semicolon file",
        "three decimals after a point in a comma file",
        "fraction",
        "no integer part",
        "negative",
        "signed grouped",
    ],
)
def test_amounts_read_unambiguous_forms(cell: str, style: Style, expected: str) -> None:
    """Each form becomes the same Decimal, with its digits kept."""
    value = amount(cell, style)
    assert (value, str(value)) == (Decimal(expected), expected)


@pytest.mark.parametrize(
    ("cell", "style", "reason"),
    [
        ("1,234", COMMAS, "'1,234' is ambiguous (1234 or 1.234?); write 1234 or 1.234"),
        ("1.234", SEMICOLONS, "'1.234' is ambiguous (1234 or 1.234?); write 1234 or 1,234"),
        ("1.23,4", SEMICOLONS, "'1.23,4' is not a number"),
        ("1,2,3", COMMAS, "'1,2,3' is not a number"),
        ("1.234,5,0", SEMICOLONS, "'1.234,5,0' is not a number"),
        ("12 €", SEMICOLONS, "'12 €' is not a number (write 1234.50, 1234,50 or 1.234,50)"),
        ("1e5", COMMAS, "'1e5' is not a number"),
        (".", COMMAS, "'.' is not a number"),
    ],
    ids=[
        "comma then three digits, comma file",
        "point then three digits, semicolon file",
        "bad grouping",
        "two commas not grouping",
        "two decimal commas",
        "currency sign",
        "exponent",
        "no digits",
    ],
)
def test_amounts_refuse_ambiguous_or_unknown_forms(cell: str, style: Style, reason: str) -> None:
    """A form that could mean two numbers, or none, is refused with the forms read."""
    with pytest.raises(ValueError, match="^" + re.escape(reason)):
        amount(cell, style)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("31.10.2026", datetime(2026, 10, 30, 23, tzinfo=UTC)),
        ("1.2.2026", datetime(2026, 1, 31, 23, tzinfo=UTC)),
        ("15.04.2026", datetime(2026, 4, 14, 22, tzinfo=UTC)),
        ("2026-10-31", datetime(2026, 10, 30, 23, tzinfo=UTC)),
        ("31.10.2026 14:05+01:00", datetime(2026, 10, 31, 13, 5, tzinfo=UTC)),
        ("31.10.2026 9:05:30Z", datetime(2026, 10, 31, 9, 5, 30, tzinfo=UTC)),
        ("2026-10-31T14:05:00+01:00", datetime(2026, 10, 31, 13, 5, tzinfo=UTC)),
    ],
    ids=[
        "dotted date, winter time",
        "dotted date without leading zeros",
        "dotted date, summer time",
        "ISO date",
        "dotted with time and offset",
        "dotted with seconds and Z",
        "ISO timestamp",
    ],
)
def test_dates_and_timestamps_read(cell: str, expected: datetime) -> None:
    """A date alone is the start of that day in the reporting zone; a time needs its offset."""
    assert instant(cell, BERLIN) == expected


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("01/02/2026", "is ambiguous (day/month or month/day?); dates are read as 2026-10-31 or"),
        ("31.10.2026 14:05", "has no UTC offset"),
        ("2026-10-31 14:05", "has no UTC offset"),
        ("31.02.2026", "is not a date"),
        ("31.10.26", "is not a timestamp"),
    ],
    ids=["slashes", "dotted time, no offset", "ISO time, no offset", "no such day", "short year"],
)
def test_dates_refuse_ambiguous_forms_and_times_without_offset(cell: str, reason: str) -> None:
    """Slash dates could be either day first or month first; a bare clock time has no zone."""
    with pytest.raises(ValueError, match=re.escape(reason)):
        instant(cell, BERLIN)
