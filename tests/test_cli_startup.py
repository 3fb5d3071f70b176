"""`crmkpi --help` starts at once: it loads none of the heavy libraries the commands use.

`benchmarks/cli_startup.py` measures the time; this holds the cause of a slow start away.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.cli_runs import REPO, process_env

HEAVY = ("requests", "numpy", "openpyxl", "gspread", "pydantic", "rich", "apscheduler")

SCRIPT = """
import json, sys
from sync.cli import app
try:
    app(["--help"])
except SystemExit:
    pass
print(json.dumps(sorted(name for name in {heavy!r} if name in sys.modules)), file=sys.stderr)
"""


def test_help_loads_no_heavy_library() -> None:
    """Importing the CLI and printing its help leaves numpy, requests and the rest unloaded."""
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=process_env(),
        check=True,
    )
    assert result.stdout.startswith("Usage:")
    assert json.loads(result.stderr) == []
