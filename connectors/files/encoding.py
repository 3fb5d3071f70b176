"""Which text encoding a CSV export is in, decided by rule rather than guessed.

A byte-order mark says UTF-8 or UTF-16 (Excel's "CSV UTF-8" and "Unicode text"). Without
one, a file that is valid UTF-8 is UTF-8, and any other is Windows-1252, what Excel writes
as "CSV" in western Europe and the Americas. Guessing libraries were left out on purpose:
on a short file they flip between encodings, and every byte string that is not UTF-8 decodes
as Windows-1252 except the five bytes it leaves undefined, which the check below reports.
The whole file is checked before any row is read, so a bad byte never stops a file midway.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NAMES = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-8": "UTF-8", "cp1252": "Windows-1252"}


class UndecodableFile(ValueError):
    """A file in none of the encodings read; the message names the bytes, the caller the file."""


@dataclass(frozen=True, slots=True)
class Encoding:
    """The codec to open a file with; `reason` says how it was chosen, for the log."""

    codec: str
    reason: str

    @property
    def name(self) -> str:
        return _NAMES[self.codec]


@dataclass
class _Candidate:
    codec: str
    decoder: codecs.IncrementalDecoder
    failure: str | None = None


def detect(path: Path) -> Encoding:
    """The encoding of `path`; raises `UndecodableFile` when it is none of those read."""
    with path.open("rb") as handle:
        head = handle.read(4)
        handle.seek(0)
        marked = next((codec for bom, codec in _BOMS if head.startswith(bom)), None)
        tried = [marked] if marked else ["utf-8", "cp1252"]
        candidates = [_Candidate(c, codecs.getincrementaldecoder(c)()) for c in tried]
        where = _Where()
        while chunk := handle.read(_CHUNK):
            _feed(candidates, chunk, where, final=False)
            where.advance(chunk)
        _feed(candidates, b"", where, final=True)
    first, *fallback = candidates
    if first.failure is None:
        return Encoding(first.codec, "by its byte-order mark" if marked else "as valid UTF-8")
    if fallback and fallback[0].failure is None:
        return Encoding(fallback[0].codec, f"as it is not UTF-8 ({first.failure})")
    failures = " and ".join(f"not {_NAMES[c.codec]} ({c.failure})" for c in candidates)
    if marked:
        failures = f"starts with a {_NAMES[marked]} byte-order mark but is {failures}"
    raise UndecodableFile(f"{failures}; save it as UTF-8 and pull again")


@dataclass
class _Where:
    """How many bytes and line breaks came before the chunk being decoded."""

    offset: int = 0
    lines: int = 0

    def advance(self, chunk: bytes) -> None:
        self.offset += len(chunk)
        self.lines += chunk.count(b"\n")

    def describe(self, codec: str, chunk: bytes, error: UnicodeDecodeError) -> str:
        bad = error.object[error.start : error.end][:4].hex(" ")
        if codec == "utf-16":
            # a decoder keeps an incomplete character back, so its input starts before `chunk`
            offset = self.offset + len(chunk) - len(error.object) + error.start
            return f"bytes {bad} at byte {offset:,} are not a character there"
        line = self.lines + error.object[: error.start].count(b"\n") + 1
        return f"byte {bad} on line {line} is not a character there"


def _feed(candidates: list[_Candidate], chunk: bytes, where: _Where, *, final: bool) -> None:
    for candidate in candidates:
        if candidate.failure is not None:
            continue
        try:
            candidate.decoder.decode(chunk, final=final)
        except UnicodeDecodeError as error:
            candidate.failure = where.describe(candidate.codec, chunk, error)
