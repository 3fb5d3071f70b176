"""Every source comes from one registry row: its config table, its build and its doctor lines."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from pydantic import SecretStr, ValidationError

from connectors.base import Page
from connectors.registry import SOURCES, TOKEN_VARIABLES
from connectors.settings import Section
from connectors.source import Check, CheckContext, MissingToken, Source, SourceContext
from sync.config import ConfigError, parse_config, sources_section
from sync.secrets import Secrets, load_secrets

NOW = datetime(2026, 11, 1, tzinfo=UTC)
KEYS = [source.key for source in SOURCES]


class _CrmSettings(Section):
    account: str
    name: str = "crm"


class _CrmConnector:
    def __init__(self, name: str, token: str) -> None:
        self.name = name
        self.token = token

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[Page]:
        yield from ()


def _build(settings: _CrmSettings, context: SourceContext) -> _CrmConnector:
    return _CrmConnector(
        settings.name, context.token("CRM_TOKEN", "the CRM's key").get_secret_value()
    )


def _checks(settings: _CrmSettings, context: CheckContext) -> list[Check]:
    return [Check(f"source {settings.name}", True, settings.account)]


CRM = Source("crm", _CrmSettings, _build, _checks, token="CRM_TOKEN")


@pytest.mark.parametrize("source", SOURCES, ids=KEYS)
def test_a_source_is_named_after_its_table_by_default(source: Source[Any, Any]) -> None:
    """`[connectors.<key>]` left to its defaults names its records `<key>`."""
    assert source.settings.model_fields["name"].default == source.key


@pytest.mark.parametrize("key", KEYS, ids=KEYS)
def test_every_row_is_a_config_table_with_keys_in_its_errors(tmp_path: Path, key: str) -> None:
    """Each row's table is read from the config, and a bad key in it is named with its path."""
    with pytest.raises(ConfigError, match=rf"connectors\.{key}\.nonsense: is not a known setting"):
        parse_config({"connectors": {key: {"nonsense": 1}}}, tmp_path / "crmkpi.toml")


def test_a_new_row_is_a_new_table_with_its_own_build_and_checks() -> None:
    """A row alone gives the config its table, the run its connector and doctor its lines."""
    section = sources_section([*SOURCES, CRM])
    connectors = section.model_validate({"crm": {"account": "acme"}, "demo": {}})
    assert connectors.names == frozenset({"crm", "demo"})
    ((crm, settings),) = [(s, v) for s, v in connectors.configured() if s.key == "crm"]
    context = SourceContext(
        now=NOW,
        secrets=Secrets({"CRM_TOKEN": SecretStr("k")}),
        session=requests.Session(),
        zone=ZoneInfo("UTC"),
        base_dir=Path(),
    )
    assert crm.build(settings, context).token == "k"
    assert crm.checks(settings, CheckContext(Path(), Secrets())) == [
        Check("source crm", True, "acme")
    ]
    with pytest.raises(ValidationError, match=r"crm\.account"):
        section.model_validate({"crm": {}})


def test_a_missing_token_says_which_variable_and_where_it_goes() -> None:
    """A builder asking for an unset token gets the sentence the run turns into a config error."""
    context = SourceContext(
        now=NOW,
        secrets=Secrets(),
        session=requests.Session(),
        zone=ZoneInfo("UTC"),
        base_dir=Path(),
    )
    with pytest.raises(MissingToken, match=r"^CRM_TOKEN is not set; put the CRM's key in the"):
        context.token("CRM_TOKEN", "the CRM's key")


@pytest.mark.parametrize(
    ("sections", "shared"),
    [
        ({"demo": {"name": "a"}, "files": {"path": "x", "name": "a"}}, "a"),
        (
            {"files": {"path": "x", "name": "x"}, "demo": {"name": "y"}, "hubspot": {"name": "y"}},
            "y",
        ),
    ],
    ids=["two", "the-repeated-one-of-three"],
)
def test_two_sources_sharing_a_name_are_refused_naming_it(
    tmp_path: Path, sections: dict[str, object], shared: str
) -> None:
    """Records are told apart by source name, so two sections may not share one."""
    with pytest.raises(ConfigError, match=f"two sources share the name '{shared}'"):
        parse_config({"connectors": sections}, tmp_path / "crmkpi.toml")


@pytest.mark.parametrize("variable", TOKEN_VARIABLES, ids=TOKEN_VARIABLES)
def test_the_secrets_hold_the_token_of_every_row(tmp_path: Path, variable: str) -> None:
    """Each row's token variable is read from the environment."""
    token = load_secrets(tmp_path, {variable: "tok-1234"}).token(variable)
    assert token is not None and token.get_secret_value() == "tok-1234"


def test_connectors_never_import_sync() -> None:
    """The registry points from sync/ to connectors/ only: no connector module imports sync."""
    root = Path(__file__).resolve().parent.parent / "connectors"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(("from sync", "import sync"))
    ]
    assert offenders == []


def test_the_advice_for_no_source_names_every_row_of_the_registry(tmp_path: Path) -> None:
    """Doctor and the pull say which tables to uncomment, from the registry's rows."""
    advice = parse_config({}, tmp_path / "crmkpi.toml").connectors.how_to_add()
    assert all(f"[connectors.{source.key}]" in advice for source in SOURCES)
