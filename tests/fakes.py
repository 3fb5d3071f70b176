"""Test doubles shared by the connector, Sheets and HTTP tests."""

from __future__ import annotations


class FakeClock:
    """A monotonic clock that only moves when something sleeps, so pacing costs no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
