"""The pull loop: every connector's pages into the store, each page with its cursor.

A connector that fails stops only itself: the pages it committed stay, the other connectors
still run, and the pull then raises `PullError` naming every failed source. A stored record
that points at nothing is named in a warning (`sync.references`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from connectors.base import Connector, Page, derived_fields, upsell_pipelines
from connectors.clock import Clock
from connectors.errors import RunFailure
from sync.references import ReferenceCheck
from sync.store import Committed, Store

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[str, str, int], None]
"""Called after each committed page with the source, the stream and its records so far."""


@dataclass(frozen=True, slots=True)
class KindCounts:
    """One record kind's pull: pages committed, records read and stored, and what changed.

    `new`, `changed` and `deleted` compare the store after the pull with the store before
    it: a record deleted by one page and stored again as it was by a later one (the demo's
    sweep on a full pull) counts in none of them.
    """

    pages: int = 0
    stored: int = 0
    deleted: int = 0
    new: int = 0
    changed: int = 0


@dataclass(frozen=True, slots=True)
class SourceReport:
    """What one source's pull committed, by record kind; `error` says why it stopped early."""

    source: str
    kinds: Mapping[str, KindCounts]
    error: str | None = None

    @property
    def pages(self) -> int:
        return sum(counts.pages for counts in self.kinds.values())

    @property
    def stored(self) -> int:
        return sum(counts.stored for counts in self.kinds.values())

    @property
    def new(self) -> int:
        return sum(counts.new for counts in self.kinds.values())

    @property
    def changed(self) -> int:
        return sum(counts.changed for counts in self.kinds.values())

    @property
    def deleted(self) -> int:
        return sum(counts.deleted for counts in self.kinds.values())

    def summary(self) -> str:
        """One line: the totals, then what changed per kind that changed."""
        details = "; ".join(
            f"{kind}: "
            + ", ".join(
                f"{number:,} {word}"
                for number, word in zip(
                    (counts.new, counts.changed, counts.deleted), _CHANGES, strict=True
                )
                if number
            )
            for kind, counts in self.kinds.items()
            if counts.new or counts.changed or counts.deleted
        )
        line = (
            f"{self.source}: {self.pages:,} pages, {self.stored:,} records read, "
            f"{_changes(self.new, self.changed, self.deleted)}"
        )
        line += f" ({details})" if details else ""
        return line + (f"; failed: {self.error}" if self.error else "")


_CHANGES = ("new", "changed", "deleted")


def _changes(new: int, changed: int, deleted: int) -> str:
    return ", ".join(
        f"{number:,} {word}" for number, word in zip((new, changed, deleted), _CHANGES, strict=True)
    )


@dataclass(frozen=True, slots=True)
class PullReport:
    """One `SourceReport` per connector, in the order they were pulled."""

    sources: tuple[SourceReport, ...]

    def source(self, name: str) -> SourceReport:
        for report in self.sources:
            if report.source == name:
                return report
        raise KeyError(name)

    def summary(self) -> str:
        return "\n".join(report.summary() for report in self.sources) or "no sources pulled"


class PullError(RunFailure, RuntimeError):
    """One or more connectors failed; `report` holds what every connector committed."""

    def __init__(self, failures: Mapping[str, Exception], report: PullReport) -> None:
        self.failures = dict(failures)
        self.report = report
        reasons = "; ".join(f"{name}: {_describe(error)}" for name, error in failures.items())
        super().__init__(f"pull failed for {reasons}")


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


@dataclass
class _KindTally:
    pages: int = 0
    stored: int = 0
    new: int = 0
    changed: int = 0
    # deleted by this pull and not stored again since: only these ids can come back
    deleted: set[str] = field(default_factory=set)

    def add(self, committed: Committed) -> None:
        self.pages += 1
        self.stored += committed.stored
        self.changed += committed.changed
        for record_id in committed.appeared:
            if record_id in self.deleted:
                self.deleted.discard(record_id)
                self.changed += record_id not in committed.restored
            else:
                self.new += 1
        self.deleted.update(committed.gone)

    def counts(self) -> KindCounts:
        return KindCounts(self.pages, self.stored, len(self.deleted), self.new, self.changed)


@dataclass
class _Tally:
    source: str
    kinds: dict[str, _KindTally] = field(default_factory=dict)
    stream_records: dict[str, int] = field(default_factory=dict)

    def add(self, page: Page, committed: Committed) -> int:
        self.kinds.setdefault(page.kind, _KindTally()).add(committed)
        records = self.stream_records.get(page.stream, 0) + committed.stored
        self.stream_records[page.stream] = records
        return records

    @property
    def pages(self) -> int:
        return sum(kind.pages for kind in self.kinds.values())

    def report(self, error: Exception | None = None) -> SourceReport:
        kinds = {kind: tally.counts() for kind, tally in self.kinds.items()}
        return SourceReport(self.source, kinds, None if error is None else _describe(error))


def pull(
    store: Store,
    connectors: Sequence[Connector],
    *,
    full: bool,
    now: Clock,
    progress: ProgressCallback | None = None,
) -> PullReport:
    """Pull every connector into `store`; `full` clears each connector's cursors first.

    Raises `PullError` after all connectors ran when any of them failed.
    """
    names = [connector.name for connector in connectors]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"two connectors share the name {', '.join(repeated)}")
    reports: list[SourceReport] = []
    failures: dict[str, Exception] = {}
    for connector in connectors:
        tally = _Tally(connector.name)
        try:
            _pull_one(store, connector, tally, full=full, now=now, progress=progress)
        except Exception as error:
            logger.error(
                "%s: pull failed after %d committed pages: %s",
                connector.name,
                tally.pages,
                _describe(error),
            )
            failures[connector.name] = error
            reports.append(tally.report(error))
            continue
        report = tally.report()
        logger.info("%s", report.summary())
        reports.append(report)
    result = PullReport(tuple(reports))
    if failures:
        raise PullError(failures, result) from next(iter(failures.values()))
    return result


def _pull_one(
    store: Store,
    connector: Connector,
    tally: _Tally,
    *,
    full: bool,
    now: Clock,
    progress: ProgressCallback | None,
) -> None:
    source = connector.name
    if full:
        store.clear_cursors(source)
    store.derive(source, derived_fields(connector), upsell_pipelines(connector))
    references = ReferenceCheck(store, source)
    try:
        _pages(store, connector, tally, references, full=full, now=now, progress=progress)
    finally:
        # what a failed pull committed is checked too: the next pull may not read it again
        references.finish()


def _pages(
    store: Store,
    connector: Connector,
    tally: _Tally,
    references: ReferenceCheck,
    *,
    full: bool,
    now: Clock,
    progress: ProgressCallback | None,
) -> None:
    source = connector.name
    for page in connector.pull(store.cursors(source), full=full):
        committed = store.commit_page(source, page, synced_at=now())
        references.page(item.record for item in page.items)
        records = tally.add(page, committed)
        logger.debug(
            "%s/%s: committed %d %s records, %d deleted, cursor %s",
            source,
            page.stream,
            committed.stored,
            page.kind,
            committed.deleted,
            "kept" if page.cursor is None else "moved",
        )
        if progress is not None:
            progress(source, page.stream, records)
