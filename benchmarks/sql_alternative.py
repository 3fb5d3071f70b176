"""The other strategy, measured: the heaviest deal KPIs as SQL aggregations inside SQLite.

    .venv/bin/python -m benchmarks.sql_alternative [--scale 1] [--check]

Computes close rate, win rate and mean sales cycle (segments all, owner, pipeline and lead
source) and mean time in stage (per stage and all) for 12 monthly periods straight from the
benchmark's store file, without loading a record into Python, and prints the time and peak
memory of each step. These are the KPIs whose indexes (every deal, every stage visit) take
most of the engine's compute time. `--check` also computes them with the engine from the
loaded dataset and compares every row that has data.

SQLite does what it does well: one pass copies the columns the KPIs read (segment labels
resolved, stage visits joined to their deals) into indexed temporary tables, then one
grouped query per KPI reads each period as an index range. The few hundred groups that
come back are rolled up into segments in Python. This is a measurement, not a second
engine: it leaves out the medians (SQLite has no median aggregate) and the lookup of a stage
by its id alone when the deal's pipeline does not have it, and takes the largest of a
pipeline's labels where its stages disagree on it.
"""

from __future__ import annotations

import argparse
import math
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from benchmarks.account import AccountSize
from benchmarks.generate import cached_account
from benchmarks.measure import Steps, peak_mib
from benchmarks.scale import NOW, SETTINGS, ZONE
from kpis.engine import compute
from kpis.periods import Period, recent_periods
from sync.store import Store, utc_text

Key = tuple[str, str, str, str]
"""(period label, kpi, segment_by, segment)"""
Values = dict[Key, tuple[float, int]]
"""The value and the sample size of each row with data."""

KPIS = ("close_rate", "win_rate", "sales_cycle_days", "stage_duration_days")

LABELS = (
    "CREATE TEMP TABLE owner_names AS SELECT source, id,"
    " coalesce(nullif(name, ''), nullif(email, ''), id) AS name FROM owners WHERE deleted = 0",
    "CREATE TEMP TABLE pipelines AS SELECT source, pipeline_id, max(pipeline_label) AS label"
    " FROM stages WHERE deleted = 0 GROUP BY source, pipeline_id",
    "CREATE TEMP TABLE stage_names AS SELECT source, pipeline_id, stage_id,"
    " pipeline_label || ' / ' || stage_label AS name, is_closed FROM stages WHERE deleted = 0",
    "CREATE INDEX temp.stage_names_key ON stage_names (source, pipeline_id, stage_id)",
)

SLIM_DEALS = """
CREATE TEMP TABLE slim_deals AS
SELECT coalesce(nullif(trim(coalesce(o.name, d.owner_id)), ''), '(none)') AS owner,
    coalesce(nullif(trim(coalesce(p.label, d.pipeline_id)), ''), '(none)') AS pipeline,
    coalesce(nullif(trim(d.lead_source), ''), '(none)') AS source,
    d.status = 'won' AS won, d.created_at, d.closed_at,
    julianday(d.closed_at) - julianday(d.created_at) AS cycle_days
FROM deals d
LEFT JOIN owner_names o ON o.source = d.source AND o.id = d.owner_id
LEFT JOIN pipelines p ON p.source = d.source AND p.pipeline_id = d.pipeline_id
WHERE d.deleted = 0
"""

SLIM_VISITS = """
CREATE TEMP TABLE slim_visits AS WITH
visits (source, pipeline_id, stage_id, entered_at, exited_at) AS MATERIALIZED (
    SELECT d.source, d.pipeline_id, v.stage_id, v.entered_at, v.exited_at
    FROM deals d JOIN stage_visits v ON v.source = d.source AND v.deal_id = d.id
    WHERE d.deleted = 0 AND v.exited_at IS NOT NULL)
SELECT coalesce(s.name, coalesce(p.label, v.pipeline_id) || ' / ' || v.stage_id) AS stage,
    julianday(v.exited_at) - julianday(v.entered_at) AS days, v.exited_at
FROM visits v
LEFT JOIN stage_names s ON s.source = v.source
    AND s.pipeline_id = v.pipeline_id AND s.stage_id = v.stage_id
LEFT JOIN pipelines p ON p.source = v.source AND p.pipeline_id = v.pipeline_id
WHERE NOT coalesce(s.is_closed, 0)
"""

