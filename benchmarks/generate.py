"""Write a synthetic account into a store file, once: later runs reuse the cached file.

    .venv/bin/python -m benchmarks.generate [--scale 1] [--force]

The records go through `Store.commit_page` in pages of `PAGE_SIZE`, as a pull commits them,
so the file is exactly what a pull of such an account would leave. The file is cached under
`$CRMKPI_BENCH_CACHE` (default: a folder in the system's temporary directory), named by the
account's size, its seed, the generator's version and the store's schema version, so a
change to any of them writes a new one. A generation is written under a temporary name and
renamed when complete: an interrupted one is never mistaken for a cached account.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from benchmarks.account import Account, AccountSize
from benchmarks.basis import END, SOURCE
from connectors.base import Page, Pulled
from connectors.schema import Record
from sync.store import SCHEMA_VERSION, Store

GENERATOR_VERSION = 1
"""Bump when `benchmarks.account` or `benchmarks.deals` draw other records: caches are redrawn."""
PAGE_SIZE = 50_000
# stands in for the properties a CRM sends with each record: the store keeps them beside the
# record's columns, so they make its rows as long as a real store's (a load never reads them)
PROPERTIES = "x" * 400


def cache_folder() -> Path:
    """Where generated accounts are kept between runs."""
    configured = os.environ.get("CRMKPI_BENCH_CACHE")
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / "crm-kpi-sync-bench"


def account_path(size: AccountSize, folder: Path) -> Path:
    """The cache file of an account of `size`."""
    return folder / (
        f"account-{size.contacts}c-{size.deals}d-{size.tickets}t-{size.surveys}s-"
        f"{size.sales_owners}+{size.support_owners}o-seed{size.seed}-"
        f"g{GENERATOR_VERSION}-s{SCHEMA_VERSION}.db"
    )


def cached_account(size: AccountSize, folder: Path | None = None, *, force: bool = False) -> Path:
    """The store file of an account of `size`, generated first when it is not cached."""
    path = account_path(size, folder or cache_folder())
    if path.exists() and not force:
        return path
    partial = path.with_name(path.name + ".partial")
    for stale in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        stale.unlink(missing_ok=True)
    with Store.open(partial) as store:
        write_account(store, Account(size))
    partial.replace(path)
    return path


def write_account(store: Store, account: Account) -> dict[str, int]:
    """Commit every record of the account, kind by kind; the records stored of each kind.

    Deals go before contacts and subscriptions: drawing them decides who became a customer.
    """
    streams: list[tuple[str, Iterable[Record]]] = [
        ("owner", account.owners()),
        ("stage", account.stages()),
        ("deal", account.deals()),
        ("contact", account.contacts()),
        ("subscription", account.subscriptions()),
        ("ticket", account.tickets()),
        ("survey", account.surveys()),
    ]
    stored: dict[str, int] = {}
    for kind, records in streams:
        stored[kind] = 0
        items = _pulled(records)
        number = 0
        while chunk := tuple(islice(items, PAGE_SIZE)):
            number += 1
            page = Page(kind, kind, chunk, cursor=f"page {number}")
            stored[kind] += store.commit_page(SOURCE, page, synced_at=END).stored
    return stored


def _pulled(records: Iterable[Record]) -> Iterator[Pulled]:
    for record in records:
        yield Pulled(record, {"id": record.id, "properties": PROPERTIES})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 1,000,000 contacts")
    parser.add_argument("--seed", type=int, default=AccountSize.seed)
    parser.add_argument("--force", action="store_true", help="generate even when cached")
    args = parser.parse_args()
    size = AccountSize(seed=args.seed).scaled(args.scale)
    started = time.perf_counter()
    path = cached_account(size, force=args.force)
    print(f"{path} ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
