"""Reading HubSpot property values, which are all strings or null.

Numbers come as `"1500.00"`, datetimes as ISO 8601 with milliseconds and `Z`, date-only
properties as `2026-10-01` or as epoch milliseconds at midnight UTC
(https://developers.hubspot.com/docs/faq/how-should-timestamps-be-formatted-for-hubspots-apis).
A value that does not parse raises `SchemaError` naming the object, its id and the property,
so the record is skipped with a warning that says exactly what was wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.schema import SchemaError


class Props:
    """The properties of one HubSpot object, read as typed values."""

    def __init__(self, kind: str, raw: Mapping[str, Any]) -> None:
        self.kind = kind
        self.id = str(raw.get("id") or "")
        properties = raw.get("properties")
        self._values: Mapping[str, Any] = properties if isinstance(properties, Mapping) else {}

    def bad(self, name: str, reason: str) -> SchemaError:
        return SchemaError(self.kind, self.id, name, reason)

    def text(self, name: str) -> str | None:
        """The value with surrounding blanks removed; None when unset or empty."""
        value = self._values.get(name)
        if value is None:
            return None
        text = str(value).strip()
        return text or None

    def need(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise self.bad(name, "is required")
        return value

    def instant(self, name: str) -> datetime | None:
        """A datetime, a date (midnight UTC) or epoch milliseconds, as an aware UTC datetime."""
        text = self.text(name)
        if text is None:
            return None
        parsed = parse_instant(text)
        if parsed is None:
            raise self.bad(name, f"{text!r} is not a date or time")
        return parsed

    def decimal(self, name: str) -> Decimal | None:
        text = self.text(name)
        if text is None:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise self.bad(name, f"{text!r} is not a number") from None
        if not value.is_finite():
            raise self.bad(name, f"{text!r} is not a number")
        return value

    def whole(self, name: str) -> int | None:
        value = self.decimal(name)
        if value is None:
            return None
        if value != value.to_integral_value():
            raise self.bad(name, f"{value} is not a whole number")
        return int(value)

    def fraction(self, name: str) -> float | None:
        """A probability: 0..1, or a percentage 0..100 as some accounts store it."""
        value = self.decimal(name)
        if value is None:
            return None
        if 1 < value <= 100:
            value /= 100
        return float(value)


def parse_instant(text: str) -> datetime | None:
    """An aware UTC datetime from HubSpot's datetime, date or epoch-milliseconds text."""
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def epoch_ms(instant: datetime) -> int:
    """Epoch milliseconds, the form HubSpot's filters take."""
    return int(instant.timestamp() * 1000)
