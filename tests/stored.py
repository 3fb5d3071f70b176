"""What the store gives back for what was stored: a deal gains the versions its syncs record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from connectors.schema import Deal, Record

R = TypeVar("R", bound=Record)


def as_stored(record: R, synced_at: datetime) -> R:
    """`record` as it loads after one sync at `synced_at` stored it: a deal with no versions
    of its own has the one the sync recorded, valid from then."""
    if isinstance(record, Deal) and not record.versions:
        return replace(record, versions=(record.version(synced_at),))
    return record


def without_versions(records: Iterable[R]) -> list[R]:
    """The records with no deal versions: for tests of everything else a deal holds."""
    return [
        replace(record, versions=()) if isinstance(record, Deal) else record for record in records
    ]
