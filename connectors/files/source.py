"""`[connectors.files]`: the export folder, how a run reads it, and its doctor line."""

from __future__ import annotations

from pathlib import Path

from connectors.files import FilesConnector
from connectors.settings import Section
from connectors.source import Check, CheckContext, SourceContext


class FilesSettings(Section):
    # relative to the config file's folder
    path: Path
    name: str = "files"


def build(settings: FilesSettings, context: SourceContext) -> FilesConnector:
    return FilesConnector(
        _folder(settings, context.base_dir), name=settings.name, zone=context.zone
    )


def checks(settings: FilesSettings, context: CheckContext) -> list[Check]:
    """The folder exists and holds CSV files."""
    folder = _folder(settings, context.base_dir)
    name = f"source {settings.name}"
    if not folder.is_dir():
        return [Check(name, False, f"{folder} is not a folder", "set [connectors.files] path")]
    found = sorted(p.name for p in folder.glob("*.csv"))
    return [
        Check(
            name,
            bool(found),
            f"{folder}: {', '.join(found) or 'no CSV files'}",
            "export your CRM as described in docs/files-format.md",
        )
    ]


def _folder(settings: FilesSettings, base_dir: Path) -> Path:
    return settings.path if settings.path.is_absolute() else base_dir / settings.path
