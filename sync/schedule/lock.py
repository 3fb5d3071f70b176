"""One daemon per store: an exclusive lock on a file beside the store.

`flock` locks belong to the open file, so the operating system drops the lock when the
daemon exits however it exits (even killed), and a stale lock file never blocks a restart.
The file holds the pid of the daemon holding it, to name it in the message a second one gets.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import IO

from connectors.errors import ConfigurationError
from sync.private import private_file


class AlreadyRunning(ConfigurationError):
    """Another daemon holds the store's lock; the message says which and what to do."""

    # the message is a whole sentence already; the user stops the other daemon or points
    # this one at another store, as after a configuration error (exit 2)
    prefix = None


def lock_path(store_path: Path) -> Path:
    return store_path.with_name(f"{store_path.name}.daemon.lock")


class DaemonLock:
    """Held from `__enter__` to `__exit__`; `AlreadyRunning` when another process holds it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def __enter__(self) -> DaemonLock:
        private_file(self.path)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise AlreadyRunning(
                f"another crmkpi daemon (pid {holder}) already serves this store ({self.path}); "
                "stop it first, or give this one its own [store] path"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._file is not None:
            # emptied before unlocking, so no reader takes a finished daemon's pid for a live one
            self._file.truncate(0)
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def holder(path: Path) -> str | None:
    """The pid of the daemon holding the lock at `path` ("unknown" while it starts), or None
    when no daemon runs."""
    if not path.exists():
        return None
    with path.open("r", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip() or "unknown"
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return None
