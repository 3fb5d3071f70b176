"""The demo account's records all point at owners, stages and contacts it yields."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connectors.demo import DemoConnector
from sync.notices import collected
from sync.pull import pull
from sync.store import Store


@pytest.mark.parametrize("seed", [7, 11], ids=["seed-7", "seed-11"])
def test_the_demo_names_no_reference(tmp_path: Path, seed: int) -> None:
    """Deals, tickets, events and answers of a demo pull name nothing it did not yield."""
    demo = DemoConnector(seed=seed, scale=0.1, anchor=date(2026, 11, 1), page_size=50)
    now = datetime(2026, 11, 1, 6, tzinfo=UTC)
    with collected() as notices, Store.open(tmp_path / "store.db") as store:
        report = pull(store, [demo], full=False, now=lambda: now)
    assert report.source("demo").stored > 0
    assert [message for message in notices.messages if "names no" in message] == []
