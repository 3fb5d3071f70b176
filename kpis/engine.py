"""The one entry point that computes any KPI of the catalog over many periods."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from kpis.catalog import KPIS
from kpis.dataset import Dataset
from kpis.money import check_currencies
from kpis.periods import Period
from kpis.results import ResultRow
from kpis.segments import row_order
from kpis.settings import KpiSettings
from kpis.spend import check_spend_currencies


def compute(
    data: Dataset,
    periods: Iterable[Period],
    settings: KpiSettings,
    *,
    kpis: Collection[str] | None = None,
) -> list[ResultRow]:
    """Every selected KPI (all by default) for every period.

    Raises `CurrencyError` before computing anything when a currency has no rate, and
    `ValueError` for an unknown KPI id. Rows come by period (in the order given), then KPI
    (in catalog order), then segment kind (all, owner, pipeline, source, stage) and segment
    (alphabetical).
    """
    selected = select_kpis(kpis)
    check_currencies(data, settings)
    check_spend_currencies(settings)
    rows: list[ResultRow] = []
    for period in periods:
        for kpi in selected:
            rows.extend(sorted(KPIS[kpi].function(data, period, settings), key=row_order))
    return rows


def select_kpis(kpis: Collection[str] | None) -> list[str]:
    """The KPI ids to compute, in catalog order; `ValueError` naming any unknown id."""
    if kpis is None:
        return list(KPIS)
    unknown = sorted(set(kpis) - KPIS.keys())
    if unknown:
        raise ValueError(f"unknown KPI {', '.join(unknown)}; known: {', '.join(KPIS)}")
    return [kpi for kpi in KPIS if kpi in kpis]
