"""Only configured sources count: the starter config, KPI loads by source, `forget`, doctor."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
import typing
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from connectors.base import Page, Pulled
from connectors.schema import Contact, Deal, Owner, Record, StageVisit, Ticket
from sync import doctor
from sync.cli import app
from sync.config import Config, load_config, parse_config
from sync.starter import example_config, starter_config
from sync.store import Store

T0 = datetime(2026, 10, 1, 9, tzinfo=UTC)
SYNCED = datetime(2026, 11, 1, tzinfo=UTC)
EXPORT = Path(__file__).resolve().parent / "fixtures" / "cli_export"
REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _deal(source: str, deal_id: str, *, days: int = 0) -> Deal:
    start = T0 + timedelta(days=days)
    history = (StageVisit("s1", start, start + timedelta(days=2)), StageVisit("s2", start))
    return Deal(source, deal_id, "p1", "s2", "open", start, stage_history=history)


def _page(*records: Record) -> Page:
    kind = records[0].KIND
    return Page(kind + "s", kind, tuple(Pulled(record, {}) for record in records))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "crmkpi.db") as opened:
        for source in ("crm", "demo"):
            opened.commit_page(source, _page(Owner(source, "o1", source)), synced_at=SYNCED)
            opened.commit_page(source, _page(Contact(source, "c1", T0)), synced_at=SYNCED)
            opened.commit_page(source, _page(Ticket(source, "t1", T0)), synced_at=SYNCED)
        deals = [_deal("demo", "a", days=1), _deal("demo", "b", days=2)]
        opened.commit_page("demo", _page(*deals), synced_at=SYNCED)
        opened.commit_page("crm", _page(_deal("crm", "x", days=3)), synced_at=SYNCED)
        yield opened


def _held(store: Store, sources: frozenset[str] | None) -> dict[str, list[tuple[str, str]]]:
    data = store.load_dataset(sources=sources)
    return {
        "owners": [(o.source, o.id) for o in data.owners],
        "contacts": [(c.source, c.id) for c in data.contacts],
        "tickets": [(t.source, t.id) for t in data.tickets],
        "deals": [(d.source, d.id) for d in data.deals],
        "visits": [(d.id, v.stage_id) for d in data.deals for v in d.stage_history],
    }


@pytest.mark.parametrize("snapshot", [False, True], ids=["rows", "snapshot"])
def test_a_load_by_sources_keeps_only_their_records_and_their_deals_visits(
    store: Store, snapshot: bool
) -> None:
    """Of crm and demo, a load for crm holds crm's records only, x with its own two visits."""
    if snapshot:
        store.take_snapshot()
        store.commit_page("demo", _page(_deal("demo", "c", days=4)), synced_at=SYNCED)
    assert _held(store, frozenset({"crm"})) == {
        "owners": [("crm", "o1")],
        "contacts": [("crm", "c1")],
        "tickets": [("crm", "t1")],
        "deals": [("crm", "x")],
        "visits": [("x", "s1"), ("x", "s2")],
    }


def test_a_load_for_no_source_holds_nothing_and_without_sources_everything(store: Store) -> None:
    """An empty set of sources loads no record; None loads every source's."""
    assert all(not held for held in _held(store, frozenset()).values())
    assert len(_held(store, None)["deals"]) == 3


def test_forget_removes_one_source_whole_and_a_snapshot_merge_drops_it(store: Store) -> None:
    """After forgetting demo, its records, visits and cursors are gone; crm's stay."""
    store.take_snapshot()
    store.commit_page(
        "demo", replace(_page(Owner("demo", "o2", "")), cursor="c9"), synced_at=SYNCED
    )
    assert store.sources() == {"crm": 4, "demo": 6}
    removed = store.forget("demo")
    assert removed == {"owners": 2, "contacts": 1, "deals": 2, "tickets": 1}
    assert store.sources() == {"crm": 4}
    assert store.cursors("demo") == {}
    assert _held(store, None)["deals"] == [("crm", "x")]
    assert _held(store, None)["visits"] == [("x", "s1"), ("x", "s2")]
    assert store.forget("demo") == {}


def test_the_starter_config_is_the_example_with_the_demo_commented_out() -> None:
    """`init` writes every line of the example; only the demo section's are commented."""
    example, starter = example_config().splitlines(), starter_config().splitlines()
    assert len(example) == len(starter)
    changed = [(a, b) for a, b in zip(example, starter, strict=True) if a != b]
    assert changed[0] == ("[connectors.demo]", "# [connectors.demo]")
    assert all(b == f"# {a}" for a, b in changed)
    assert "connectors" not in tomllib.loads("\n".join(starter))
    assert starter_config(demo=True) == example_config()


def test_the_demo_goals_recur_and_go_off_with_the_demo() -> None:
    """The demo's goals recur, so they never go stale; `init` comments them out with it."""
    demo_goals = tomllib.loads(starter_config(demo=True))["goals"]
    assert len(demo_goals) >= 2
    assert all("every" in goal and "start" not in goal for goal in demo_goals)
    assert "goals" not in tomllib.loads(starter_config())


def test_the_packaged_example_is_the_repository_example() -> None:
    """One file: `config.example.toml` is the package's starter config, not a copy of it."""
    assert (REPO / "config.example.toml").resolve() == (REPO / "sync" / "starter_config.toml")


