"""Reading one CSV file as a stream of rows, and fingerprinting files by their content.

The encoding is decided by `encoding.detect`. The separator is the one of `,` `;` tab `|`
that splits the header row into the most of the file's known columns: the header is the
one line whose content is known, which makes this surer than sniffing the rows. Rows are
read one at a time, so a file of any size takes constant memory.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.files.encoding import Encoding, UndecodableFile, detect
from connectors.files.values import BadRow

if TYPE_CHECKING:
    from _csv import Reader

_CHUNK = 1 << 20
DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "'|'"}


class SkippedFile(ValueError):
    """A file that is not read, or not read to its end; the message names it, the line if one
    is to blame, and the cause. `partial` says rows before that line were read."""

    def __init__(
        self, path: Path, reason: str, *, line: int | None = None, partial: bool = False
    ) -> None:
        self.path = path
        self.reason = reason
        self.partial = partial
        super().__init__(f"{path}{'' if line is None else f' line {line}'}: {reason}")


class UnreadableFile(SkippedFile):
    """A file that cannot be opened, is in no encoding read, or is not CSV from some line on."""


class MissingColumns(SkippedFile):
    """A file whose header lacks required columns."""

    def __init__(self, path: Path, required: Sequence[str], header: Sequence[str]) -> None:
        self.missing = tuple(column for column in required if column not in header)
        reason = f"header is missing the columns {', '.join(self.missing)}"
        super().__init__(path, reason + _hint(header, required))


@dataclass(frozen=True, slots=True)
class CsvRow:
    """A row and the lines it spans (a quoted cell may hold line breaks)."""

    first_line: int
    last_line: int
    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CsvFile:
    """An open CSV file: how it is written, its header, and its rows in file order."""

    path: Path
    encoding: Encoding
    delimiter: str
    header: tuple[str, ...]
    rows: Iterator[CsvRow]

    def cells(self, row: CsvRow) -> dict[str, str]:
        """The row's cells by column name; a row as wide as the header or it is bad."""
        if len(row.cells) != len(self.header):
            raise BadRow(f"has {len(row.cells)} values, the header has {len(self.header)}")
        return dict(zip(self.header, row.cells, strict=True))

    def describe(self) -> str:
        return f"{self.encoding.name}, {_DELIMITER_NAMES[self.delimiter]}-separated"


@contextmanager
def open_csv(path: Path, required: Sequence[str]) -> Iterator[CsvFile]:
    """Open `path`, check that its header has every `required` column, and stream its rows."""
    try:
        encoding = detect(path)
        handle = path.open(encoding=encoding.codec, newline="")
    except UndecodableFile as error:
        raise UnreadableFile(path, str(error)) from None
    except OSError as error:
        raise UnreadableFile(path, f"cannot be read ({error.strerror or error})") from None
    with handle:
        first = handle.readline()
        delimiter = _delimiter(first, required)
        reader = csv.reader(itertools.chain([first], handle), delimiter=delimiter)
        header = tuple(name.strip() for name in _next(path, reader) or ())
        if not set(required) <= set(header):
            raise MissingColumns(path, required, header)
        yield CsvFile(path, encoding, delimiter, header, _rows(path, reader))


def _delimiter(first_line: str, required: Sequence[str]) -> str:
    """The separator that splits the header into the most known columns, then the most cells."""

    def fit(delimiter: str) -> tuple[int, int]:
        names = [name.strip() for name in next(csv.reader([first_line], delimiter=delimiter), [])]
        return sum(column in names for column in required), len(names)

    # max keeps the first of equals, so a header of one column reads as comma-separated
    return max(DELIMITERS, key=fit)


def _hint(header: Sequence[str], required: Sequence[str]) -> str:
    """The likely cause, when a header has none of the columns or differs only in case."""
    if not header:
        return " (the file is empty)"
    shown = ", ".join(repr(name) for name in header[:4]) + (", …" if len(header) > 4 else "")
    if any("\0" in name for name in header):
        return f" (the header row reads {shown}: UTF-16 without a byte-order mark?)"
    if len(header) == 1:
        return (
            f"; the header row is one column {shown}: separated by something other than "
            "a comma, semicolon, tab or '|'?"
        )
    if any(name not in required and name.lower() in required for name in header):
        return f"; the header row has {shown}: column names are matched exactly, in lower case"
    if not any(name in required for name in header):
        return f"; the header row has {shown}"
    return ""


def _next(path: Path, reader: Reader, *, partial: bool = False) -> list[str] | None:
    line = reader.line_num + 1
    try:
        return next(reader, None)
    except (csv.Error, UnicodeDecodeError) as error:
        # text is decoded in blocks, so a bad byte may lie a few lines further on
        reason = f"unreadable at or after line {line}: {error}"
        raise UnreadableFile(path, reason, partial=partial) from error


def _rows(path: Path, reader: Reader) -> Iterator[CsvRow]:
    while True:
        first = reader.line_num + 1
        cells = _next(path, reader, partial=True)
        if cells is None:
            return
        if any(cell.strip() for cell in cells):
            yield CsvRow(first, reader.line_num, tuple(cells))


def fingerprint(paths: Sequence[Path]) -> str:
    """A SHA-256 over the names and contents of `paths`; a missing file counts as absent.

    Raises `UnreadableFile` for a file that exists but cannot be read.
    """
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        if not path.exists():
            digest.update(b"absent\0")
            continue
        file_digest = hashlib.sha256()
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    file_digest.update(chunk)
        except OSError as error:
            raise UnreadableFile(path, f"cannot be read ({error.strerror or error})") from None
        digest.update(file_digest.hexdigest().encode() + b"\0")
    return f"sha256:{digest.hexdigest()}"
