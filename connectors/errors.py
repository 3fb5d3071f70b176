"""The root of every error a user is told about, and the exit code each kind ends `crmkpi` with.

A user-facing error subclasses `ConfigurationError` (the user fixes a file or a setting:
exit 2) or `RunFailure` (the run could not finish: exit 1), beside whatever standard base
its callers catch it by; `sync.cli` maps them to a message and an exit code in one place.

This module sits in `connectors/` because that is the package below the others: `kpis`
reads `connectors.schema`, `sync` reads both, and `connectors` reads neither, so every
package can import the root without a cycle between packages. It imports nothing, so the
CLI loads it before `--help` at no cost.
"""

from __future__ import annotations

from typing import ClassVar


class CrmKpiError(Exception):
    """An error a user is told about in one line, without a traceback."""

    exit_code: ClassVar[int] = 1
    # the words before the message; None shows the message alone
    prefix: ClassVar[str | None] = "failed"

    def user_line(self) -> str:
        """The one line `crmkpi` ends with."""
        return str(self) if self.prefix is None else f"{self.prefix}: {self}"


class ConfigurationError(CrmKpiError):
    """A file or setting the user must fix before anything can run."""

    exit_code = 2
    prefix: ClassVar[str | None] = "configuration error"


class RunFailure(CrmKpiError):
    """A run that could not finish: an API, the store or an output failed."""

    exit_code = 1
    prefix: ClassVar[str | None] = "failed"
