"""The cron schedule of `[schedule]`, read in the reporting time zone."""

from __future__ import annotations

from datetime import datetime

from apscheduler.triggers.cron import CronTrigger

from sync.config import Config


def cron_trigger(config: Config) -> CronTrigger:
    return CronTrigger.from_crontab(config.schedule.cron, timezone=config.reporting.zone)


def next_run_time(config: Config, now: datetime) -> datetime | None:
    """The next time the schedule fires after `now`, in the reporting time zone."""
    fire: datetime | None = cron_trigger(config).get_next_fire_time(None, now)
    return fire
