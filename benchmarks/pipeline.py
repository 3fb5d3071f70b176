"""Time the local path at scale: pull the demo CRM into a fresh store, load it, compute.

    .venv/bin/python -m benchmarks.pipeline --scale 20

Prints the wall time of each step, the records per second of the pull, and the peak
resident memory of the process. Scale 1 is about 2,000 contacts and 1,400 deals.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.measure import peak_mib
from connectors.demo import DemoConnector
from kpis.engine import compute
from kpis.periods import recent_periods
from kpis.settings import KpiSettings
from sync.pull import pull
from sync.store import Store

ANCHOR = date(2026, 11, 1)
RATES = {"USD": Decimal("0.92"), "GBP": Decimal("1.16")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()

    zone = ZoneInfo("Europe/Berlin")
    settings = KpiSettings(timezone=zone, currency="EUR", rates=RATES)
    with (
        tempfile.TemporaryDirectory() as folder,
        Store.open(Path(folder) / "bench.db") as store,
    ):
        started = time.perf_counter()
        report = pull(
            store,
            [DemoConnector(scale=args.scale, anchor=ANCHOR)],
            full=False,
            now=lambda: datetime.now(UTC),
        )
        pulled = time.perf_counter() - started
        records = report.source("demo").stored

        started = time.perf_counter()
        data = store.load_dataset()
        loaded = time.perf_counter() - started

        now = datetime(2026, 10, 31, 12, tzinfo=UTC)
        periods = recent_periods("month", now, args.months, zone)
        started = time.perf_counter()
        rows = compute(data, periods, settings)
        computed = time.perf_counter() - started

    print(
        f"scale {args.scale:g}: {len(data.contacts):,} contacts, {len(data.deals):,} deals, "
        f"{len(data.tickets):,} tickets, {records:,} records in all"
    )
    print(f"pull    {pulled:8.2f} s  ({records / pulled:,.0f} records/s)")
    print(f"load    {loaded:8.2f} s")
    print(f"compute {computed:8.2f} s  ({len(rows):,} rows, {args.months} monthly periods)")
    print(f"peak memory {peak_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
