"""Owner at the time: closed deals counted for their owner at the close, open ones for today's
(`kpis.memory.attribution`, `reporting.attribute_to`)."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.schema import Deal
from kpis.dataset import Dataset
from kpis.memory.attribution import Attribution, attributed, owners_at_close
from kpis.reports.performance import sales_performance
from kpis.sales import net_new_revenue
from sync.config import parse_config
from sync.run import store_data
from tests.kpi_builders import deal, owner, period, settings, values, versioned

OWNERS = (owner("a", "Ada"), owner("b", "Bob"), owner("c", "Cy"))


def _reassigned_then_won() -> Deal:
    """Bob's deal from January, Ada's from February, won by Ada on 1 March."""
    return versioned(
        deal("d1", created="2026-01-01", amount="100", owner="b"),
        ("2026-01-01", {}),
        ("2026-02-01", {"owner_id": "a"}),
        ("2026-03-01", {"status": "won", "closed_at": "2026-03-01"}),
    )


def _won_then_reassigned() -> Deal:
    """Won by Ada on 1 March, handed to Bob on 1 April (an account manager takes over)."""
    return versioned(
        deal("d2", created="2026-01-01", amount="200", owner="a"),
        ("2026-01-01", {}),
        ("2026-03-01", {"status": "won", "closed_at": "2026-03-01"}),
        ("2026-04-01", {"owner_id": "b"}),
    )


def _won_seen_late_then_reassigned() -> Deal:
    """Won by Ada on 1 March, which a sync saw on 3 March; Bob's since 1 April."""
    return versioned(
        deal("d3", created="2026-01-01", amount="300", owner="a"),
        ("2026-01-01", {}),
        ("2026-03-03", {"status": "won", "closed_at": "2026-03-01T10:00"}),
        ("2026-04-01", {"owner_id": "b"}),
    )


def _closed_before_recording() -> Deal:
    """Won on 1 March; versions recorded only from May on (Bob's), Cy's since June."""
    return versioned(
        deal("d4", created="2026-01-01", amount="400", owner="b"),
        ("2026-05-01", {"status": "won", "closed_at": "2026-03-01"}),
        ("2026-06-01", {"owner_id": "c"}),
    )


def _open_reassigned() -> Deal:
    """Still open: Bob's until February, Ada's since."""
    return versioned(
        deal("d5", created="2026-01-01", amount="500", owner="b"),
        ("2026-01-01", {}),
        ("2026-02-01", {"owner_id": "a"}),
    )


def _owners(attribute_to: Attribution, *deals: Deal) -> list[str | None]:
    data = attributed(Dataset(OWNERS, deals=deals), attribute_to)
    return data.columns.deals.owner_id.texts()


@pytest.mark.parametrize(
    ("built", "current", "at_close"),
    [
        (_reassigned_then_won(), "a", "a"),
        (_won_then_reassigned(), "b", "a"),
        (_won_seen_late_then_reassigned(), "b", "a"),
        (_closed_before_recording(), "c", "b"),
        (deal("d6", created="2026-01-01", won="2026-03-01", owner="c"), "c", "c"),
        (_open_reassigned(), "a", "a"),
    ],
    ids=[
        "reassigned-before-the-close",
        "reassigned-after-the-close",
        "close-recorded-late",
        "closed-before-the-first-version",
        "never-recorded",
        "open",
    ],
)
def test_the_owner_a_deal_is_counted_for(built: Deal, current: str, at_close: str) -> None:
    """current_owner reads the present owner; owner_at_close the owner of the state in effect
    at the close (the first recorded one for a close before it), open deals keep today's."""
    assert (_owners("current_owner", built), _owners("owner_at_close", built)) == (
        [current],
        [at_close],
    )


def test_current_owner_leaves_the_dataset_as_it_is() -> None:
    """The default reading is the dataset itself: nothing is rebuilt."""
    data = Dataset(OWNERS, deals=[_won_then_reassigned()])
    assert attributed(data, "current_owner") is data


