"""Values as ActiveCampaign sends them, read into Python values.

Ids and numbers arrive as strings or as numbers, depending on the endpoint (the API's own
examples mix `"total": "2"` and `"total": 3`); money is in cents; a date that was never set
is `"0000-00-00 00:00:00"`; some timestamps carry an offset and some are in the account's
time without one. Every reader takes None, `""` and the zero dates as "no value"; a value
that is present but unreadable raises `BadValue` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.schema import DealStatus

_WHOLE = re.compile(r"[+-]?\d+")
_NAIVE = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CENT = Decimal("0.01")
# the deal status codes: https://developers.activecampaign.com/reference/deal
STATUSES: Mapping[str, DealStatus] = {
    "0": "open",
    "1": "won",
    "2": "lost",
    "open": "open",
    "won": "won",
    "lost": "lost",
}


class BadValue(ValueError):
    """A value present but unreadable; `field` names it in the record."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        stripped = value.strip()
        return not stripped or stripped.startswith("0000-00-00")
    return False


def text(record: Mapping[str, Any], field: str) -> str | None:
    """A text field; numbers become their decimal text."""
    value = record.get(field)
    if _blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadValue(field, f"is not text (got {value!r})")
    return str(value).strip()


def ref(record: Mapping[str, Any], field: str) -> str | None:
    """An id of another record; `"0"` and `0` are ActiveCampaign's "none"."""
    value = text(record, field)
    if value is None or value == "0":
        return None
    return value


def whole(record: Mapping[str, Any], field: str) -> int | None:
    value = text(record, field)
    if value is None:
        return None
    if not _WHOLE.fullmatch(value):
        raise BadValue(field, f"is not a whole number (got {value!r})")
    return int(value)


def cents(record: Mapping[str, Any], field: str) -> Decimal | None:
    """An amount in cents as currency units: `"1872151"` is 18721.51.

    Deal values are sent in cents (https://developers.activecampaign.com/reference/create-a-deal-new:
    "Deal's value in cents. (i.e. $456.78 => 45678)").
    """
    value = text(record, field)
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise BadValue(field, f"is not an amount in cents (got {value!r})") from None
    if not amount.is_finite():
        raise BadValue(field, f"is not an amount in cents (got {value!r})")
    return (amount / 100).quantize(_CENT)


def status(record: Mapping[str, Any], field: str = "status") -> DealStatus:
    """0, 1 and 2 are open, won and lost (https://developers.activecampaign.com/reference/deal)."""
    value = text(record, field)
    found = STATUSES.get((value or "").lower())
    if found is None:
        raise BadValue(field, f"must be 0 (open), 1 (won) or 2 (lost) (got {value!r})")
    return found


def flag(record: Mapping[str, Any], field: str) -> bool:
    value = record.get(field)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true")


def instant(record: Mapping[str, Any], field: str, zone: tzinfo) -> datetime | None:
    """A timestamp: ISO-8601 with an offset, or one without an offset in the account's time.

    A bare date is the start of that day in the account's time.
    """
    value = text(record, field)
    if value is None:
        return None
    return parse_instant(value, zone, field)


def modified_at(record: Mapping[str, Any], field: str, zone: tzinfo) -> datetime | None:
    """When ActiveCampaign last changed a record: `field` (`udate`, `mdate`), else its `cdate`,
    as some endpoints leave the update date empty on creation; an unreadable one is unknown."""
    for name in (field, "cdate"):
        try:
            found = instant(record, name, zone)
        except BadValue:
            continue
        if found is not None:
            return found
    return None


def utc_instant(record: Mapping[str, Any], field: str) -> datetime | None:
    """A `YYYY-MM-DD HH:MM:SS` timestamp read as UTC, as its name says `created_utc_timestamp`
    is; the API's examples suggest local time, so it is the fallback of a field with an offset."""
    return instant(record, field, UTC)


def parse_instant(value: str, zone: tzinfo, field: str) -> datetime:
    if _DATE.fullmatch(value):
        return datetime.combine(date.fromisoformat(value), time(), zone)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadValue(field, f"is not a date or timestamp (got {value!r})") from None
    if parsed.tzinfo is None:
        if not _NAIVE.match(value):
            raise BadValue(field, f"is not a date or timestamp (got {value!r})")
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def total(body: Mapping[str, Any]) -> int | None:
    """`meta.total`, a string or a number depending on the endpoint; None when absent."""
    meta = body.get("meta")
    if not isinstance(meta, Mapping):
        return None
    try:
        return whole(meta, "total")
    except BadValue:
        return None


def options(value: str) -> str:
    """A multi-select value as its options joined by ", ".

    ActiveCampaign stores a multi-select choice as `||Option 1||Option 2||`.
    """
    if "||" not in value:
        return value
    return ", ".join(part.strip() for part in value.split("||") if part.strip())
