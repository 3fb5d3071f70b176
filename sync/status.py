"""`crmkpi status`: the last runs, what the store holds, and when the schedule fires next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
    for source, newest in sorted(store.newest_changes().items()):
        lines.append(f"  {source}: {describe_newest(newest, now)}")
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


def describe_newest(newest: datetime, now: datetime) -> str:
    """The newest change stored and its distance from now; a clock behind the CRM's is named."""
    when = f"newest change {newest.astimezone(UTC).strftime('%Y-%m-%d %H:%M UTC')}"
    if newest > now:
        return f"{when} (the machine's clock is behind the CRM's by {_span(newest - now)})"
    return f"{when} ({_span(now - newest)} before now)"


def _span(gap: timedelta) -> str:
    minutes = int(gap.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min"]
    return " ".join(part for part in parts if part)