def test_an_owner_known_only_from_a_past_version_gets_a_label() -> None:
    """A closed deal's owner at the close who owns no deal today is added to the column."""
    built = versioned(
        deal("d", created="2026-01-01", amount="1", owner="c"),
        ("2026-01-01", {}),
        ("2026-03-01", {"status": "lost", "closed_at": "2026-03-01"}),
        ("2026-04-01", {"owner_id": "a"}),
    )
    column = owners_at_close(Dataset(deals=[built]).columns)
    assert (column.texts(), column.values) == (["c"], ("a", "c"))


def test_a_deal_without_owner_at_the_close_has_none() -> None:
    """A deal that had no owner when it closed is in no owner's row, though it has one now."""
    built = versioned(
        deal("d", created="2026-01-01", amount="1"),
        ("2026-01-01", {}),
        ("2026-03-01", {"status": "won", "closed_at": "2026-03-01"}),
        ("2026-04-01", {"owner_id": "a"}),
    )
    assert _owners("owner_at_close", built) == [None]


@pytest.mark.parametrize(
    ("attribute_to", "expected"),
    [
        # d1 100 (Ada's at the close and now), d2 200 and d3 300 (Ada's then, Bob's now)
        ("current_owner", {"Ada": Decimal("100.00"), "Bob": Decimal("500.00")}),
        ("owner_at_close", {"Ada": Decimal("600.00")}),
    ],
    ids=["current-owner", "owner-at-close"],
)
def test_revenue_is_credited_by_the_configured_owner(
    attribute_to: Attribution, expected: dict[str, Decimal]
) -> None:
    """Net new revenue of March per owner follows the reading; the total does not move."""
    deals = [_reassigned_then_won(), _won_then_reassigned(), _won_seen_late_then_reassigned()]
    data = attributed(Dataset(OWNERS, deals=deals), attribute_to)
    found = values(net_new_revenue(data, period("2026-03"), settings()))
    assert {segment: v for (kind, segment), v in found.items() if kind == "owner"} == expected
    assert found[("all", "all")] == Decimal("600.00")


@pytest.mark.parametrize(
    ("attribute_to", "expected"),
    [
        ("current_owner", [("Bob", 1, 0), ("Ada", 0, 1)]),
        ("owner_at_close", [("Ada", 1, 1)]),
    ],
    ids=["current-owner", "owner-at-close"],
)
def test_sales_performance_owners_follow_the_reading(
    attribute_to: Attribution, expected: list[tuple[str, int, int]]
) -> None:
    """The report's owner rows (won deals, open deals) use the same owners as the KPIs."""
    deals = [_won_then_reassigned(), _open_reassigned()]
    data = attributed(Dataset(OWNERS, deals=deals), attribute_to)
    report = sales_performance(data, period("2026-03"), settings())
    assert [(o.owner, o.won_deals, o.open_deals) for o in report.owners] == expected


class _LoadedStore:
    """A store that holds one dataset, as `Store.load_dataset` returns it."""

    def __init__(self, data: Dataset) -> None:
        self.data = data

    def load_dataset(self, *, contacts: str, sources: Collection[str]) -> Dataset:
        return self.data


@pytest.mark.parametrize(
    ("attribute_to", "expected"),
    [("current_owner", ["b"]), ("owner_at_close", ["a"])],
    ids=["current-owner", "owner-at-close"],
)
def test_a_run_reads_the_owners_the_config_names(
    tmp_path: Path, attribute_to: str, expected: list[str]
) -> None:
    """The data every KPI, goal and report of a run reads is attributed as configured."""
    config = parse_config({"reporting": {"attribute_to": attribute_to}}, tmp_path / "c.toml")
    store = _LoadedStore(Dataset(OWNERS, deals=[_won_then_reassigned()]))
    assert store_data(config, store).columns.deals.owner_id.texts() == expected