INDEXES = (
    "CREATE INDEX temp.slim_created ON slim_deals (created_at)",
    "CREATE INDEX temp.slim_closed ON slim_deals (closed_at)",
    "CREATE INDEX temp.slim_exited ON slim_visits (exited_at)",
)

BUCKETS = "CREATE TEMP TABLE buckets (number INTEGER, start TEXT, stop TEXT)"
CLOSED = """
SELECT b.number, d.owner, d.pipeline, d.source,
    sum(d.won), count(*), sum(CASE WHEN d.won THEN d.cycle_days END)
FROM buckets b JOIN slim_deals d ON d.closed_at >= b.start AND d.closed_at < b.stop
GROUP BY 1, 2, 3, 4
"""
CREATED = """
SELECT b.number, d.owner, d.pipeline, d.source, count(*)
FROM buckets b JOIN slim_deals d ON d.created_at >= b.start AND d.created_at < b.stop
GROUP BY 1, 2, 3, 4
"""
EXITED = """
SELECT b.number, v.stage, sum(v.days), count(*)
FROM buckets b JOIN slim_visits v ON v.exited_at >= b.start AND v.exited_at < b.stop
GROUP BY 1, 2
"""


def _segments(owner: str, pipeline: str, source: str) -> tuple[tuple[str, str], ...]:
    return (("all", "all"), ("owner", owner), ("pipeline", pipeline), ("source", source))


def sql_values(db: sqlite3.Connection, periods: Sequence[Period], steps: Steps) -> Values:
    """The four KPIs computed by SQLite, with their steps timed."""
    with steps.step("sql: slim tables and indexes"):
        for statement in (*LABELS, SLIM_DEALS, SLIM_VISITS, *INDEXES, BUCKETS):
            db.execute(statement)
    # bucket 0 holds everything before the first period, bucket n the n-th period
    bounds = [(0, "", utc_text(periods[0].start))]
    bounds += [(n + 1, utc_text(p.start), utc_text(p.end)) for n, p in enumerate(periods)]
    db.executemany("INSERT INTO buckets VALUES (?, ?, ?)", bounds)
    with steps.step("sql: grouped queries"):
        closed = db.execute(CLOSED).fetchall()
        created = db.execute(CREATED).fetchall()
        exited = db.execute(EXITED).fetchall()
    with steps.step("sql: roll-up into segments"):
        return _roll_up(periods, closed, created, exited)


def _roll_up(
    periods: Sequence[Period],
    closed: list[tuple[int, str, str, str, int, int, float | None]],
    created: list[tuple[int, str, str, str, int]],
    exited: list[tuple[int, str, float, int]],
) -> Values:
    won: defaultdict[tuple[int, str, str], int] = defaultdict(int)
    ended: defaultdict[tuple[int, str, str], int] = defaultdict(int)
    cycle: defaultdict[tuple[int, str, str], float] = defaultdict(float)
    begun: defaultdict[tuple[int, str, str], int] = defaultdict(int)
    for number, owner, pipeline, source, wins, count, days in closed:
        for segment in _segments(owner, pipeline, source):
            won[(number, *segment)] += wins
            ended[(number, *segment)] += count
            cycle[(number, *segment)] += days or 0.0
    for number, owner, pipeline, source, count in created:
        for segment in _segments(owner, pipeline, source):
            begun[(number, *segment)] += count
    found: Values = {}
    # in the pipeline during P: created before P's end, less those closed before its start
    segments = {(segment_by, segment) for _, segment_by, segment in begun}
    created_by = {s: begun.get((0, *s), 0) for s in segments}
    closed_by = {s: ended.get((0, *s), 0) for s in segments}
    for number, period in enumerate(periods, start=1):
        for s in segments:
            created_by[s] += begun.get((number, *s), 0)
            count = created_by[s] - closed_by[s]
            if count:
                wins = won.get((number, *s), 0)
                found[(period.label, "close_rate", *s)] = (wins / count, count)
            count = ended.get((number, *s), 0)
            closed_by[s] += count
            if count:
                wins = won[(number, *s)]
                found[(period.label, "win_rate", *s)] = (wins / count, count)
            if won.get((number, *s)):
                days = cycle[(number, *s)] / won[(number, *s)]
                found[(period.label, "sales_cycle_days", *s)] = (days, won[(number, *s)])
    _stage_rows(periods, exited, found)
    return found


