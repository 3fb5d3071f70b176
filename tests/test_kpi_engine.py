"""`compute` over the catalog: selection, currency check first, row order, shared indexes."""

from __future__ import annotations

import pytest

from kpis.catalog import CATALOG, KPIS, KpiSpec
from kpis.dataset import Dataset
from kpis.deal_index import deal_index
from kpis.engine import compute
from kpis.money import CurrencyError
from kpis.results import ResultRow
from tests.kpi_builders import deal, owner, period, settings

OCTOBER = period("2026-10")
NOVEMBER = period("2026-11")


@pytest.mark.parametrize("kpi", CATALOG, ids=list(KPIS))
def test_empty_dataset_gives_one_null_all_row(kpi: KpiSpec) -> None:
    """Every KPI of an empty dataset is a single all row with value null and sample size 0."""
    rows = kpi.function(Dataset(), OCTOBER, settings())
    assert [(r.segment_by, r.segment, r.value, r.n) for r in rows] == [("all", "all", None, 0)]


def test_rows_ordered_by_period_kpi_and_segment() -> None:
    """Rows come by period as given, KPI in catalog order, then segment kind and name."""
    data = Dataset(
        owners=[owner("u1", "bob"), owner("u2", "Alice")],
        deals=[
            deal("a", won="2026-10-02", owner="u1", lead_source="Ads"),
            deal("b", lost="2026-10-03", owner="u2"),
        ],
    )
    rows = compute(data, [NOVEMBER, OCTOBER], settings(), kpis=["win_rate", "close_rate"])
    keys = [(r.period.label, r.kpi, r.segment_by, r.segment) for r in rows]
    october_close_rate = [k for k in keys if k[:2] == ("2026-10", "close_rate")]
    assert [k[:2] for k in keys[:2]] == [("2026-11", "close_rate"), ("2026-11", "win_rate")]
    assert october_close_rate == [
        ("2026-10", "close_rate", "all", "all"),
        ("2026-10", "close_rate", "owner", "Alice"),
        ("2026-10", "close_rate", "owner", "bob"),
        ("2026-10", "close_rate", "pipeline", "p1"),
        ("2026-10", "close_rate", "source", "(none)"),
        ("2026-10", "close_rate", "source", "Ads"),
    ]
    assert keys.index(october_close_rate[-1]) + 1 == keys.index(
        ("2026-10", "win_rate", "all", "all")
    )


def test_unknown_kpi_is_rejected_by_name() -> None:
    """Asking for a KPI the catalog lacks raises ValueError naming it."""
    with pytest.raises(ValueError, match="unknown KPI close_rat;"):
        compute(Dataset(), [OCTOBER], settings(), kpis=["close_rat", "win_rate"])


def test_missing_rate_fails_before_any_kpi() -> None:
    """A currency without a rate raises CurrencyError even when no money KPI is asked for."""
    data = Dataset(deals=[deal("d", amount="5", currency="USD")])
    with pytest.raises(CurrencyError, match="USD"):
        compute(data, [OCTOBER], settings(), kpis=["win_rate"])


def test_kpi_called_alone_raises_currency_error_for_missing_rate() -> None:
    """A KPI function called without `compute` still reports a missing rate as CurrencyError."""
    data = Dataset(deals=[deal("d", won="2026-10-02", amount="5", currency="USD")])
    with pytest.raises(CurrencyError, match="USD"):
        KPIS["close_rate"].function(data, OCTOBER, settings())


def test_deal_index_is_shared_per_dataset_and_settings() -> None:
    """The deal index is built once for a dataset and settings, and again when either changes."""
    data = Dataset(deals=[deal("d", won="2026-10-02", amount="5")])
    first = deal_index(data, settings())
    assert deal_index(data, settings()) is first
    assert deal_index(data, settings(window=0)) is not first
    assert deal_index(Dataset(deals=data.deals), settings()) is not first


def test_periods_computed_from_one_index_stay_independent() -> None:
    """Computing several periods over one dataset gives each period its own deals."""
    data = Dataset(deals=[deal("oct", won="2026-10-02"), deal("nov", lost="2026-11-02")])
    rows = compute(data, [OCTOBER, NOVEMBER], settings(), kpis=["win_rate"])
    assert [(r.period.label, r.value) for r in rows if r.segment_by == "all"] == [
        ("2026-10", 1.0),
        ("2026-11", 0.0),
    ]


def _labels(rows: list[ResultRow]) -> set[str]:
    return {row.kpi for row in rows}


def test_default_computes_every_registered_kpi() -> None:
    """Without a selection every registered KPI has rows."""
    assert _labels(compute(Dataset(), [OCTOBER], settings())) == set(KPIS)
