"""What every `[connectors.<key>]` settings model shares: strict sections, and the checks of a
currency code and a time zone that `sync/config.py` applies to its own sections too."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict

_CURRENCY = re.compile(r"^[A-Z]{3}$")


class Section(BaseModel):
    """A config table: an unknown key is refused, and the values never change once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def currency_code(value: str) -> str:
    """The code in upper case; ValueError unless it is three letters (ISO 4217)."""
    code = value.strip().upper()
    if not _CURRENCY.match(code):
        raise ValueError(f"{value!r} is not a three-letter ISO 4217 currency code")
    return code


def known_zone(value: str) -> str:
    """The name as it is; ValueError unless it names an IANA time zone."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone name (like Europe/Berlin)") from None
    return value
