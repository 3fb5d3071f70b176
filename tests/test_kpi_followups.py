"""followups_per_ticket: mean follow-ups over the tickets closed in P."""

from __future__ import annotations

from kpis.catalog import KPIS
from kpis.dataset import Dataset
from kpis.service import followups_per_ticket
from tests.kpi_builders import only, owner, period, settings, ticket, values

OCTOBER = period("2026-10")


def test_mean_over_tickets_closed_in_period() -> None:
    """Tickets with 0, 1 and 5 follow-ups average 2; open and other-period tickets are ignored."""
    data = Dataset(
        tickets=[
            ticket("zero", closed="2026-10-02", followups=0),
            ticket("one", closed="2026-10-03", followups=1),
            ticket("five", closed="2026-10-04", followups=5),
            ticket("open", followups=40),
            ticket("november", closed="2026-11-02", followups=40),
        ]
    )
    # (0 + 1 + 5) / 3 = 2
    row = only(followups_per_ticket(data, OCTOBER, settings()))
    assert (row.value, row.n, row.unit) == (2.0, 3, "count")


def test_mean_is_unrounded() -> None:
    """One and two follow-ups average 1.5, not a whole number."""
    data = Dataset(
        tickets=[ticket(f"t{n}", closed="2026-10-02", followups=n) for n in (1, 2)],
    )
    assert only(followups_per_ticket(data, OCTOBER, settings())).value == 1.5


def test_segments_by_owner() -> None:
    """Each owner's mean is over their own closed tickets; no owner is (none)."""
    data = Dataset(
        owners=[owner("u1", "Ada")],
        tickets=[
            ticket("a", closed="2026-10-02", followups=4, owner="u1"),
            ticket("b", closed="2026-10-02", followups=2, owner="u1"),
            ticket("c", closed="2026-10-02", followups=0),
        ],
    )
    # all: (4 + 2 + 0) / 3 = 2; Ada: (4 + 2) / 2 = 3
    assert values(followups_per_ticket(data, OCTOBER, settings())) == {
        ("all", "all"): 2.0,
        ("owner", "(none)"): 0.0,
        ("owner", "Ada"): 3.0,
    }


def test_no_ticket_closed_is_null() -> None:
    """Without a ticket closed in the period the mean is null and only the all row exists."""
    data = Dataset(tickets=[ticket("open", owner="u1", followups=3)])
    rows = followups_per_ticket(data, OCTOBER, settings())
    assert [(r.segment_by, r.segment, r.value, r.n) for r in rows] == [("all", "all", None, 0)]


def test_registered_under_its_id() -> None:
    """The engine publishes the mean under the id `followups_per_ticket`."""
    assert KPIS["followups_per_ticket"].function is followups_per_ticket
