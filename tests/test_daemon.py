"""The daemon in-process: its schedule across DST, its options, the lock, stopping, failures."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from sync.config import Config, parse_config
from sync.schedule.daemon import (
    JOB_ID,
    MISFIRE_GRACE_SECONDS,
    SyncRunner,
    build_scheduler,
    schedule_trigger,
    serve,
)
from sync.schedule.lock import AlreadyRunning, DaemonLock, holder, lock_path
from sync.store import Store

BERLIN = ZoneInfo("Europe/Berlin")


def _config(tmp_path: Path, cron: str = "0 6 * * *") -> Config:
    data = {
        "reporting": {"timezone": "Europe/Berlin"},
        "schedule": {"cron": cron},
        "xlsx": {"path": "kpis.xlsx"},
    }
    return parse_config(data, tmp_path / "crmkpi.toml")


def _fires(config: Config, after: datetime, count: int) -> list[datetime]:
    """The next `count` fire times after `after`, as the scheduler walks them."""
    trigger = schedule_trigger(config)
    fires: list[datetime] = []
    previous = None
    now = after
    while len(fires) < count:
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        fires.append(fire.astimezone(UTC))
        previous, now = fire, fire + timedelta(microseconds=1)
    return fires


@pytest.mark.parametrize(
    ("cron", "after", "expected_utc"),
    [
        (
            "0 6 * * *",
            datetime(2026, 3, 28, 12, tzinfo=UTC),
            ["2026-03-29 04:00", "2026-03-30 04:00"],
        ),
        (
            "0 6 * * *",
            datetime(2026, 10, 24, 12, tzinfo=UTC),
            ["2026-10-25 05:00", "2026-10-26 05:00"],
        ),
        (
            "30 2 * * *",
            datetime(2026, 3, 28, 12, tzinfo=UTC),
            ["2026-03-29 01:30", "2026-03-30 00:30"],
        ),
        (
            "30 2 * * *",
            datetime(2026, 10, 24, 12, tzinfo=UTC),
            ["2026-10-25 00:30", "2026-10-26 01:30"],
        ),
    ],
    ids=["6am-spring", "6am-autumn", "skipped-hour-runs-once", "repeated-hour-runs-once"],
)
def test_schedule_is_local_time_in_the_reporting_zone_across_dst(
    tmp_path: Path, cron: str, after: datetime, expected_utc: list[str]
) -> None:
    """06:00 Berlin stays 06:00 through DST; 02:30 runs once when skipped or repeated."""
    fires = _fires(_config(tmp_path, cron), after, 2)
    assert [f"{fire:%Y-%m-%d %H:%M}" for fire in fires] == expected_utc


def test_numeric_weekdays_count_from_sunday_as_cron_does(tmp_path: Path) -> None:
    """`1-5` is Monday to Friday, not APScheduler 3's Tuesday to Saturday."""
    config = _config(tmp_path, "0 6 * * 1-5")
    assert config.schedule.cron == "0 6 * * mon,tue,wed,thu,fri"
    fires = _fires(config, datetime(2026, 11, 27, 12, tzinfo=UTC), 5)  # a Friday
    assert [f"{fire.astimezone(BERLIN):%a}" for fire in fires] == [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
    ]


@pytest.mark.parametrize("run_now", [False, True], ids=["on-schedule", "now"])
def test_the_job_coalesces_never_overlaps_and_tolerates_lateness(
    tmp_path: Path, run_now: bool
) -> None:
    """One job: coalesce, one instance, an hour of grace; `--now` puts its first run now."""
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    scheduler = build_scheduler(_config(tmp_path), lambda: None, run_now=run_now, now=now)
    # a BlockingScheduler blocks the thread that starts it, even paused
    loop = threading.Thread(target=scheduler.start, kwargs={"paused": True})
    loop.start()
    try:
        deadline = time.monotonic() + 5
        while not scheduler.running and time.monotonic() < deadline:
            time.sleep(0.01)
        [job] = scheduler.get_jobs()
        assert job.id == JOB_ID
        assert (job.coalesce, job.max_instances) == (True, 1)
        assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS
        first = job.next_run_time.astimezone(UTC)
        assert first == (now if run_now else datetime(2026, 11, 28, 5, tzinfo=UTC))
    finally:
        scheduler.shutdown(wait=False)
        loop.join(5)


def test_a_second_daemon_on_the_same_store_is_refused(tmp_path: Path) -> None:
    """The lock names the running daemon's pid; it is free again once that one stops."""
    path = lock_path(tmp_path / "crmkpi.db")
    assert holder(path) is None
    with DaemonLock(path):
        assert holder(path) == str(os.getpid())
        with (
            pytest.raises(AlreadyRunning, match=f"another crmkpi daemon \\(pid {os.getpid()}\\)"),
            DaemonLock(path),
        ):
            pass
    assert holder(path) is None
    with DaemonLock(path):
        pass


class _Report:
    def __init__(self, text: str) -> None:
        self.text = text

    def summary(self) -> str:
        return self.text


def test_sigterm_during_a_run_lets_it_finish_then_returns(tmp_path: Path) -> None:
    """SIGTERM while a sync runs: the sync completes, then the daemon returns normally."""
    started, release = threading.Event(), threading.Event()
    order: list[str] = []

    def job() -> None:
        started.set()
        release.wait(5)
        order.append("job finished")

    def terminate() -> None:
        started.wait(5)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)
        order.append("signal sent")
        release.set()

    helper = threading.Thread(target=terminate)
    helper.start()
    previous = signal.getsignal(signal.SIGTERM)
    serve(_config(tmp_path), run_now=True, job=job)
    order.append("daemon returned")
    helper.join()
    assert order == ["signal sent", "job finished", "daemon returned"]
    assert signal.getsignal(signal.SIGTERM) is previous
    assert holder(lock_path(tmp_path / "crmkpi.db")) is None


def test_a_failed_run_is_recorded_and_the_schedule_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing sync is logged on one line and recorded; the next run succeeds."""
    config = _config(tmp_path)
    calls: list[int] = []

    def sync(config: Config, store: Store, *, full: bool, clock: object) -> tuple[_Report, _Report]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("HubSpot GET /crm/v3/objects/deals: 502\nsecond line")
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return _Report("demo: 1 page"), _Report("published 3 KPI rows")

    runner = SyncRunner(config, sync=sync)
    with caplog.at_level(logging.INFO, logger="sync.schedule.daemon"):
        serve(config, run_now=True, job=runner, trigger=IntervalTrigger(seconds=0.2, timezone=UTC))
    with Store.open(config.store_path) as store:
        runs = store.recent_runs(5)
    assert [(run.command, run.outcome) for run in reversed(runs)] == [
        ("daemon", "failed"),
        ("daemon", "ok"),
    ]
    assert runs[1].message == "HubSpot GET /crm/v3/objects/deals: 502\nsecond line"
    failed = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failed) == 1
    assert "sync failed after" in failed[0]
    assert "502; second line" in failed[0]
    assert any("sync ok in" in r.getMessage() for r in caplog.records)
