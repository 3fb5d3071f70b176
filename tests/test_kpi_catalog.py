"""The KPI catalog: one row per KPI, each naming its section of `docs/kpis.md`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from kpis.catalog import CATALOG, HEADLINE_KPIS, KPIS, KpiSpec
from kpis.dataset import Dataset
from tests.kpi_builders import period, settings

DOCS = Path(__file__).parent.parent / "docs" / "kpis.md"
# a KPI section's heading starts with a KPI id, e.g. "## upsell_rate (ratio, `all` only)"
_KPI_HEADING = re.compile(r"^## [a-z][a-z0-9_]*\b")
_PARTS = re.compile(r"^## (?P<ids>[a-z0-9_]+(?:, [a-z0-9_]+)*) \((?P<unit>[a-z]+)[,)]")


def _anchor(heading: str) -> str:
    """The anchor a Markdown renderer such as GitHub's gives a heading."""
    text = heading.lstrip("#").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@dataclass(frozen=True)
class _Section:
    anchor: str
    kpis: list[str]
    unit: str


def _kpi_sections() -> list[_Section]:
    """The KPI sections of docs/kpis.md in page order; a heading that does not parse fails."""
    sections = []
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if not _KPI_HEADING.match(line):
            continue
        parts = _PARTS.match(line)
        assert parts, f"{line!r} does not read '## ids (unit, ...)'"
        sections.append(_Section(_anchor(line), parts["ids"].split(", "), parts["unit"]))
    return sections


def test_rows_and_kpi_sections_name_each_other() -> None:
    """Each KPI heading of docs/kpis.md is the section of exactly the KPIs it names."""
    catalog: dict[str, list[str]] = {}
    for spec in CATALOG:
        catalog.setdefault(spec.section, []).append(spec.id)
    assert {section.anchor: section.kpis for section in _kpi_sections()} == catalog


def test_kpi_sections_come_in_catalog_order() -> None:
    """docs/kpis.md defines the KPIs in the order the engine publishes them."""
    assert [kpi for section in _kpi_sections() for kpi in section.kpis] == list(KPIS)


@pytest.mark.parametrize("spec", CATALOG, ids=list(KPIS))
def test_heading_states_the_unit(spec: KpiSpec) -> None:
    """The unit a KPI's heading in docs/kpis.md states is the catalog's."""
    units = {section.anchor: section.unit for section in _kpi_sections()}
    assert units[spec.section] == spec.unit


@pytest.mark.parametrize("spec", CATALOG, ids=list(KPIS))
def test_rows_carry_the_catalog_unit(spec: KpiSpec) -> None:
    """The rows a KPI's function builds carry the unit the catalog declares for it."""
    rows = spec.function(Dataset(), period("2026-10"), settings())
    assert {row.unit for row in rows} == {spec.unit}
    assert {row.kpi for row in rows} == {spec.id}


def test_ids_and_labels_are_unique() -> None:
    """No two rows share an id or a label."""
    assert len(KPIS) == len(CATALOG)
    assert len({spec.label for spec in CATALOG}) == len(CATALOG)


def test_headline_places_run_from_one() -> None:
    """The headline places are 1, 2, 3 … with no gap or tie, so the Dashboard's order is total."""
    places = sorted(spec.headline for spec in CATALOG if spec.headline is not None)
    assert places == list(range(1, len(places) + 1))
    assert [KPIS[kpi].headline for kpi in HEADLINE_KPIS] == places
