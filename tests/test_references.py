"""The pull's check of references: what a record names is looked for once its pull ends."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from connectors.base import Page, Pulled
from connectors.schema import Contact, Deal, Owner, Record, Stage, SubscriptionEvent
from sync.notices import collected
from sync.pull import PullError, pull
from sync.store import Store

T0 = datetime(2026, 11, 1, 6, tzinfo=UTC)


@dataclass
class Pages:
    """Yields its pages, then raises `error` if it has one."""

    name: str
    pages: Sequence[Page]
    error: Exception | None = None

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[Page]:
        yield from self.pages
        if self.error is not None:
            raise self.error


def _page(*records: Record) -> Page:
    return Page(records[0].KIND, records[0].KIND, tuple(Pulled(r, {}) for r in records))


def _warnings(store: Store, connector: Pages) -> list[str]:
    with collected() as notices, contextlib.suppress(PullError):
        pull(store, [connector], full=False, now=lambda: T0)
    return notices.messages


def test_a_record_committed_before_the_one_it_names_is_not_named(tmp_path: Path) -> None:
    """A subscription event whose contact comes on a later page of the same pull is fine."""
    pages = [
        _page(SubscriptionEvent("crm", "c1", "news", "subscribe", T0)),
        _page(Contact("crm", "c1", T0)),
    ]
    with Store.open(tmp_path / "store.db") as store:
        assert _warnings(store, Pages("crm", pages)) == []


def test_a_failed_pull_names_what_it_committed_pointing_at_nothing(tmp_path: Path) -> None:
    """The next pull may not read the deal again, so it is named before the failure ends it."""
    stage = Stage("crm", "sales", "Sales", "open", "Open")
    deal = Deal("crm", "d1", "sales", "open", "open", T0, owner_id="o9")
    pages = [_page(Owner("crm", "o1", "Ann")), _page(stage), _page(deal)]
    with Store.open(tmp_path / "store.db") as store:
        found = _warnings(store, Pages("crm", pages, error=RuntimeError("cut")))
    assert found[0] == "crm: deal 'd1': owner_id 'o9' names no owner in crm; kept as given"


def test_a_deal_in_an_unknown_pipeline_is_named_once(tmp_path: Path) -> None:
    """Its stage cannot be in a pipeline that is not there: the pipeline alone is named."""
    deal = Deal("crm", "d1", "gone", "open", "open", T0)
    with Store.open(tmp_path / "store.db") as store:
        found = _warnings(store, Pages("crm", [_page(deal)]))
    assert found == ["crm: deal 'd1': pipeline_id 'gone' names no pipeline in crm; kept as given"]


def test_a_reference_names_only_its_own_source(tmp_path: Path) -> None:
    """An owner of another source is no owner of this one."""
    stage = Stage("crm", "sales", "Sales", "open", "Open")
    deal = Deal("crm", "d1", "sales", "open", "open", T0, owner_id="o1")
    with Store.open(tmp_path / "store.db") as store:
        _warnings(store, Pages("other", [_page(Owner("other", "o1", "Ann"))]))
        found = _warnings(store, Pages("crm", [_page(stage), _page(deal)]))
    assert found == ["crm: deal 'd1': owner_id 'o1' names no owner in crm; kept as given"]
