"""`crmkpi daemon`: the sync on the `[schedule]` cron (`cron`), one daemon per store (`lock`)."""

from sync.schedule.cron import cron_trigger, next_run_time
from sync.schedule.daemon import SyncRunner, serve
from sync.schedule.lock import AlreadyRunning, DaemonLock, holder, lock_path

__all__ = [
    "AlreadyRunning",
    "DaemonLock",
    "SyncRunner",
    "cron_trigger",
    "holder",
    "lock_path",
    "next_run_time",
    "serve",
]
