"""Files and folders this tool creates are its user's alone, whatever the umask.

The store holds e-mail addresses and raw CRM payloads, the workbook the company's revenue;
under a usual umask (022) both would be created readable by every account of the machine.
So each is created owner-only (files 0600, folders 0700) and then set to exactly that mode, as
a umask can take bits away but never gives them back. A file or folder that exists already
keeps the mode its owner gave it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
SHARED_BITS = stat.S_IRWXG | stat.S_IRWXO
"""The permission bits that let another account of the machine in."""


def private_folder(path: Path) -> None:
    """`path` and each missing folder above it, created owner-only."""
    missing: list[Path] = []
    folder = path
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir(mode=FOLDER_MODE, exist_ok=True)
        os.chmod(created, FOLDER_MODE)


def private_file(path: Path) -> bool:
    """Creates `path` empty and owner-only (its folders too) unless it exists; whether it did."""
    private_folder(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(descriptor, FILE_MODE)
    finally:
        os.close(descriptor)
    return True


def shared_with_others(path: Path) -> bool:
    """Whether another account of the machine may read or change the file at `path`."""
    return bool(path.stat().st_mode & SHARED_BITS)
