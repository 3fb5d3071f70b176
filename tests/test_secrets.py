"""Secrets come from the environment or a `.env` beside the config, and never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.config import ConfigError
from sync.secrets import load_secrets

FAKE = "fake-token-for-tests"


def test_environment_provides_the_tokens(tmp_path: Path) -> None:
    """Tokens set in the environment are read under their documented names."""
    secrets = load_secrets(
        tmp_path,
        {"HUBSPOT_TOKEN": FAKE, "ACTIVECAMPAIGN_API_TOKEN": FAKE + "-ac"},
    )
    assert secrets.token("HUBSPOT_TOKEN") is not None
    assert secrets.token("HUBSPOT_TOKEN").get_secret_value() == FAKE
    assert secrets.token("ACTIVECAMPAIGN_API_TOKEN") is not None
    assert secrets.token("ACTIVECAMPAIGN_API_TOKEN").get_secret_value() == FAKE + "-ac"


def test_dotenv_beside_the_config_is_read(tmp_path: Path) -> None:
    """A `.env` file in the config's folder fills what the environment leaves unset."""
    (tmp_path / ".env").write_text(
        f"HUBSPOT_TOKEN={FAKE}\nGOOGLE_APPLICATION_CREDENTIALS=key.json\n"
    )
    secrets = load_secrets(tmp_path, {})
    assert secrets.token("HUBSPOT_TOKEN") is not None
    assert secrets.token("HUBSPOT_TOKEN").get_secret_value() == FAKE
    assert secrets.google_credentials_file == Path("key.json")


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    """A deployment's environment overrides a developer's `.env`."""
    (tmp_path / ".env").write_text("HUBSPOT_TOKEN=from-file\n")
    secrets = load_secrets(tmp_path, {"HUBSPOT_TOKEN": FAKE})
    assert secrets.token("HUBSPOT_TOKEN") is not None
    assert secrets.token("HUBSPOT_TOKEN").get_secret_value() == FAKE


def test_tokens_never_show_in_repr_or_str(tmp_path: Path) -> None:
    """Formatting the secrets, as a log line or a traceback would, hides the token."""
    secrets = load_secrets(tmp_path, {"HUBSPOT_TOKEN": FAKE})
    assert FAKE not in repr(secrets)
    assert FAKE not in str(secrets)
    assert FAKE not in f"{secrets.token('HUBSPOT_TOKEN')}"


def test_unset_tokens_are_none(tmp_path: Path) -> None:
    """Without environment or `.env`, every secret is None rather than an empty string."""
    secrets = load_secrets(tmp_path, {"HUBSPOT_TOKEN": ""})
    assert secrets.token("HUBSPOT_TOKEN") is None
    assert secrets.token("ACTIVECAMPAIGN_API_TOKEN") is None
    assert secrets.google_credentials_file is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("  pat-na1-abc\n", "pat-na1-abc"), ("\tpat-na1-abc ", "pat-na1-abc"), ("  ", None)],
    ids=["trailing-newline", "tabs-and-spaces", "only-blanks"],
)
def test_blanks_around_a_token_are_dropped(
    tmp_path: Path, value: str, expected: str | None
) -> None:
    """A pasted token with a line break after it is the token."""
    token = load_secrets(tmp_path, environ={"HUBSPOT_TOKEN": value}).token("HUBSPOT_TOKEN")
    assert (None if token is None else token.get_secret_value()) == expected


@pytest.mark.parametrize(
    "value", ["pat-na1\nabc", "pat na1 abc", "pat-na1\x00abc"], ids=["newline", "space", "nul"]
)
def test_a_token_broken_inside_is_refused_naming_the_variable_not_the_value(
    tmp_path: Path, value: str
) -> None:
    """requests would refuse such a header with the token in its message: refuse it first."""
    with pytest.raises(ConfigError, match=r"^ACTIVECAMPAIGN_API_TOKEN: the token has") as error:
        load_secrets(tmp_path, environ={"ACTIVECAMPAIGN_API_TOKEN": value})
    assert "abc" not in str(error.value)
