"""Time how long `crmkpi --help` takes to start, in a fresh process each run.

    .venv/bin/python -m benchmarks.cli_startup --runs 20

Prints the median and the spread of the wall time of `crmkpi --help`, of `python -c pass`
(the interpreter's own start, the floor no command can beat) and their ratio, and which
heavy libraries importing `sync.cli` loads (none should). The target is under 0.3 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS = 0.3
HEAVY = ("requests", "numpy", "openpyxl", "gspread", "pydantic", "rich", "apscheduler")


def _crmkpi() -> list[str]:
    beside = Path(sys.executable).with_name("crmkpi")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("crmkpi")
    if found is None:
        raise SystemExit("crmkpi is not installed in this environment: pip install -e .")
    return [found]


def _wall_seconds(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 - our own commands
        times.append(time.perf_counter() - started)
    return times


def _report(name: str, times: list[float]) -> float:
    median = statistics.median(times)
    print(f"{name:<22} median {median:6.3f} s  (min {min(times):.3f}, max {max(times):.3f})")
    return median


def _loaded_by_the_cli() -> list[str]:
    script = (
        f"import sys, sync.cli; print(' '.join(name for name in {HEAVY!r} if name in sys.modules))"
    )
    output = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    return output.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    # one untimed run of each warms the file cache, as any second start finds it
    _wall_seconds([sys.executable, "-c", "pass"], 1)
    _wall_seconds([*_crmkpi(), "--help"], 1)
    floor = _report("python -c pass", _wall_seconds([sys.executable, "-c", "pass"], args.runs))
    helped = _report("crmkpi --help", _wall_seconds([*_crmkpi(), "--help"], args.runs))
    print(f"ratio                  {helped / floor:6.1f} x the interpreter's start")
    verdict = "met" if helped < TARGET_SECONDS else "NOT met"
    print(f"target                 under {TARGET_SECONDS} s: {verdict}")
    loaded = ", ".join(_loaded_by_the_cli()) or "none"
    print(f"importing sync.cli loads {loaded} of {', '.join(HEAVY)}")


if __name__ == "__main__":
    main()
