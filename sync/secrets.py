"""Secrets, read from the environment or a `.env` file beside the config, never from the config.

The environment wins over `.env`, so a deployment can override a developer's file. Values are
`SecretStr`: their repr, str and any log line that formats them show `**********`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values
from pydantic import SecretStr

from connectors.registry import TOKEN_VARIABLES
from sync.config import ConfigError

GOOGLE_APPLICATION_CREDENTIALS = "GOOGLE_APPLICATION_CREDENTIALS"


@dataclass(frozen=True)
class Secrets:
    """The sources' tokens by environment variable (`connectors/registry.py` names them), and
    the Google service-account key file."""

    tokens: Mapping[str, SecretStr] = field(default_factory=dict)
    google_credentials_file: Path | None = None

    def token(self, variable: str) -> SecretStr | None:
        return self.tokens.get(variable)


def load_secrets(config_dir: Path, environ: Mapping[str, str] | None = None) -> Secrets:
    """The secrets from `environ` (default: the process environment), then `config_dir/.env`."""
    env = os.environ if environ is None else environ
    dotenv_file = config_dir / ".env"
    from_file = (
        {k: v for k, v in dotenv_values(dotenv_file).items() if v} if dotenv_file.is_file() else {}
    )

    def value(name: str) -> str | None:
        return env.get(name) or from_file.get(name) or None

    tokens = {name: _token(name, value(name)) for name in TOKEN_VARIABLES}
    credentials = value(GOOGLE_APPLICATION_CREDENTIALS)
    return Secrets(
        tokens={name: SecretStr(token) for name, token in tokens.items() if token},
        google_credentials_file=Path(credentials) if credentials else None,
    )


def _token(name: str, value: str | None) -> str | None:
    """A token as the API takes it: spaces and line breaks around it (a pasted value, a
    `.env` line) are dropped; inside it they are refused here, naming the variable only,
    since an HTTP library would refuse the header later with the value in its message."""
    if value is None:
        return None
    token = value.strip()
    if any(char.isspace() or not char.isprintable() for char in token):
        raise ConfigError(
            f"{name}: the token has a space, a line break or a control character inside it; "
            "set the variable to the token alone (its value is not shown here)"
        )
    return token or None
