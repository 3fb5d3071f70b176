"""`crmkpi daemon`: the sync of `crmkpi sync`, on the `[schedule]` cron, until stopped.

APScheduler 3.11's `BlockingScheduler` runs one cron job in the reporting time zone, with
`coalesce` (a backlog of missed runs is one run), `max_instances=1` (a run still going when
the next is due is not doubled) and a generous `misfire_grace_time` (its default of 1 s skips
a run that starts a little late, https://github.com/agronholm/apscheduler/issues/292).
Only one daemon serves a store (`sync.schedule.lock`). SIGTERM and SIGINT let the running
sync finish, then the daemon exits 0. A failed run is logged on one line and recorded as
failed in the store; the schedule goes on.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobEvent,
)
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from connectors.clock import Clock, utc_now
from connectors.http import Pacers
from sync import run
from sync.config import Config
from sync.pull import PullReport
from sync.schedule.cron import cron_trigger
from sync.schedule.lock import DaemonLock, lock_path
from sync.store import Store

logger = logging.getLogger(__name__)

JOB_ID = "sync"
COMMAND = "daemon"  # how the store's runs table names a scheduled sync
MISFIRE_GRACE_SECONDS = 3600  # a run up to an hour late (a suspended machine) still runs
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

SyncFunction = Callable[..., tuple[PullReport, run.PublishReport]]


# APScheduler ships no type hints, so its base class is Any to mypy
class OncePerWallClock(BaseTrigger):  # type: ignore[misc]
    """The cron trigger, firing once per local time even when the clock goes back.

    When summer time ends, 02:30 happens twice; APScheduler's cron fires at both, and this
    skips the second. A time that does not exist (02:30 when summer time starts) fires once,
    an hour later in wall-clock terms, as APScheduler already does.
    """

    def __init__(self, cron: CronTrigger) -> None:
        self.cron = cron

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        fire: datetime | None = self.cron.get_next_fire_time(previous_fire_time, now)
        if fire is None or previous_fire_time is None:
            return fire
        if self._wall(fire) != self._wall(previous_fire_time):
            return fire
        # the repeated hour: the cron finds this wall time again from any moment inside it,
        # so look from the hour after it
        later: datetime | None = self.cron.get_next_fire_time(None, fire + timedelta(hours=1))
        return later

    def _wall(self, moment: datetime) -> datetime:
        return moment.astimezone(self.cron.timezone).replace(tzinfo=None)

    def __str__(self) -> str:
        return str(self.cron)


def schedule_trigger(config: Config) -> OncePerWallClock:
    """`[schedule] cron` in `reporting.timezone`; the trigger carries the zone itself, as only
    triggers named by string take the scheduler's
    (https://apscheduler.readthedocs.io/en/3.x/modules/triggers/cron.html)."""
    return OncePerWallClock(cron_trigger(config))


class SyncRunner:
    """The scheduled job: one recorded `run_sync`, logged on one line, never raising.

    The store is opened inside the job, on the scheduler's worker thread, because a SQLite
    connection belongs to the thread that opened it. One `Pacers` serves every run, so an
    account's rate limit is kept across runs as within one.
    """

    def __init__(
        self,
        config: Config,
        *,
        sync: SyncFunction | None = None,
        clock: Clock = utc_now,
        pacers: Pacers | None = None,
    ) -> None:
        self.config = config
        self.pacers = pacers or Pacers()
        self.sync = sync or functools.partial(run.run_sync, pacers=self.pacers)
        self.clock = clock

    def __call__(self) -> None:
        started = time.monotonic()
        logger.info("sync started")
        try:
            with (
                Store.open(self.config.store_path) as store,
                run.recorded(store, COMMAND, self.clock),
            ):
                pulled, published = self.sync(self.config, store, full=False, clock=self.clock)
        except Exception as exc:
            took = time.monotonic() - started
            logger.error(
                "sync failed after %.1f s: %s", took, flatten(str(exc) or type(exc).__name__)
            )
            return
        took = time.monotonic() - started
        summary = f"{pulled.summary()}\n{published.summary()}"
        logger.info("sync ok in %.1f s: %s", took, flatten(summary))


def flatten(text: str) -> str:
    """Text on one line: one log line per event, though a config error may list several
    problems and a pull report has a line per source."""
    return "; ".join(part.strip() for part in text.splitlines() if part.strip())


class _Guarded:
    """The job, with a lock held while it runs, so that stopping can wait for it."""

    def __init__(self, job: Callable[[], None]) -> None:
        self.job = job
        self.running = threading.Lock()

    def __call__(self) -> None:
        with self.running:
            self.job()

    def wait(self) -> None:
        with self.running:
            pass


def build_scheduler(
    config: Config,
    job: Callable[[], None],
    *,
    run_now: bool,
    now: datetime,
    trigger: BaseTrigger | None = None,
) -> BlockingScheduler:
    """A scheduler with the one sync job, first due after `now` (at `now` with `run_now`)."""
    zone = config.reporting.zone
    scheduler = BlockingScheduler(timezone=zone)
    trigger = trigger or schedule_trigger(config)
    # the first fire time comes from the clock we are given: left to itself, APScheduler
    # asks the machine's clock when the job is added
    first = now if run_now else trigger.get_next_fire_time(None, now)
    scheduler.add_job(
        job,
        trigger=trigger,
        id=JOB_ID,
        name="crmkpi sync",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
        next_run_time=None if first is None else first.astimezone(zone),
    )

    def report(event: JobEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            logger.warning(
                "the sync due at %s was missed; it runs at the next time", event.scheduled_run_time
            )
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            logger.warning("the sync due now was skipped: the previous one is still running")
        else:
            scheduled = scheduler.get_job(JOB_ID)
            if scheduled is not None:  # gone once the daemon stops
                logger.info("next sync %s", _when(scheduled.next_run_time))

    scheduler.add_listener(
        report, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
    )
    return scheduler


def serve(
    config: Config,
    *,
    run_now: bool = False,
    job: Callable[[], None] | None = None,
    trigger: BaseTrigger | None = None,
    clock: Clock = utc_now,
) -> None:
    """Run the sync on schedule until SIGTERM or SIGINT, then return once the running sync
    has finished. `AlreadyRunning` when another daemon serves the store."""
    with DaemonLock(lock_path(config.store_path)):
        # our own lines say when runs start, end, are missed or skipped; APScheduler's
        # info lines would say it again
        scheduler_log = logging.getLogger("apscheduler")
        if scheduler_log.level == logging.NOTSET:
            scheduler_log.setLevel(logging.ERROR)
        guarded = _Guarded(job or SyncRunner(config, clock=clock))
        now = clock()
        trigger = trigger or schedule_trigger(config)
        scheduler = build_scheduler(config, guarded, run_now=run_now, now=now, trigger=trigger)
        running, finished = threading.Event(), threading.Event()
        scheduler.add_listener(lambda _event: running.set(), EVENT_SCHEDULER_STARTED)
        # a signal handler runs between two bytecodes of the main thread, maybe inside the
        # scheduler while it holds a lock that shutting down needs: so the handler does
        # nothing, the interpreter writes the signal's number to a pipe
        # (https://docs.python.org/3/library/signal.html#signal.set_wakeup_fd), and a
        # watcher thread shuts the scheduler down in a plain context
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        watcher = threading.Thread(
            target=_watch_signals,
            args=(read_end, scheduler, running, finished),
            name="crmkpi-signals",
            daemon=True,
        )
        watcher.start()
        previous = {number: signal.signal(number, _noted_by_the_watcher) for number in STOP_SIGNALS}
        previous_fd = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        try:
            upcoming = "now" if run_now else _when(trigger.get_next_fire_time(None, now))
            logger.info(
                "daemon started for %s: %r in %s, next sync %s",
                config.store_path,
                config.schedule.cron,
                config.reporting.timezone,
                upcoming,
            )
            scheduler.start()
            guarded.wait()
        finally:
            signal.set_wakeup_fd(previous_fd)
            for number, handler in previous.items():
                signal.signal(number, handler)
            finished.set()
            os.close(write_end)
            watcher.join(timeout=5)
            os.close(read_end)
        logger.info("daemon stopped")


def _noted_by_the_watcher(signum: int, frame: FrameType | None) -> None:
    """Installed so that the signal neither kills the process nor raises; see `serve`."""


def _watch_signals(
    read_end: int,
    scheduler: BlockingScheduler,
    running: threading.Event,
    finished: threading.Event,
) -> None:
    """Wait for SIGTERM or SIGINT on the wakeup pipe, then shut the scheduler down once it
    runs; the scheduler's main loop then ends and `serve` waits for the running sync."""
    while True:
        data = os.read(read_end, 1)
        if not data:
            return  # the pipe closed: the daemon is done
        if data[0] in STOP_SIGNALS:
            break
    logger.info("%s received; stopping after the running sync", signal.Signals(data[0]).name)
    while not running.wait(0.1):
        if finished.is_set():
            return
    with contextlib.suppress(SchedulerNotRunningError):
        scheduler.shutdown(wait=False)


def _when(moment: datetime | None) -> str:
    return "never" if moment is None else f"at {moment:%Y-%m-%d %H:%M %Z}"
