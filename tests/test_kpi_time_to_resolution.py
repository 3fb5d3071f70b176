"""time_to_resolution_hours(_median): business hours from creation to close, tickets closed in P."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from connectors.schema import Owner
from kpis.catalog import KPIS, KpiFunction
from kpis.columns import micros
from kpis.dataset import Dataset
from kpis.engine import compute
from kpis.service import ticket_index, time_to_resolution_hours, time_to_resolution_hours_median
from kpis.settings import BusinessHoursSpec, KpiSettings
from tests.kpi_builders import BERLIN, at, only, owner, period, settings, ticket, values

OCTOBER = period("2026-10")
NOVEMBER = period("2026-11")
OFFICE = replace(settings(), business_hours=BusinessHoursSpec(timezone=BERLIN))
BOTH = [time_to_resolution_hours, time_to_resolution_hours_median]


def _tickets(*spans: tuple[str, str]) -> Dataset:
    return Dataset(
        tickets=[ticket(f"t{i}", created=t0, closed=t1) for i, (t0, t1) in enumerate(spans)]
    )


# Friday 16:00 to Monday 10:00 Berlin (2 h), Monday 09:00 to 12:00 (3 h), Tuesday 10:00 to
# Wednesday 17:00 (7 + 8 = 15 h); calendar hours 66, 3 and 31
WEEK = _tickets(
    ("2026-10-16T16:00+02:00", "2026-10-19T10:00+02:00"),
    ("2026-10-19T09:00+02:00", "2026-10-19T12:00+02:00"),
    ("2026-10-20T10:00+02:00", "2026-10-21T17:00+02:00"),
)


@pytest.mark.parametrize(
    ("kpi", "kpi_settings", "expected"),
    [
        (time_to_resolution_hours, OFFICE, 20 / 3),
        (time_to_resolution_hours_median, OFFICE, 3.0),
        (time_to_resolution_hours, settings(), 100 / 3),
        (time_to_resolution_hours_median, settings(), 31.0),
    ],
    ids=["mean-business", "median-business", "mean-calendar", "median-calendar"],
)
def test_resolution_hours(kpi: KpiFunction, kpi_settings: KpiSettings, expected: float) -> None:
    """Business hours under a schedule, calendar hours without one, unrounded."""
    # business: (2 + 3 + 15) / 3 = 20/3, median 3; calendar: (66 + 3 + 31) / 3, median 31
    (row,) = [r for r in kpi(WEEK, OCTOBER, kpi_settings) if r.segment_by == "all"]
    assert (row.value, row.n, row.unit) == (expected, 3, "hours")


@pytest.mark.parametrize("kpi", BOTH, ids=["mean", "median"])
def test_ticket_resolved_outside_hours_counts_as_zero(kpi: KpiFunction) -> None:
    """A ticket opened and closed over a weekend took 0 business hours and is in the sample."""
    data = _tickets(
        ("2026-10-17T10:00+02:00", "2026-10-18T10:00+02:00"),
        ("2026-10-19T09:00+02:00", "2026-10-19T13:00+02:00"),
    )
    # (0 + 4) / 2 = 2, and the median of two is their mean
    assert values(kpi(data, OCTOBER, OFFICE))[("all", "all")] == 2.0


@pytest.mark.parametrize(
    ("closed", "counted"),
    [
        ("2026-09-30T21:59:59Z", False),
        ("2026-09-30T22:00Z", True),
        ("2026-10-31T23:00Z", False),
        (None, False),
    ],
    ids=["before-start", "at-start", "at-end", "open"],
)
def test_only_tickets_closed_in_period(closed: str | None, counted: bool) -> None:
    """A ticket counts in the period it closed in, by Berlin midnights; open tickets never."""
    data = Dataset(tickets=[ticket("t", created="2026-09-01", closed=closed)])
    assert only(time_to_resolution_hours(data, OCTOBER, settings())).n == (1 if counted else 0)


def test_whole_duration_counts_in_the_closing_period() -> None:
    """A ticket opened in September and closed in October counts all its hours in October."""
    data = _tickets(("2026-09-30T16:00+02:00", "2026-10-01T10:00+02:00"))
    # Wednesday 16:00-17:00 (September) + Thursday 09:00-10:00 (October) = 2 h
    rows = compute(data, [OCTOBER, NOVEMBER], OFFICE, kpis=["time_to_resolution_hours"])
    assert [(r.period.label, r.value) for r in rows if r.segment_by == "all"] == [
        ("2026-10", 2.0),
        ("2026-11", None),
    ]


@pytest.mark.parametrize("kpi", BOTH, ids=["mean", "median"])
def test_no_ticket_closed_is_null(kpi: KpiFunction) -> None:
    """Without a ticket closed in the period the value is null and only the all row exists."""
    data = Dataset(tickets=[ticket("open", owner="u1"), ticket("nov", closed="2026-11-02")])
    assert [(r.segment_by, r.segment, r.value, r.n) for r in kpi(data, OCTOBER, OFFICE)] == [
        ("all", "all", None, 0)
    ]


def test_segments_by_owner() -> None:
    """Each owner's row is over their own tickets; unset owner is (none), unknown is its id."""
    data = Dataset(
        owners=[owner("u1", "Ada")],
        tickets=[
            ticket(
                "a", created="2026-10-19T09:00+02:00", closed="2026-10-19T11:00+02:00", owner="u1"
            ),
            ticket("b", created="2026-10-19T09:00+02:00", closed="2026-10-19T15:00+02:00"),
            ticket(
                "c", created="2026-10-19T09:00+02:00", closed="2026-10-19T10:00+02:00", owner="u9"
            ),
        ],
    )
    # all: (2 + 6 + 1) / 3 = 3
    assert values(time_to_resolution_hours(data, OCTOBER, OFFICE)) == {
        ("all", "all"): 3.0,
        ("owner", "(none)"): 6.0,
        ("owner", "Ada"): 2.0,
        ("owner", "u9"): 1.0,
    }


