"""The raw payload the demo "sends" for a record: its fields as a CRM API would spell them.

Like most CRM APIs the demo sends every value as a string (null when unset), timestamps as
ISO 8601 in UTC with a `Z`, and a deal's stage history as a list of visits.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from connectors.schema import RECORD_TYPES, Record, StageVisit


def payload(record: Record) -> dict[str, Any]:
    """The record's own fields (not its `source`, not derived keys) as API-style values."""
    return {name: _text(getattr(record, name)) for name in _FIELDS[type(record)]}


_FIELDS: dict[type[Record], tuple[str, ...]] = {
    record_type: tuple(f.name for f in fields(record_type) if f.init and f.name != "source")
    for record_type in RECORD_TYPES
}


def _text(value: object) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, tuple):
        return [_visit(visit) for visit in value]
    return str(value)


def _visit(visit: StageVisit) -> dict[str, Any]:
    return {
        "stage_id": visit.stage_id,
        "entered_at": _text(visit.entered_at),
        "exited_at": _text(visit.exited_at),
    }
