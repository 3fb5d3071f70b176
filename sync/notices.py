"""The warnings of one run, collected so that the run ends with a summary of them.

A bad row, a skipped file or a record that points at nothing is logged as a warning the
moment it is met; among hundreds of log lines, or in a daemon's journal, it is easily
missed. `collected` gathers the warnings and errors our own loggers emit while a run goes
on, so that the run's record says it completed with warnings and the command ends by
listing them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

LOGGERS = ("connectors", "kpis", "sync")
SHOWN = 10
"""The warnings a summary lists; the rest are counted."""


class Notices(logging.Handler):
    """The messages of the warnings and errors logged while it is attached, in order."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # one line each: a config error may list several problems on lines of their own
        text = "; ".join(part.strip() for part in record.getMessage().splitlines())
        self.messages.append(text)

    def __len__(self) -> int:
        return len(self.messages)

    def headline(self) -> str:
        """One line for the log of runs: how many, and the first."""
        if not self.messages:
            return ""
        count = len(self.messages)
        return f"completed with {count:,} warning{'s' * (count != 1)}, first: {self.messages[0]}"

    def summary(self) -> str:
        """The end of a command's output: the warnings, at most `SHOWN` of them."""
        if not self.messages:
            return ""
        count = len(self.messages)
        lines = [f"{count:,} warning{'s' * (count != 1)} during this run:"]
        lines += [f"  {message}" for message in self.messages[:SHOWN]]
        if count > SHOWN:
            lines.append(f"  ... and {count - SHOWN:,} more in the log above")
        return "\n".join(lines)


@contextmanager
def collected() -> Iterator[Notices]:
    """Collect our loggers' warnings while the block runs."""
    notices = Notices()
    loggers = [logging.getLogger(name) for name in LOGGERS]
    for logger in loggers:
        logger.addHandler(notices)
    try:
        yield notices
    finally:
        for logger in loggers:
            logger.removeHandler(notices)
