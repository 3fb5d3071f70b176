"""The pull loop: connectors' pages committed to the store, counted, logged and reported."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.base import Page, Pulled
from connectors.schema import Deal, Owner, Record
from sync.pull import KindCounts, PullError, PullReport, SourceReport, pull
from sync.store import Store

T0 = datetime(2026, 11, 1, 6, tzinfo=UTC)


@dataclass
class FakeConnector:
    """Yields its pages, then raises `error` if it has one; records how it was called."""

    name: str
    pages: Sequence[Page]
    error: Exception | None = None
    calls: list[tuple[dict[str, str], bool]] = field(default_factory=list)

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[Page]:
        self.calls.append((dict(cursors), full))
        yield from self.pages
        if self.error is not None:
            raise self.error


def _owners(source: str, *ids: str, cursor: str | None = None) -> Page:
    items = tuple(Pulled(Owner(source, i, f"Owner {i}"), {}) for i in ids)
    return Page("owners", "owner", items, cursor=cursor)


def _deals(source: str, *ids: str, deleted: tuple[str, ...] = ()) -> Page:
    records: list[Record] = [Deal(source, i, "p", "s", "open", T0) for i in ids]
    return Page("deals", "deal", tuple(Pulled(r, {}) for r in records), deleted=deleted)


def _clock() -> Iterator[datetime]:
    minute = 0
    while True:
        yield T0 + timedelta(minutes=minute)
        minute += 1


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.db") as opened:
        yield opened


def _pull(store: Store, *connectors: FakeConnector, full: bool = False) -> PullReport:
    return pull(store, connectors, full=full, now=_clock().__next__)


def test_report_counts_pages_records_and_deletions_per_source_and_kind(store: Store) -> None:
    """Two owners in one page, one deal stored and one deleted over two pages."""
    store.commit_page("crm", _deals("crm", "old"), synced_at=T0)
    crm = FakeConnector(
        "crm", [_owners("crm", "a", "b"), _deals("crm", "d1"), _deals("crm", deleted=("old",))]
    )
    report = _pull(store, crm)
    assert report.source("crm").kinds == {
        "owner": KindCounts(pages=1, stored=2, deleted=0, new=2),
        "deal": KindCounts(pages=2, stored=1, deleted=1, new=1),
    }
    assert (report.source("crm").pages, report.source("crm").stored) == (3, 3)


def test_pages_and_cursors_land_in_the_store(store: Store) -> None:
    """After a pull the store holds the pulled records and the last cursor of each stream."""
    crm = FakeConnector("crm", [_owners("crm", "a", cursor="1"), _owners("crm", "b", cursor="2")])
    _pull(store, crm)
    assert [o.id for o in store.load_dataset().owners] == ["a", "b"]
    assert store.cursors("crm") == {"owners": "2"}


def test_each_page_is_stamped_with_the_clock_at_its_commit(store: Store) -> None:
    """The first page is synced at T0, the second a minute later."""
    crm = FakeConnector("crm", [_owners("crm", "a"), _owners("crm", "b")])
    _pull(store, crm)
    with sqlite3.connect(store.path) as db:
        stamps = db.execute("SELECT id, synced_at FROM owners ORDER BY id").fetchall()
    assert stamps == [
        ("a", "2026-11-01T06:00:00.000000+00:00"),
        ("b", "2026-11-01T06:01:00.000000+00:00"),
    ]


def test_connector_receives_its_stored_cursors(store: Store) -> None:
    """An incremental pull hands the connector the cursors stored for its name only."""
    store.commit_page("crm", _owners("crm", cursor="c1"), synced_at=T0)
    store.commit_page("other", _owners("other", cursor="o1"), synced_at=T0)
    crm = FakeConnector("crm", [])
    _pull(store, crm)
    assert crm.calls == [({"owners": "c1"}, False)]


def test_full_pull_clears_the_cursors_first(store: Store) -> None:
    """A full pull hands the connector no cursors, and the old cursor is gone from the store."""
    store.commit_page("crm", _owners("crm", cursor="c1"), synced_at=T0)
    crm = FakeConnector("crm", [])
    _pull(store, crm, full=True)
    assert crm.calls == [({}, True)]
    assert store.cursors("crm") == {}


def test_failing_connector_keeps_its_pages_and_the_others_still_run(store: Store) -> None:
    """A connector that raises after one page: its page stays, the next source is pulled too."""
    broken = FakeConnector("crm", [_owners("crm", "a", cursor="1")], RuntimeError("API down"))
    files = FakeConnector("files", [_owners("files", "f")])
    with pytest.raises(PullError, match=r"^pull failed for crm: RuntimeError: API down$") as info:
        _pull(store, broken, files)
    assert [(o.source, o.id) for o in store.load_dataset().owners] == [("crm", "a"), ("files", "f")]
    assert store.cursors("crm") == {"owners": "1"}
    assert isinstance(info.value.__cause__, RuntimeError)
    assert info.value.report.source("crm").error == "RuntimeError: API down"
    assert info.value.report.source("files").stored == 1


def test_progress_reports_records_so_far_per_stream(store: Store) -> None:
    """The callback gets the running total of each stream after every page."""
    calls: list[tuple[str, str, int]] = []
    crm = FakeConnector("crm", [_owners("crm", "a", "b"), _owners("crm", "c"), _deals("crm", "d1")])
    pull(
        store,
        [crm],
        full=False,
        now=_clock().__next__,
        progress=lambda *call: calls.append(call),
    )
    assert calls == [("crm", "owners", 2), ("crm", "owners", 3), ("crm", "deals", 1)]


def test_logs_a_debug_line_per_page_and_an_info_summary_per_source(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """Two pages of one source log two DEBUG lines and one INFO summary."""
    caplog.set_level(logging.DEBUG, logger="sync.pull")
    _pull(store, FakeConnector("crm", [_owners("crm", "a", "b"), _deals("crm", "d1")]))
    logged = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "sync.pull"]
    assert logged == [
        ("DEBUG", "crm/owners: committed 2 owner records, 0 deleted, cursor kept"),
        ("DEBUG", "crm/deals: committed 1 deal records, 0 deleted, cursor kept"),
        (
            "INFO",
            "crm: 2 pages, 3 records read, 3 new, 0 changed, 0 deleted (owner: 2 new; deal: 1 new)",
        ),
    ]


def test_failure_is_logged_as_an_error_naming_the_source(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed connector logs one ERROR line with its name and the committed page count."""
    broken = FakeConnector("crm", [_owners("crm", "a")], OSError("disk full"))
    with pytest.raises(PullError):
        _pull(store, broken)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == ["crm: pull failed after 1 committed pages: OSError: disk full"]


