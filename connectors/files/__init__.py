"""The files connector: a folder of CSV files in the normalized schema (DESIGN.md, Files connector).

Each file is one stream. Its cursor holds the fingerprint of the file's content (for deals,
of `deals.csv` and `stage_history.csv` together) and the last line committed. An unchanged,
fully read file yields nothing; a changed one is read again from the start; a half-read one
(a killed pull) resumes after the last committed line. The last page of a file carries the
ids of all its valid rows, so rows removed from the file are marked deleted; a file that
disappears marks all of its records deleted.

A bad row is skipped with a warning naming the file, the line and the reason. A file whose
header lacks a column is skipped with an error, and the other files are still read.

Memory: rows are streamed. Held in memory are the ids of the valid rows of the file being
read (for the last page's `live_ids`) and, while deals are read, all of `stage_history.csv`
grouped by deal id.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.base import Page, Pulled
from connectors.files.csvfile import MissingColumns, UnreadableFile, fingerprint, open_csv
from connectors.files.layout import (
    DEALS,
    HISTORY_FILE,
    HISTORY_HEADERS,
    LAYOUTS,
    Builder,
    FileLayout,
    deal_builder,
    visit,
)
from connectors.files.position import ABSENT, Position
from connectors.files.values import BadRow, Row
from connectors.schema import SchemaError, StageVisit

__all__ = ["FilesConnector"]

logger = logging.getLogger(__name__)


@dataclass
class _History:
    """`stage_history.csv` grouped by deal id: the visits, and their rows for the raw payload."""

    visits: defaultdict[str, list[StageVisit]] = field(default_factory=lambda: defaultdict(list))
    rows: defaultdict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))


class FilesConnector:
    """Reads the CSV export in `path`; `name` is the source of every record."""

    def __init__(self, path: Path, *, name: str = "files", page_size: int = 1000) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1 (got {page_size})")
        self.path = path
        self.name = name
        self.page_size = page_size

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
        content = fingerprint([path, history_path] if layout is DEALS else [path])
        start = 0
        if previous is not None and previous.content == content:
            if previous.complete:
                logger.debug("%s: unchanged since the last pull", path)
                return
            start = previous.line
        try:
            if layout is DEALS:
                history = self._history(history_path)
                pages = self._pages(layout, deal_builder(history.visits), content, start, history)
            else:
                pages = self._pages(layout, layout.build, content, start)
            yield from pages
        except MissingColumns as error:
            also = f"; {layout.filename} is skipped too" if error.path != path else ""
            logger.error("%s; file skipped%s", error, also)
        except UnreadableFile as error:
            logger.error("%s; rest of the file skipped", error)

    def _history(self, path: Path) -> _History:
        history = _History()
        if not path.exists():
            logger.info("%s: not found, so deals have no stage history", path)
            return history
        with open_csv(path, HISTORY_HEADERS) as csv_file:
            for row in csv_file.rows:
                try:
                    cells = csv_file.cells(row)
                    deal_id, stage_visit = visit(Row(cells))
                except BadRow as error:
                    logger.warning("%s line %d: %s; row skipped", path, row.first_line, error)
                    continue
                history.visits[deal_id].append(stage_visit)
                history.rows[deal_id].append({"line": row.first_line, "row": cells})
        return history

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
        items: list[Pulled] = []
        line = start
        with open_csv(path, layout.headers) as csv_file:
            for row in csv_file.rows:
                line = max(line, row.last_line)
                # rows up to `start` were committed by an earlier pull: only their ids count
                committed = row.last_line <= start
                try:
                    cells = csv_file.cells(row)
                    record = build(self.name, Row(cells))
                except (BadRow, SchemaError) as error:
                    if not committed:
                        logger.warning("%s line %d: %s; row skipped", path, row.first_line, error)
                    continue
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
            self._report_orphans(live, history)
        done = Position(content, line, complete=True)
        yield Page(
            layout.stream,
            layout.kind,
            tuple(items),
            live_ids=frozenset(live),
            cursor=done.encode(),
        )

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