def test_schedule_in_its_own_zone() -> None:
    """Business hours follow the schedule's zone, not the reporting zone."""
    new_york = BusinessHoursSpec(timezone=ZoneInfo("America/New_York"))
    data = _tickets(("2026-10-19T09:00+02:00", "2026-10-19T16:00+02:00"))
    # 09:00 New York is 15:00 Berlin: only 15:00-16:00 Berlin is business time
    kpi_settings = replace(settings(), business_hours=new_york)
    assert values(time_to_resolution_hours(data, OCTOBER, kpi_settings))[("all", "all")] == 1.0


def test_index_is_shared_per_dataset_and_settings() -> None:
    """The ticket index (business hours measured once per ticket) is reused by every period."""
    first = ticket_index(WEEK, OFFICE)
    time_to_resolution_hours(WEEK, OCTOBER, OFFICE)
    time_to_resolution_hours_median(WEEK, NOVEMBER, OFFICE)
    assert ticket_index(WEEK, OFFICE) is first
    assert ticket_index(WEEK, settings()) is not first


def test_owners_with_one_name_share_a_row() -> None:
    """Owners of two sources with the same display name are one owner segment."""
    data = Dataset(
        owners=[owner("u1", "Ada"), Owner(source="desk", id="a7", name="Ada")],
        tickets=[
            ticket(
                "a", created="2026-10-19T09:00+02:00", closed="2026-10-19T11:00+02:00", owner="u1"
            ),
            replace(
                ticket("b", created="2026-10-19T09:00+02:00", closed="2026-10-19T13:00+02:00"),
                source="desk",
                owner_id="a7",
            ),
        ],
    )
    # Ada: (2 + 4) / 2 = 3
    assert values(time_to_resolution_hours(data, OCTOBER, OFFICE)) == {
        ("all", "all"): 3.0,
        ("owner", "Ada"): 3.0,
    }


def test_index_sorts_closed_tickets_by_close() -> None:
    """Closed tickets by closed_at, ties in dataset order, each with its owner segment."""
    data = Dataset(
        owners=[owner("u1", "Ada")],
        tickets=[
            ticket("late", closed="2026-10-20", followups=1, owner="u1"),
            ticket("open", followups=9),
            ticket("tie-1", closed="2026-10-02", followups=2),
            ticket("early", closed="2026-10-01", followups=3, owner="u9"),
            ticket("tie-2", closed="2026-10-02", followups=4, owner="u1"),
        ],
    )
    index = ticket_index(data, settings())
    assert index.closed_at.tolist() == [
        micros(at(day)) for day in ("2026-10-01", "2026-10-02", "2026-10-02", "2026-10-20")
    ]
    assert index.followups.tolist() == [3, 2, 4, 1]
    assert [index.owners[i] for i in index.owner.tolist()] == [
        ("owner", "u9"),
        ("owner", "(none)"),
        ("owner", "Ada"),
        ("owner", "Ada"),
    ]
    # calendar hours from 2026-10-01 midnight Berlin
    assert index.resolution_hours.tolist() == [0.0, 24.0, 24.0, 19 * 24.0]


def test_registered_under_their_ids() -> None:
    """The catalog lists both under their ids of docs/kpis.md."""
    assert (
        KPIS["time_to_resolution_hours"].function,
        KPIS["time_to_resolution_hours_median"].function,
    ) == (
        time_to_resolution_hours,
        time_to_resolution_hours_median,
    )
