"""Timing and peak memory of the steps of a benchmark, printed as they finish."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def peak_mib() -> float:
    """The peak resident memory of this process so far (not its children), in MiB."""
    # ru_maxrss is KiB on Linux and bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


@dataclass
class Steps:
    """Wall and CPU seconds of named steps; CPU time shows when other processes share the cores."""

    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.wall[name] = time.perf_counter() - wall
        self.cpu[name] = time.process_time() - cpu
        print(
            f"{name:<34} {self.wall[name]:7.2f} s  (cpu {self.cpu[name]:6.2f} s)  "
            f"peak {peak_mib():6,.0f} MiB",
            flush=True,
        )

    def total(self) -> tuple[float, float]:
        """Wall and CPU seconds of every step together."""
        return sum(self.wall.values()), sum(self.cpu.values())
