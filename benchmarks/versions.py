"""How `deal_versions` grows over 30 daily syncs of a large account with 1 % of deals changing.

    .venv/bin/python -m benchmarks.versions [--scale 1] [--days 30] [--share 0.01] [--full]

Scale 1 is the deals of the other benchmarks' account, 250,000 with stage history
(`benchmarks.account`), stored in pages as a first pull does. Then each simulated day 1 % of
the deals change one versioned field (an open deal: its stage, amount, expected close date,
owner, or it is won; a closed one: its amount or owner), and a sync stores them: only the
changed deals, as an incremental pull does, or with `--full` every deal, as a full pull
does. After each sync it prints the versions added, the rows and bytes of `deal_versions`
and the size of the store file, beside the naive record of one row per deal per sync; then
the time a load takes with the versions, reading every row and merging into the snapshot.
The store is a new file in a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path

from benchmarks.account import Account, AccountSize
from benchmarks.basis import END, SOURCE
from benchmarks.generate import PAGE_SIZE, PROPERTIES
from connectors.base import Page, Pulled
from connectors.schema import Deal, Record, Stage, StageVisit
from sync.store import Store

SEED = 14


def _pages(kind: str, records: Iterable[Record]) -> Iterable[Page]:
    items = (Pulled(record, {"id": record.id, "properties": PROPERTIES}) for record in records)
    while chunk := tuple(islice(items, PAGE_SIZE)):
        yield Page(kind, kind, chunk)


class _Changes:
    """Draws each day's changes: one versioned field of a deal, as a CRM user edits it."""

    def __init__(self, stages: Iterable[Stage], owners: list[str]) -> None:
        self._rng = random.Random(SEED)
        self._owners = owners
        self._open: dict[str, list[str]] = {}
        self._won: dict[str, str] = {}
        for stage in stages:
            if not stage.is_closed:
                self._open.setdefault(stage.pipeline_id, []).append(stage.stage_id)
            elif stage.is_won:
                self._won[stage.pipeline_id] = stage.stage_id

    def changed(self, deal: Deal, day: datetime) -> Deal:
        rng = self._rng
        pick = rng.randrange(5) if deal.status == "open" else rng.randrange(2)
        if pick == 0:
            amount = (deal.amount or Decimal(1000)) * Decimal("1.1")
            return replace(deal, amount=amount.quantize(Decimal("0.01")))
        if pick == 1:
            owner = rng.choice([o for o in self._owners if o != deal.owner_id])
            return replace(deal, owner_id=owner)
        if pick == 2:
            pushed = (deal.expected_close_at or day) + timedelta(days=14)
            return replace(deal, expected_close_at=pushed)
        if pick == 3:
            stages = [s for s in self._open[deal.pipeline_id] if s != deal.stage_id]
            return self._moved(deal, rng.choice(stages), day)
        won = self._moved(deal, self._won[deal.pipeline_id], day)
        return replace(won, status="won", closed_at=day)

    @staticmethod
    def _moved(deal: Deal, stage_id: str, day: datetime) -> Deal:
        history = list(deal.stage_history)
        if history and history[-1].exited_at is None:
            history[-1] = replace(history[-1], exited_at=day)
        history.append(StageVisit(stage_id, day))
        return replace(deal, stage_id=stage_id, stage_history=tuple(history))


def _measure(db: sqlite3.Connection) -> tuple[int, int, int]:
    """Rows and bytes (pages) of `deal_versions`, and the store's size in bytes."""
    rows = int(db.execute("SELECT count(*) FROM deal_versions").fetchone()[0])
    found = db.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'deal_versions'").fetchone()
    page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
    pages = int(db.execute("PRAGMA page_count").fetchone()[0])
    return rows, int(found[0] or 0), pages * page_size


def run(path: Path, size: AccountSize, days: int, share: float, *, full: bool) -> None:
    account = Account(size)
    deals = {deal.id: deal for deal in account.deals()}
    owners = account.owners()
    stages = account.stages()
    changes = _Changes(stages, [owner.id for owner in owners[: size.sales_owners]])
    with Store.open(path) as store:
        for kind, records in (("owner", owners), ("stage", stages)):
            for page in _pages(kind, records):
                store.commit_page(SOURCE, page, synced_at=END)
        started = time.perf_counter()
        for page in _pages("deal", deals.values()):
            store.commit_page(SOURCE, page, synced_at=END)
        first = time.perf_counter() - started
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        rows, data, total = _measure(db)
        per_row = data / rows
        print(
            f"{len(deals):,} deals stored in {first:.1f} s: {rows:,} versions, "
            f"{data / 2**20:,.1f} MiB ({per_row:.0f} B a row), store {total / 2**20:,.1f} MiB"
        )
        print(
            f"{'day':>3} {'changed':>8} {'added':>7} {'sync s':>7} {'rows':>9} {'MiB':>7} "
            f"{'store MiB':>9} {'naive rows':>11} {'naive MiB':>9}"
        )
        rng = random.Random(SEED)
        ids = list(deals)
        for day in range(1, days + 1):
            at = END + timedelta(days=day)
            picked = rng.sample(ids, round(len(ids) * share))
            for deal_id in picked:
                deals[deal_id] = changes.changed(deals[deal_id], at)
            synced = deals.values() if full else (deals[deal_id] for deal_id in sorted(picked))
            started = time.perf_counter()
            added = sum(
                store.commit_page(SOURCE, page, synced_at=at).versions
                for page in _pages("deal", synced)
            )
            took = time.perf_counter() - started
            rows, data, total = _measure(db)
            naive = len(deals) * (day + 1)
            print(
                f"{day:>3} {len(picked):>8,} {added:>7,} {took:>7.2f} {rows:>9,} "
                f"{data / 2**20:>7.1f} {total / 2**20:>9.1f} {naive:>11,} "
                f"{naive * per_row / 2**20:>9.1f}",
                flush=True,
            )
        db.close()
        # the first load reads every row and snapshots them; the next merges a page into it
        last = END + timedelta(days=days)
        for load in ("load (rows)", "load (snapshot merge)"):
            started = time.perf_counter()
            loaded = store.load_dataset()
            print(
                f"{load}: {time.perf_counter() - started:.2f} s, "
                f"{len(loaded.columns.versions):,} versions, recorded since "
                f"{loaded.recorded_since[SOURCE].isoformat()}"
            )
            again = next(iter(_pages("deal", islice(deals.values(), 100))))
            store.commit_page(SOURCE, again, synced_at=last)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 250,000 deals")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--share", type=float, default=0.01, help="deals changing a day")
    parser.add_argument("--full", action="store_true", help="every sync stores every deal")
    args = parser.parse_args()
    size = AccountSize().scaled(args.scale)
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder) / "versions.db", size, args.days, args.share, full=args.full)


if __name__ == "__main__":
    main()
