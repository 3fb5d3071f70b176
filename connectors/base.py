"""What every connector yields, and the shape a connector has.

A connector is a stateless generator: given the cursors the store holds for it, it yields
`Page`s. Each page carries normalized records with their raw payloads, ids that are gone at
the source, and the cursor that follows the page. `sync/` commits a page and its cursor in
one transaction, so a killed pull resumes after the last page it committed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from connectors.schema import Record

Raw = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Pulled:
    """A normalized record and the payload it was built from, kept for re-normalizing.

    `changed_at` is when the CRM says the record last changed (HubSpot's
    `hs_lastmodifieddate`, ActiveCampaign's `mdate`), where its API gives it: the store
    dates a deal's new version (`Deal.versions`) by it rather than by when the sync saw it.
    """

    record: Record
    raw: Raw
    changed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One unit of progress of one stream of a connector.

    `stream` names the cursor (one per object a connector pulls). `kind` is the record kind
    of the stream (`Record.KIND`). `deleted` lists ids of that kind gone at the source;
    `live_ids`, when not None, is the complete set of ids that still exist there, so every
    other stored record of that kind and source is marked deleted. `cursor` is stored after
    the page is committed; None leaves the stored cursor as it is. `campaigns`, when not
    None, is the source's whole campaign list (name by id), which the store keeps for the
    deals that derive their campaign's name (`sync.store.derived`).
    """

    stream: str
    kind: str
    items: tuple[Pulled, ...] = ()
    deleted: tuple[str, ...] = ()
    live_ids: frozenset[str] | None = None
    cursor: str | None = None
    campaigns: Mapping[str, str] | None = None


class Connector(Protocol):
    """A source of normalized records. `name` is the `source` of every record it yields.

    A connector may name, in a `derived` attribute (see `derived_fields`), the deal fields
    the store takes from another record when the KPIs read it (`sync.store.derived`), rather
    than the connector copying a value that would go stale: `lead_source`, from the deal's
    contact (the connector leaves it unset); `kind`, upsell when the title of the deal's
    pipeline (its stages' `pipeline_label`) is one of the connector's `upsell_pipelines`
    (see `upsell_pipelines`), else the deal's own; `status` (and with it `closed_at`), by
    the closed and won flags of the deal's stored stage, else the deal's own; `campaign`,
    the name the source's campaign list (`Page.campaigns`) has for the id the deal holds,
    else the deal's own.
    """

    name: str

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[Page]:
        """Yield pages from the stored cursors onwards; `full` ignores the cursors."""
        ...


def derived_fields(connector: Connector) -> frozenset[str]:
    """The deal fields `connector` leaves to the store to derive; none unless it says."""
    return frozenset(getattr(connector, "derived", frozenset()))


def upsell_pipelines(connector: Connector) -> frozenset[str]:
    """The `title_key`s of the pipeline titles whose deals are upsells; none unless it says."""
    return frozenset(map(title_key, getattr(connector, "upsell_pipelines", frozenset())))


def title_key(title: str) -> str:
    """How a pipeline or custom field title is compared: trimmed, case-folded."""
    return " ".join(title.split()).casefold()