def _stage_rows(
    periods: Sequence[Period], exited: list[tuple[int, str, float, int]], found: Values
) -> None:
    days: defaultdict[tuple[int, str, str], float] = defaultdict(float)
    visits: defaultdict[tuple[int, str, str], int] = defaultdict(int)
    for number, stage, total, count in exited:
        for segment_by, segment in (("all", "all"), ("stage", stage)):
            days[(number, segment_by, segment)] += total
            visits[(number, segment_by, segment)] += count
    for (number, segment_by, segment), count in visits.items():
        if number:
            key = (periods[number - 1].label, "stage_duration_days", segment_by, segment)
            found[key] = (days[(number, segment_by, segment)] / count, count)


def engine_values(path: Path, periods: Sequence[Period], steps: Steps) -> Values:
    """The same KPIs from the engine, for the rows that have data."""
    with Store.open(path) as store, steps.step("engine: load"):
        data = store.load_dataset()
    with steps.step("engine: the same four KPIs"):
        rows = compute(data, periods, SETTINGS, kpis=KPIS)
    return {
        (row.period.label, row.kpi, row.segment_by, row.segment): (float(row.value), row.n)
        for row in rows
        if row.value is not None and row.n
    }


def differences(sql: Values, engine: Values) -> list[str]:
    """Rows missing on either side, or whose sample sizes or values differ."""
    problems = [f"only in SQL: {key}" for key in sql.keys() - engine.keys()]
    problems += [f"only in the engine: {key}" for key in engine.keys() - sql.keys()]
    for key in sql.keys() & engine.keys():
        (value, n), (expected, expected_n) = sql[key], engine[key]
        # julianday differences are floats of days: equal to about a millisecond
        if n != expected_n or not math.isclose(value, expected, rel_tol=1e-7, abs_tol=1e-7):
            problems.append(f"{key}: SQL {value} (n {n}), engine {expected} (n {expected_n})")
    return sorted(problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 1,000,000 contacts")
    parser.add_argument("--check", action="store_true", help="compare with the engine")
    args = parser.parse_args()
    path = cached_account(AccountSize().scaled(args.scale))
    periods = recent_periods("month", NOW, 12, ZONE)
    steps = Steps()
    # read-only: the temporary tables live in this connection, the store file is untouched
    db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    # in memory, as a dataframe's columns would be: the peak memory below includes them
    db.execute("PRAGMA temp_store = MEMORY")
    try:
        found = sql_values(db, periods, steps)
    finally:
        db.close()
    wall, cpu = steps.total()
    print(f"{'sql: total':<34} {wall:7.2f} s  (cpu {cpu:6.2f} s)  peak {peak_mib():6,.0f} MiB")
    print(f"  {len(found):,} rows with data")
    if args.check:
        problems = differences(found, engine_values(path, periods, steps))
        print("\n".join(problems) if problems else "  every row equals the engine's")


if __name__ == "__main__":
    main()