def test_connectors_sharing_a_name_are_refused(store: Store) -> None:
    """Two connectors named alike would overwrite each other's records, so none is pulled."""
    with pytest.raises(ValueError, match="two connectors share the name crm"):
        _pull(store, FakeConnector("crm", []), FakeConnector("crm", []))


def test_summary_has_one_line_per_source() -> None:
    """The summary lists each source's totals, the kinds it changed and any failure."""
    report = PullReport(
        (
            SourceReport(
                "crm", {"deal": KindCounts(3, 2500, 4, 12, 30), "owner": KindCounts(1, 2, 0, 2)}
            ),
            SourceReport("files", {}, error="FileNotFoundError: gone"),
        )
    )
    assert report.summary() == (
        "crm: 4 pages, 2,502 records read, 14 new, 30 changed, 4 deleted "
        "(deal: 12 new, 30 changed, 4 deleted; owner: 2 new)\n"
        "files: 0 pages, 0 records read, 0 new, 0 changed, 0 deleted; "
        "failed: FileNotFoundError: gone"
    )


def _swept(source: str, *ids: str) -> Page:
    """A first page that names its own ids as the only live ones, as the demo's does."""
    page = _owners(source, *ids)
    return Page(page.stream, page.kind, page.items, live_ids=frozenset(ids))


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        (
            [_swept("crm", "a"), _owners("crm", "b", "c")],
            KindCounts(pages=2, stored=3, deleted=0, new=0, changed=0),
        ),
        (
            [_swept("crm", "a"), _owners("crm", "b")],
            KindCounts(pages=2, stored=2, deleted=1, new=0, changed=0),
        ),
        (
            [
                _swept("crm", "a"),
                Page("owners", "owner", (Pulled(Owner("crm", "b", "Renamed"), {}),)),
                _owners("crm", "c", "d"),
            ],
            KindCounts(pages=3, stored=4, deleted=0, new=1, changed=1),
        ),
    ],
    ids=["all-revived", "one-stays-deleted", "renamed-and-added"],
)
def test_counts_say_what_the_end_state_changed_not_what_pages_undid(
    store: Store, pages: list[Page], expected: KindCounts
) -> None:
    """A sweep on the first page that later pages revive counts as nothing deleted."""
    store.commit_page("crm", _owners("crm", "a", "b", "c"), synced_at=T0)
    report = _pull(store, FakeConnector("crm", pages), full=True)
    assert report.source("crm").kinds["owner"] == expected


@pytest.mark.parametrize(
    ("again", "expected"),
    [
        (_owners("crm", "a"), (0, 0)),
        (Page("owners", "owner", (Pulled(Owner("crm", "a", "Owner a"), {"v": 2}),)), (0, 1)),
        (_deals("crm", "d1"), (0, 0)),
    ],
    ids=["unchanged", "raw-payload-changed", "unchanged-deal"],
)
def test_storing_a_record_again_unchanged_is_not_a_change(
    store: Store, again: Page, expected: tuple[int, int]
) -> None:
    """The same record pulled twice is read twice but new once and changed never."""
    _pull(store, FakeConnector("crm", [_owners("crm", "a"), _deals("crm", "d1")]))
    counts = _pull(store, FakeConnector("crm", [again])).source("crm")
    assert (counts.new, counts.changed) == expected
    assert counts.stored == 1
