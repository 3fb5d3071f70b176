"""The pull loop: every connector's pages into the store, each page with its cursor.

A connector that fails stops only itself: the pages it committed stay, the other connectors
still run, and the pull then raises `PullError` naming every failed source.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from connectors.base import Connector, Page
from sync.store import Committed, Store

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[str, str, int], None]
"""Called after each committed page with the source, the stream and its records so far."""


@dataclass(frozen=True, slots=True)
class KindCounts:
    """Pages committed for one record kind, the records they stored and newly deleted."""

    pages: int = 0
    stored: int = 0
    deleted: int = 0

    def add(self, committed: Committed) -> KindCounts:
        return KindCounts(
            self.pages + 1, self.stored + committed.stored, self.deleted + committed.deleted
        )


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
    def deleted(self) -> int:
        return sum(counts.deleted for counts in self.kinds.values())

    def summary(self) -> str:
        """One line: the totals, then the records stored and deleted per kind that changed."""
        details = "; ".join(
            f"{kind}: {counts.stored:,} stored, {counts.deleted:,} deleted"
            for kind, counts in self.kinds.items()
            if counts.stored or counts.deleted
        )
        line = (
            f"{self.source}: {self.pages:,} pages, {self.stored:,} records stored, "
            f"{self.deleted:,} deleted"
        )
        line += f" ({details})" if details else ""
        return line + (f"; failed: {self.error}" if self.error else "")


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


class PullError(RuntimeError):
    """One or more connectors failed; `report` holds what every connector committed."""

    def __init__(self, failures: Mapping[str, Exception], report: PullReport) -> None:
        self.failures = dict(failures)
        self.report = report
        reasons = "; ".join(f"{name}: {_describe(error)}" for name, error in failures.items())
        super().__init__(f"pull failed for {reasons}")


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


@dataclass
class _Tally:
    source: str
    kinds: dict[str, KindCounts] = field(default_factory=dict)
    stream_records: dict[str, int] = field(default_factory=dict)

    def add(self, page: Page, committed: Committed) -> int:
        self.kinds[page.kind] = self.kinds.get(page.kind, KindCounts()).add(committed)
        records = self.stream_records.get(page.stream, 0) + committed.stored
        self.stream_records[page.stream] = records
        return records

    def report(self, error: Exception | None = None) -> SourceReport:
        return SourceReport(
            self.source, dict(self.kinds), None if error is None else _describe(error)
        )


def pull(
    store: Store,
    connectors: Sequence[Connector],
    *,
    full: bool,
    now: Callable[[], datetime],
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
                sum(counts.pages for counts in tally.kinds.values()),
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
    now: Callable[[], datetime],
    progress: ProgressCallback | None,
) -> None:
    source = connector.name
    if full:
        store.clear_cursors(source)
    for page in connector.pull(store.cursors(source), full=full):
        committed = store.commit_page(source, page, synced_at=now())
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
