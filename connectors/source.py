"""The shape of one source in `connectors/registry.py`: its settings, how a run builds it, and
what `crmkpi doctor` checks of it.

A builder and a check receive what they may need beyond their settings as a context, so
`sync/` hands them the run's session, store and secrets without `connectors/` knowing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

import requests
from pydantic import SecretStr

from connectors.base import Connector
from connectors.http import Pacers
from connectors.schema import Record
from connectors.settings import Section


class Tokens(Protocol):
    """The secrets of a run, as `sync.secrets.Secrets` holds them."""

    def token(self, variable: str) -> SecretStr | None: ...


class RecordReader(Protocol):
    """A store's read side, as `sync.store.Store.record` offers it."""

    def record(self, source: str, kind: str, record_id: str) -> Record | None: ...


class MissingToken(Exception):
    """A source's token is not set; the message says where it goes."""

    def __init__(self, variable: str, what: str) -> None:
        super().__init__(
            f"{variable} is not set; put {what} in the environment or in a .env file beside "
            "the config"
        )


@dataclass(frozen=True, kw_only=True)
class SourceContext:
    """What building a connector may need beyond its config section.

    `session` is the one HTTP session of the run (inject a fake one in tests); `store` lets
    a connector compare what it pulls with what it stored before, read-only; `pacers` paces
    each API account, across runs when the caller keeps it (the daemon does). `zone` is the
    reporting time zone and `base_dir` the config file's folder, for relative paths.
    """

    now: datetime
    secrets: Tokens
    session: requests.Session
    zone: ZoneInfo
    base_dir: Path
    store: RecordReader | None = None
    pacers: Pacers = field(default_factory=Pacers)

    def token(self, variable: str, what: str) -> SecretStr:
        """The token in `variable`; `MissingToken` naming `what` to put there."""
        token = self.secrets.token(variable)
        if token is None:
            raise MissingToken(variable, what)
        return token


@dataclass(frozen=True)
class CheckContext:
    """What a source's doctor check may need: the config's folder and the secrets, or why
    they could not be read (`secrets` is then None and `problem` says why)."""

    base_dir: Path
    secrets: Tokens | None
    problem: str = ""


@dataclass(frozen=True)
class Check:
    """One line of `crmkpi doctor`: what was checked, whether it passed, and how to fix it.

    A `warning` passed, yet says what to change (`fix`): doctor still exits 0 for it.
    """

    name: str
    ok: bool
    detail: str
    fix: str = ""
    warning: bool = False


S = TypeVar("S", bound=Section)
C = TypeVar("C", bound=Connector)


@dataclass(frozen=True)
class Source(Generic[S, C]):
    """One row of the registry.

    `key` names the `[connectors.<key>]` table, `settings` validates it, `build` makes the
    connector of a run, `checks` are its doctor lines, and `token` is the environment
    variable of its secret, if it has one. `before_pull` runs on every built connector before
    the store is touched, so a wrong account stops the pull in one line.
    """

    key: str
    settings: type[S]
    build: Callable[[S, SourceContext], C]
    checks: Callable[[S, CheckContext], list[Check]]
    token: str | None = None
    before_pull: Callable[[C], object] | None = None
