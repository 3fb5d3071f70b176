"""Suite-wide setup: the optional wall-clock shift of `tests/clock_ahead.py`."""

from __future__ import annotations

import pytest

from tests import clock_ahead

_travel: list[object] = []


def pytest_configure(config: pytest.Config) -> None:
    travel = clock_ahead.start()
    if travel is not None:
        _travel.append(travel)


def pytest_unconfigure(config: pytest.Config) -> None:
    for travel in _travel:
        travel.stop()  # type: ignore[attr-defined]


def pytest_report_header(config: pytest.Config) -> str | None:
    days = clock_ahead.days_ahead()
    return None if days is None else f"wall clock moved {days} days ahead ({clock_ahead.ENV})"
