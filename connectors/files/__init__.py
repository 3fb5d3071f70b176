"""The files connector: a folder of CSV files in the normalized schema (docs/files-format.md).

Each file is one stream. Its cursor holds the fingerprint of the file's content (for deals,
of `deals.csv` and `stage_history.csv` together) and the last line committed. An unchanged,
fully read file yields nothing; a changed one is read again from the start; a half-read one
(a killed pull) resumes after the last committed line. The last page of a file carries the
ids of all its rows, so rows removed from the file are marked deleted; a file that
disappears marks all of its records deleted.

A bad cell never deletes data (docs/files-format.md, What happens to bad data). A bad row is
skipped with a warning naming the file, the line, the record and the reason, and its id
stays live, so the record stored before is kept as it was. A bad row whose id cannot be read
could be any record, so that file's last page carries no `live_ids` and nothing is swept. A
deal with a bad `stage_history.csv` row is kept as it was too. A file that cannot be read,
or lacks a column, is skipped with an error and sweeps nothing; the other files are still
read.

Memory: rows are streamed. Held in memory are the ids of the rows of the file being read
(for the last page's `live_ids`) and, while deals are read, all of `stage_history.csv`
grouped by deal id.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any

from connectors.base import Page, Pulled
from connectors.files.csvfile import CsvFile, CsvRow, SkippedFile, fingerprint, open_csv
from connectors.files.layout import (
    DEALS,
    HISTORY_FILE,
    HISTORY_HEADERS,
    LAYOUTS,
    Builder,
    FileLayout,
    deal_builder,
    visit,
    visit_deal_id,
)
from connectors.files.position import ABSENT, Position
from connectors.files.values import BadRow, Row, Style
from connectors.schema import Record, SchemaError, StageVisit

__all__ = ["FilesConnector"]

logger = logging.getLogger(__name__)


@dataclass
class _History:
    """`stage_history.csv` grouped by deal id: the visits, their rows for the raw payload, and
    the line of the first bad row of each deal that has one."""

    visits: defaultdict[str, list[StageVisit]] = field(default_factory=lambda: defaultdict(list))
    rows: defaultdict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    bad: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Skip:
    """A row that is not loaded: the id of the record it stands for (None: unknown), and why."""

    key: str | None
    reason: str

    def message(self, path: Path, line: int, kind: str) -> str:
        if self.key is None:
            return (
                f"{path} line {line}: {self.reason}; row skipped, and since it cannot be told "
                f"which {kind} it was, no {kind} is marked deleted from {path.name} this time"
            )
        return (
            f"{path} line {line}: {kind} {self.key!r}: {self.reason}; row skipped, the "
            f"{kind} stored before is kept as it was"
        )


class FilesConnector:
    """Reads the CSV export in `path`; `name` is the source of every record.

    `zone` is the reporting time zone: a date without a time is the start of that day there.
    Without one, such dates are refused.
    """

    def __init__(
        self,
        path: Path,
        *,
        name: str = "files",
        page_size: int = 1000,
        zone: tzinfo | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1 (got {page_size})")
        self.path = path
        self.name = name
        self.page_size = page_size
        self.zone = zone

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[Page]:
        """Yield the pages of every file; `full` reads every file from the start."""
        if not self.path.is_dir():
            raise FileNotFoundError(f"{self.path}: the files connector's folder does not exist")
        for layout in LAYOUTS:
            cursor = None if full else cursors.get(layout.stream)
            yield from self._stream(layout, self._position(layout, cursor))

    def _position(self, layout: FileLayout, cursor: str | None) -> Position | None:
        if cursor is None:
            return None
        position = Position.decode(cursor)
        if position is None:
            logger.warning(
                "%s: cursor %r of %s is not one this connector wrote; reading from the start",
                self.name,
                cursor,
                layout.stream,
            )
        return position

    def _stream(self, layout: FileLayout, previous: Position | None) -> Iterator[Page]:
        path = self.path / layout.filename
        if not path.exists():
            logger.info("%s: not found, so there are no %s records", path, layout.kind)
            gone = Position(ABSENT, 0, complete=True)
            if previous != gone:
                yield Page(layout.stream, layout.kind, live_ids=frozenset(), cursor=gone.encode())
            return
        history_path = self.path / HISTORY_FILE
        try:
            content = fingerprint([path, history_path] if layout is DEALS else [path])
            start = 0
            if previous is not None and previous.content == content:
                if previous.complete:
                    logger.debug("%s: unchanged since the last pull", path)
                    return
                start = previous.line
            if layout is DEALS:
                history = self._history(history_path)
                pages = self._pages(layout, deal_builder(history.visits), content, start, history)
            else:
                pages = self._pages(layout, layout.build, content, start)
            yield from pages
        except SkippedFile as error:
            if error.path != path:
                outcome = f"{layout.filename} is skipped too, its stored {layout.kind}s kept"
            elif error.partial:
                outcome = "the rest of the file is skipped and nothing is marked deleted"
            else:
                outcome = f"file skipped, the {layout.kind}s loaded from it before are kept"
            logger.error("%s; %s", error, outcome)

    def _history(self, path: Path) -> _History:
        history = _History()
        if not path.exists():
            logger.info("%s: not found, so deals have no stage history", path)
            return history
        with open_csv(path, HISTORY_HEADERS) as csv_file:
            style = self._style(csv_file)
            for row in csv_file.rows:
                try:
                    cells = csv_file.cells(row)
                    deal_id, stage_visit = visit(Row(cells, style))
                except BadRow as error:
                    self._bad_visit(history, csv_file, row, style, error)
                    continue
                history.visits[deal_id].append(stage_visit)
                history.rows[deal_id].append({"line": row.first_line, "row": cells})
        return history

    @staticmethod
    def _bad_visit(
        history: _History, csv_file: CsvFile, row: CsvRow, style: Style, error: BadRow
    ) -> None:
        """Hold back the deal of a bad visit, or every deal when the visit's deal is unknown."""
        # a row wider or narrower than the header may hold its deal_id in any column
        fits = len(row.cells) == len(csv_file.header)
        deal_id = visit_deal_id(Row(csv_file.cells(row), style)) if fits else None
        if deal_id is None:
            raise SkippedFile(
                csv_file.path,
                f"{error}; as it cannot be told which deal this visit belongs to, any deal "
                "could lose it",
                line=row.first_line,
            )
        logger.warning(
            "%s line %d: deal %r: %s; row skipped, and the deal is kept as stored before",
            csv_file.path,
            row.first_line,
            deal_id,
            error,
        )
        history.bad.setdefault(deal_id, row.first_line)

    def _style(self, csv_file: CsvFile) -> Style:
        # Windows-1252 is the one encoding taken for want of another: say so
        level = logging.INFO if csv_file.encoding.codec == "cp1252" else logging.DEBUG
        logger.log(
            level,
            "%s: read as %s, %s",
            csv_file.path,
            csv_file.describe(),
            csv_file.encoding.reason,
        )
        return Style(decimal_comma=csv_file.delimiter == ";", zone=self.zone)

    def _pages(
        self,
        layout: FileLayout,
        build: Builder,
        content: str,
        start: int,
        history: _History | None = None,
    ) -> Iterator[Page]:
        path = self.path / layout.filename
        live: set[str] = set()
        # ids of bad rows: their stored records stay live, as they were
        kept: set[str] = set()
        unkeyed = False
        items: list[Pulled] = []
        line = start
        with open_csv(path, layout.headers) as csv_file:
            style = self._style(csv_file)
            for row in csv_file.rows:
                line = max(line, row.last_line)
                # rows up to `start` were committed by an earlier pull: only their ids count
                committed = row.last_line <= start
                read = self._record(layout, build, csv_file, row, style, history)
                if isinstance(read, _Skip):
                    if read.key is None:
                        unkeyed = True
                    else:
                        kept.add(read.key)
                    if not committed:
                        logger.warning("%s", read.message(path, row.first_line, layout.kind))
                    continue
                record, cells = read
                if record.id in live and not committed:
                    logger.warning(
                        "%s line %d: %s %r appears again; this row replaces the earlier one",
                        path,
                        row.first_line,
                        layout.kind,
                        record.id,
                    )
                live.add(record.id)
                if committed:
                    continue
                raw: dict[str, Any] = {"line": row.first_line, "row": cells}
                if history is not None:
                    raw["stage_history"] = history.rows.get(record.id, [])
                items.append(Pulled(record, raw))
                if len(items) == self.page_size:
                    position = Position(content, row.last_line, complete=False)
                    yield Page(layout.stream, layout.kind, tuple(items), cursor=position.encode())
                    items = []
        if history is not None:
            self._report_orphans(live | kept, history)
        done = Position(content, line, complete=True)
        yield Page(
            layout.stream,
            layout.kind,
            tuple(items),
            live_ids=None if unkeyed else frozenset(live | kept),
            cursor=done.encode(),
        )

    def _record(
        self,
        layout: FileLayout,
        build: Builder,
        csv_file: CsvFile,
        row: CsvRow,
        style: Style,
        history: _History | None,
    ) -> tuple[Record, dict[str, str]] | _Skip:
        """The row's record and cells, or why it is skipped and which record it stands for."""
        try:
            cells = csv_file.cells(row)
        except BadRow as error:
            # a row wider or narrower than the header may hold its id in any column
            return _Skip(None, str(error))
        values = Row(cells, style)
        try:
            record = build(self.name, values)
        except SchemaError as error:
            return _Skip(layout.key(values), f"{error.field}: {error.reason}")
        except BadRow as error:
            return _Skip(layout.key(values), str(error))
        bad_visit = None if history is None else history.bad.get(record.id)
        if bad_visit is not None:
            return _Skip(
                record.id, f"its stage history has a bad row ({HISTORY_FILE} line {bad_visit})"
            )
        return record, cells

    def _report_orphans(self, deal_ids: set[str], history: _History) -> None:
        orphans = sorted(set(history.visits) - deal_ids)
        if orphans:
            logger.warning(
                "%s: %d deals with stage history are not among the deals loaded from %s "
                "(first: %r); their history is ignored",
                self.path / HISTORY_FILE,
                len(orphans),
                DEALS.filename,
                orphans[0],
            )
