"""`[connectors.demo]`: the built-in demo's settings, how a run builds it, its doctor line."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from connectors.demo.connector import DemoConnector
from connectors.settings import Section
from connectors.source import Check, CheckContext, SourceContext


class DemoSettings(Section):
    seed: int = 7
    scale: float = Field(default=1.0, gt=0, le=10_000)
    anchor: date | None = None
    name: str = "demo"


def build(settings: DemoSettings, context: SourceContext) -> DemoConnector:
    """The demo, anchored at today in the reporting time zone unless `anchor` is set."""
    return DemoConnector(
        name=settings.name,
        seed=settings.seed,
        scale=settings.scale,
        anchor=settings.anchor or context.now.astimezone(context.zone).date(),
    )


def checks(settings: DemoSettings, context: CheckContext) -> list[Check]:
    anchor = settings.anchor or "today"
    return [
        Check(
            f"source {settings.name}",
            True,
            f"demo CRM, seed {settings.seed}, scale {settings.scale}, up to {anchor}",
        )
    ]
