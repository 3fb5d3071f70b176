"""Render the demo workbook to PNG pages, to see what a person sees when they open or print it.

    .venv/bin/python -m benchmarks.render --out render --dpi 60

Syncs the demo CRM with `config.example.toml` in a temporary folder, prints the written
`kpis.xlsx` to PDF with LibreOffice headless, as its print setup says (landscape, one page
wide), and turns each PDF page into `page-NN.png` with poppler's `pdftoppm`. The workbook, the
PDF and the pages land in `--out`; the page count is printed.

Needs LibreOffice (`soffice`) and poppler (`pdftoppm`) on the PATH, which the tests and CI
do not have: on Debian or Ubuntu `apt-get install libreoffice-calc poppler-utils`, on macOS
`brew install --cask libreoffice` and `brew install poppler`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# each tool's command and the package that brings it
TOOLS = {"soffice": "LibreOffice", "pdftoppm": "poppler"}
INSTALL = (
    "install them (Debian/Ubuntu: apt-get install libreoffice-calc poppler-utils; "
    "macOS: brew install --cask libreoffice && brew install poppler) and run again"
)


def find_tools(which: Callable[[str], str | None] = shutil.which) -> dict[str, str]:
    """The path of each tool the render needs; `SystemExit` naming every one that is missing."""
    found = {name: which(name) for name in TOOLS}
    missing = [f"{TOOLS[name]} ({name})" for name, path in found.items() if path is None]
    if missing:
        raise SystemExit(
            "rendering needs LibreOffice to print the workbook to PDF and poppler to turn it "
            f"into PNG pages; not found on the PATH: {', '.join(missing)}; {INSTALL}"
        )
    return {name: path for name, path in found.items() if path is not None}


def _run(command: list[str], folder: Path) -> None:
    # our own commands, on files this script wrote
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"{Path(command[0]).name} failed ({done.returncode}):\n{done.stderr}")


def render(out: Path, dpi: int, tools: dict[str, str]) -> list[Path]:
    """Sync the demo, print its workbook to PDF and PNG pages in `out`; the pages, in order."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("page-*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="crmkpi-render-") as scratch:
        folder = Path(scratch)
        shutil.copy(REPO / "config.example.toml", folder / "crmkpi.toml")
        crmkpi = [sys.executable, "-c", "from sync.cli import app; app()"]
        _run([*crmkpi, "--config", "crmkpi.toml", "-q", "sync"], folder)
        # a profile of its own, so that a LibreOffice the user has open does not take the job
        profile = f"-env:UserInstallation={(folder / 'profile').as_uri()}"
        _run([tools["soffice"], profile, "--headless", "--convert-to", "pdf", "kpis.xlsx"], folder)
        for name in ("kpis.xlsx", "kpis.pdf"):
            shutil.copy(folder / name, out / name)
    _run([tools["pdftoppm"], "-r", str(dpi), "-png", "kpis.pdf", "page"], out)
    return sorted(out.glob("page-*.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("render"), help="folder for the pages")
    parser.add_argument("--dpi", type=int, default=60, help="resolution of the PNG pages")
    args = parser.parse_args()
    pages = render(args.out, args.dpi, find_tools())
    print(f"{len(pages)} pages in {args.out}, from {args.out / 'kpis.pdf'}")


if __name__ == "__main__":
    main()
