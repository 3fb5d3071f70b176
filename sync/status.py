"""`crmkpi status`: the last runs, what the store holds, and when the schedule fires next."""

from __future__ import annotations

from datetime import datetime

from sync.config import Config
from sync.schedule import next_run_time
from sync.store import Store

RUNS_SHOWN = 10


def describe_status(config: Config, store: Store, *, now: datetime) -> str:
    zone = config.reporting.zone
    lines = [f"store: {config.store_path}"]
    counts = store.counts()
    held = ", ".join(f"{count:,} {kind}" for kind, count in counts.items() if count)
    lines.append(f"  holds: {held or 'nothing yet; run `crmkpi pull`'}")
    runs = store.recent_runs(RUNS_SHOWN)
    lines.append("last runs:" if runs else "last runs: none yet")
    for run in runs:
        started = run.started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
        took = (
            f"{(run.finished_at - run.started_at).total_seconds():.1f} s"
            if run.finished_at is not None
            else "-"
        )
        message = f"  {run.message}" if run.message else ""
        lines.append(f"  #{run.id} {started}  {run.command:<8} {run.outcome:<11} {took}{message}")
    upcoming = next_run_time(config, now)
    when = upcoming.strftime("%Y-%m-%d %H:%M %Z") if upcoming else "never"
    lines.append(f"schedule: {config.schedule.cron!r} ({config.reporting.timezone}); next: {when}")
    return "\n".join(lines)
