"""What every stream of one pull shares: the account, its reference data, the store lookup."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from connectors.activecampaign.catalog import Catalog
from connectors.activecampaign.client import AccountClient
from connectors.activecampaign.settings import FieldMap, Options
from connectors.schema import Deal, Record
from connectors.source import RecordReader

logger = logging.getLogger("connectors.activecampaign")

Lookup = Callable[[str, str], Record | None]
"""The stored, live record of a kind (`Record.KIND`) and id of this source, or None."""


def no_lookup(kind: str, record_id: str) -> Record | None:
    """A lookup for a connector with no store behind it: nothing was stored before."""
    return None


def store_lookup(store: RecordReader | None, source: str) -> Lookup:
    """The lookup of `source`'s records in `store`; `no_lookup` without a store."""
    if store is None:
        return no_lookup

    def lookup(kind: str, record_id: str) -> Record | None:
        return store.record(source, kind, record_id)

    return lookup


@dataclass
class PullContext:
    source: str
    client: AccountClient
    catalog: Catalog
    fields: FieldMap
    options: Options
    lookup: Lookup
    now: datetime

    def stored_deal(self, deal_id: str) -> Deal | None:
        found = self.lookup(Deal.KIND, deal_id)
        return found if isinstance(found, Deal) else None

    def skipped(self, kind: str, record_id: object, reason: Exception) -> None:
        logger.warning("%s: %s %r skipped: %s", self.source, kind, record_id, reason)