def test_the_starter_config_loads_with_no_source(tmp_path: Path) -> None:
    """The file `init` writes is valid as it is, and names no source yet."""
    path = tmp_path / "crmkpi.toml"
    path.write_text(starter_config(), encoding="utf-8")
    assert load_config(path).connectors.names == frozenset()


FILES_ONLY = """
[reporting]
timezone = "Europe/Berlin"
currency = "EUR"
[currency.rates]
USD = 0.92
GBP = 1.16
[connectors.files]
path = "export"
[xlsx]
path = "kpis.xlsx"
"""
WITH_DEMO = FILES_ONLY + "[connectors.demo]\nanchor = 2026-11-27\n"


def _kpis(config: Path) -> list[dict[str, object]]:
    result = runner.invoke(
        app, ["--config", str(config), "kpis", "--period", "2026-10", "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return [{k: v for k, v in row.items() if k != "updated_at"} for row in rows]


def test_a_source_taken_out_of_the_config_counts_in_no_kpi(tmp_path: Path) -> None:
    """Pulled beside the demo, then the demo removed: the KPIs equal a files-only pull's."""
    shutil.copytree(EXPORT, tmp_path / "alone" / "export")
    shutil.copytree(EXPORT, tmp_path / "mixed" / "export")
    alone, mixed = tmp_path / "alone" / "crmkpi.toml", tmp_path / "mixed" / "crmkpi.toml"
    alone.write_text(FILES_ONLY, encoding="utf-8")
    mixed.write_text(WITH_DEMO, encoding="utf-8")
    for config in (alone, mixed):
        assert runner.invoke(app, ["--config", str(config), "pull"]).exit_code == 0
    assert _kpis(mixed) != _kpis(alone)
    mixed.write_text(FILES_ONLY, encoding="utf-8")
    assert _kpis(mixed) == _kpis(alone)


def _pulled_with_demo(tmp_path: Path) -> Path:
    shutil.copytree(EXPORT, tmp_path / "export")
    config = tmp_path / "crmkpi.toml"
    config.write_text(WITH_DEMO, encoding="utf-8")
    assert runner.invoke(app, ["--config", str(config), "pull"]).exit_code == 0
    config.write_text(FILES_ONLY, encoding="utf-8")
    return config


def test_doctor_names_a_stored_source_the_config_no_longer_has(tmp_path: Path) -> None:
    """The demo's records stay in the store: doctor says so and how to remove them."""
    config = _pulled_with_demo(tmp_path)
    checks = {check.name: check for check in doctor.run_checks(config, now=SYNCED)}
    stored = checks["stored source demo"]
    assert "count in no KPI" in stored.detail
    assert "crmkpi forget demo" in stored.detail
    assert "stored source files" not in checks
    # the demo's pound deals are not among those that count
    assert checks["currencies"].detail == "every deal converts to EUR (EUR, USD)"


def test_the_configured_source_names_include_renamed_sources(tmp_path: Path) -> None:
    """A source's `name` is what its records keep, so it is what counts."""
    data = {"connectors": {"files": {"path": "x", "name": "export"}, "demo": {}}}
    config = parse_config(data, tmp_path / "crmkpi.toml")
    assert config.connectors.names == frozenset({"export", "demo"})


@pytest.mark.parametrize(
    ("args", "answer", "code", "demo_left"),
    [
        (["--yes"], None, 0, False),
        ([], "y\n", 0, False),
        ([], "n\n", 1, True),
        ([], "", 1, True),
    ],
    ids=["yes-flag", "answered-yes", "answered-no", "no-answer"],
)
def test_forget_removes_a_source_after_asking(
    tmp_path: Path, args: list[str], answer: str | None, code: int, demo_left: bool
) -> None:
    """`forget demo` asks first; only a yes (or --yes) removes it, and files stays."""
    config = _pulled_with_demo(tmp_path)
    result = runner.invoke(app, ["--config", str(config), "forget", "demo", *args], input=answer)
    assert result.exit_code == code, result.output
    with Store.open(tmp_path / "crmkpi.db") as store:
        held = store.sources()
    assert ("demo" in held) is demo_left
    assert held["files"] == 24
    if not demo_left:
        assert "removed 8,365 records of 'demo'" in result.stdout


def test_forget_of_a_source_the_store_does_not_hold_is_refused(tmp_path: Path) -> None:
    """A misspelt name is exit 2, naming what the store holds."""
    config = _pulled_with_demo(tmp_path)
    result = runner.invoke(app, ["--config", str(config), "forget", "dmeo", "--yes"])
    assert result.exit_code == 2
    assert "holds nothing of 'dmeo' (it holds 'demo', 'files')" in result.stderr


def _models(annotation: object) -> Iterator[type[BaseModel]]:
    """The config sections an annotation holds: `X | None`, `tuple[X, ...]` and the like."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _models(argument)


def _keys(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        key = field.alias or name
        yield prefix + key
        for section in _models(field.annotation):
            yield from _keys(section, f"{prefix}{key}.")


# set by the loader from where the file is, never written in it
NOT_WRITTEN = {"base_dir"}


def test_the_example_config_documents_every_key() -> None:
    """Each key of every section appears in the example, set or commented."""
    text = example_config()
    missing = [
        key
        for key in _keys(Config)
        if key not in NOT_WRITTEN
        and not re.search(rf"(^|[#\s\[.]){re.escape(key.split('.')[-1])}(\s*=|\]|\.)", text, re.M)
    ]
    assert missing == []
