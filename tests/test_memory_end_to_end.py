"""A series of daily syncs of a CSV export in which deals move stage, change amount, close
date and owner, and close: the store's versions hold every change once, and the store read
as of each sync's instant gives back the numbers that sync computed (issue 14)."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.files.layout import HISTORY_FILE, HISTORY_HEADERS, LAYOUTS
from kpis.results import ResultRow
from sync import run
from sync.config import Config, load_config
from sync.store import Store

CONFIG = """
[reporting]
timezone = "Europe/Berlin"
currency = "EUR"
periods = ["month", "week"]
history_periods = 3
[currency.rates]
USD = 0.92
[connectors.files]
path = "export"
"""

OWNERS = [{"id": "o1", "name": "Ada"}, {"id": "o2", "name": "Grace"}]
PIPELINES = [
    {"stage_id": "s1", "stage_order": "1", "probability": "0.2", "is_closed": "false"},
    {"stage_id": "s2", "stage_order": "2", "probability": "0.6", "is_closed": "false"},
    {
        "stage_id": "won",
        "stage_order": "3",
        "probability": "1",
        "is_closed": "true",
        "is_won": "true",
    },
    {"stage_id": "lost", "stage_order": "4", "probability": "0", "is_closed": "true"},
]
HEADERS = {layout.filename: layout.headers for layout in LAYOUTS} | {HISTORY_FILE: HISTORY_HEADERS}
DAY = timedelta(days=1)
FIRST = datetime(2026, 9, 28, 4, tzinfo=UTC)
SYNCS = [FIRST + k * DAY for k in range(5)]
"""Each sync at 06:00 Berlin time, from Monday 28 September 2026 to Friday 2 October."""


def _at(k: int, hours: int = 0) -> str:
    """An instant between sync k - 1 and sync k (or at sync k with hours=0), as the CRM's
    export writes it."""
    return (SYNCS[k] - timedelta(hours=hours)).isoformat()


def _deals(k: int) -> list[dict[str, str]]:
    """The CRM's deals as exported just before sync `k`."""
    d1 = {
        "id": "d1",
        "stage_id": "s1",
        "amount": "1000",
        "owner_id": "o1",
        "expected_close_at": "2026-10-20T12:00:00+02:00",
    }
    if k >= 1:
        d1["stage_id"] = "s2"
    if k >= 2:
        d1["amount"] = "1500"
    d2 = {
        "id": "d2",
        "stage_id": "s2",
        "amount": "400",
        "currency": "USD",
        "owner_id": "o1",
        "expected_close_at": "2026-10-05T12:00:00+02:00",
    }
    if k >= 1:
        d2["expected_close_at"] = "2026-11-05T12:00:00+01:00"
    if k >= 3:
        d2["owner_id"] = "o2"
    if k >= 4:
        d2.update(stage_id="won", status="won", closed_at=_at(4, hours=3))
    d4 = {"id": "d4", "stage_id": "s1", "amount": "700", "owner_id": "o2"}
    if k >= 2:
        d4.update(stage_id="lost", status="lost", closed_at=_at(2, hours=5), lost_reason="Price")
    deals = [d1, d2, d4]
    if k >= 3:
        deals.append(
            {
                "id": "d3",
                "stage_id": "s1",
                "amount": "250",
                "owner_id": "o1",
                "created_at": _at(3, hours=2),
            }
        )
    return deals


def _history(k: int) -> list[dict[str, str]]:
    rows = [{"deal_id": "d1", "stage_id": "s1", "entered_at": "2026-09-01T08:00:00+02:00"}]
    if k >= 1:
        rows[0]["exited_at"] = _at(1, hours=4)
        rows.append({"deal_id": "d1", "stage_id": "s2", "entered_at": _at(1, hours=4)})
    return rows


def _write(path: Path, rows: Sequence[Mapping[str, str]], defaults: Mapping[str, str]) -> None:
    """A CSV file of the export format, with every header of its layout; cells not given
    are empty."""
    header = HEADERS[path.name]
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, header, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows({**defaults, **row} for row in rows)


def _export(folder: Path, k: int) -> None:
    folder.mkdir(exist_ok=True)
    _write(folder / "owners.csv", OWNERS, {})
    _write(
        folder / "pipelines.csv",
        PIPELINES,
        {"pipeline_id": "p1", "pipeline_label": "Sales", "stage_label": "", "is_won": "false"},
    )
    _write(
        folder / "deals.csv",
        _deals(k),
        {
            "name": "deal",
            "pipeline_id": "p1",
            "status": "open",
            "currency": "EUR",
            "created_at": "2026-09-01T08:00:00+02:00",
        },
    )
    _write(folder / "stage_history.csv", _history(k), {"exited_at": ""})


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "crmkpi.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return load_config(path)


@pytest.fixture
def synced(config: Config, tmp_path: Path) -> Iterator[tuple[Store, list[list[ResultRow]]]]:
    """The store after the series of syncs, and the rows each sync computed when it ran."""
    computed = []
    with Store.open(config.store_path) as store:
        for k, instant in enumerate(SYNCS):
            _export(tmp_path / "export", k)
            run.run_pull(config, store, full=False, clock=lambda at=instant: at)
            computed.append(run.compute_rows(config, store, now=instant))
        yield store, computed


def _states(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Each deal's recorded versions, as (stage, status, amount, currency, owner, expected
    close), in order."""
    return {
        deal.id: [
            (v.stage_id, v.status, v.amount, v.currency, v.owner_id, v.expected_close_at)
            for v in deal.versions
        ]
        for deal in store.load_dataset().deals
    }


def test_each_change_is_one_version(synced: tuple[Store, list[list[ResultRow]]]) -> None:
    """d1: created, moved, re-priced; d2: created, pushed, reassigned, won; d3 created late;
    d4: created, lost. A sync that finds a deal unchanged adds nothing for it."""
    store, _ = synced
    counts = {deal: len(states) for deal, states in _states(store).items()}
    assert counts == {"d1": 3, "d2": 4, "d3": 1, "d4": 2}


def test_a_rerun_adds_no_version(
    config: Config, synced: tuple[Store, list[list[ResultRow]]]
) -> None:
    store, _ = synced
    before = _states(store)
    run.run_pull(config, store, full=True, clock=lambda: SYNCS[-1] + timedelta(hours=1))
    assert _states(store) == before


@pytest.mark.parametrize("k", range(len(SYNCS)), ids=[f"sync-{k}" for k in range(len(SYNCS))])
def test_as_of_a_sync_gives_back_its_numbers(
    config: Config, synced: tuple[Store, list[list[ResultRow]]], k: int
) -> None:
    store, computed = synced
    again = run.compute_rows(config, store, now=SYNCS[k], as_of=SYNCS[k])
    assert again == computed[k]
