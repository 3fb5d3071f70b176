"""Reading one CSV file as a stream of rows, and fingerprinting files by their content.

Files are UTF-8, with or without a byte-order mark. Rows are read one at a time, so a file of
any size takes constant memory.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.files.values import BadRow

if TYPE_CHECKING:
    from _csv import Reader

_CHUNK = 1 << 20


class UnreadableFile(ValueError):
    """A file that is not UTF-8 text or not CSV from some line on."""


class MissingColumns(ValueError):
    """A file whose header lacks required columns."""

    def __init__(self, path: Path, missing: Sequence[str]) -> None:
        self.path = path
        self.missing = tuple(missing)
        super().__init__(f"{path}: header is missing the columns {', '.join(missing)}")


@dataclass(frozen=True, slots=True)
class CsvRow:
    """A row and the lines it spans (a quoted cell may hold line breaks)."""

    first_line: int
    last_line: int
    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CsvFile:
    """An open CSV file: its header, and its rows in file order."""

    path: Path
    header: tuple[str, ...]
    rows: Iterator[CsvRow]

    def cells(self, row: CsvRow) -> dict[str, str]:
        """The row's cells by column name; a row as wide as the header or it is bad."""
        if len(row.cells) != len(self.header):
            raise BadRow(f"has {len(row.cells)} values, the header has {len(self.header)}")
        return dict(zip(self.header, row.cells, strict=True))


@contextmanager
def open_csv(path: Path, required: Sequence[str]) -> Iterator[CsvFile]:
    """Open `path`, check that its header has every `required` column, and stream its rows."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = tuple(name.strip() for name in _next(path, reader) or ())
        missing = [column for column in required if column not in header]
        if missing:
            raise MissingColumns(path, missing)
        yield CsvFile(path, header, _rows(path, reader))


def _next(path: Path, reader: Reader) -> list[str] | None:
    line = reader.line_num + 1
    try:
        return next(reader, None)
    except (csv.Error, UnicodeDecodeError) as error:
        # text is decoded in blocks, so a bad byte may lie a few lines further on
        raise UnreadableFile(f"{path}: unreadable at or after line {line}: {error}") from error


def _rows(path: Path, reader: Reader) -> Iterator[CsvRow]:
    while True:
        first = reader.line_num + 1
        cells = _next(path, reader)
        if cells is None:
            return
        if any(cell.strip() for cell in cells):
            yield CsvRow(first, reader.line_num, tuple(cells))


def fingerprint(paths: Sequence[Path]) -> str:
    """A SHA-256 over the names and contents of `paths`; a missing file counts as absent."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        if not path.exists():
            digest.update(b"absent\0")
            continue
        file_digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                file_digest.update(chunk)
        digest.update(file_digest.hexdigest().encode() + b"\0")
    return f"sha256:{digest.hexdigest()}"
