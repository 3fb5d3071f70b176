"""The store as of an instant (`kpis.memory.as_of`): what it knew then."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.schema import Contact, Deal, DealStatus, StageVisit, Ticket
from kpis.columns import micros
from kpis.dataset import Dataset
from kpis.memory.as_of import as_of
from kpis.memory.timeline import Timeline
from tests.kpi_builders import (
    SOURCE,
    at,
    contact,
    deal,
    owner,
    stage,
    subscription,
    survey,
    ticket,
    versioned,
)

Snapshot = tuple[list[object], ...]


def _records(data: Dataset) -> Snapshot:
    """Every record of `data`, built back from its columns, for comparing two datasets."""
    columns = Dataset.of_columns((), (), data.columns)
    return (
        list(columns.deals),
        list(columns.contacts),
        list(columns.tickets),
        list(columns.subscriptions),
        list(columns.surveys),
    )


def _deal(data: Dataset, deal_id: str) -> Deal:
    (found,) = [d for d in data.deals if d.id == deal_id]
    return found


# a deal recorded from its first sync, moved on, repriced, handed over and won after `t`
LIFE = versioned(
    deal("d", created="2026-01-01", amount="100", owner="ada", stage="qualified"),
    ("2026-02-01", {}),
    ("2026-03-01", {"stage_id": "proposal"}),
    ("2026-03-10", {"amount": "150"}),
    ("2026-03-20", {"owner_id": "bob"}),
    ("2026-04-10", {"status": "won", "stage_id": "won", "closed_at": "2026-04-03"}),
)


@pytest.mark.parametrize(
    ("instant", "fields"),
    [
        ("2026-01-15", ("open", "qualified", "100", "ada", None)),
        ("2026-03-01", ("open", "proposal", "100", "ada", None)),
        ("2026-03-15", ("open", "proposal", "150", "ada", None)),
        ("2026-03-25", ("open", "proposal", "150", "bob", None)),
        ("2026-04-05", ("won", "won", "150", "bob", "2026-04-03")),
    ],
    ids=[
        "before the first version",
        "stage moved at the instant",
        "stage moved, amount changed after",
        "owner changed",
        "won before the sync saw it",
    ],
)
def test_a_deal_has_its_state_at_the_instant(
    instant: str, fields: tuple[str, str, str, str, str | None]
) -> None:
    """Status, stage, amount, owner and close date are the deal's as of then."""
    found = _deal(as_of(Dataset(deals=[LIFE]), at(instant)), "d")
    status, stage_id, amount, owner_id, closed = fields
    assert (found.status, found.stage_id, found.amount, found.owner_id) == (
        status,
        stage_id,
        Decimal(amount),
        owner_id,
    )
    assert found.closed_at == (None if closed is None else at(closed))


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-01-15", []),
        (
            "2026-03-15",
            [("2026-02-01", "2026-03-01"), ("2026-03-01", "2026-03-10"), ("2026-03-10", None)],
        ),
        (
            "2026-04-05",
            [
                ("2026-02-01", "2026-03-01"),
                ("2026-03-01", "2026-03-10"),
                ("2026-03-10", "2026-03-20"),
                ("2026-03-20", "2026-04-03"),
                ("2026-04-03", None),
            ],
        ),
    ],
    ids=["none yet", "later ones dropped, the last holds", "the close kept from when it was"],
)
def test_versions_after_the_instant_are_dropped(
    instant: str, expected: list[tuple[str, str | None]]
) -> None:
    """Versions in effect by then remain, the last still holding; a close the sync saw later
    but dated by then is kept from its date."""
    found = _deal(as_of(Dataset(deals=[LIFE]), at(instant)), "d")
    assert [(v.valid_from, v.valid_to) for v in found.versions] == [
        (at(start), None if end is None else at(end)) for start, end in expected
    ]


@pytest.mark.parametrize(
    ("instant", "status", "closed"),
    [
        ("2026-02-28", "open", None),
        ("2026-03-01", "lost", "2026-03-01"),
        ("2026-03-02", "lost", "2026-03-01"),
    ],
    ids=["closed after", "closed at the instant", "closed before"],
)
def test_a_deal_closed_after_the_instant_is_open_without_a_close_date(
    instant: str, status: DealStatus, closed: str | None
) -> None:
    """A deal with no versions is open until its close date, and closed from it."""
    lost = deal("d", created="2026-01-01", lost="2026-03-01", amount="5")
    found = _deal(as_of(Dataset(deals=[lost]), at(instant)), "d")
    assert (found.status, found.closed_at) == (status, None if closed is None else at(closed))


def test_deals_created_after_the_instant_are_dropped_and_the_others_keep_their_history() -> None:
    """A deal created after then is gone; the next deal's stage history stays its own."""
    later = deal("later", created="2026-03-01", history=[("s1", "2026-03-01", None)])
    earlier = deal(
        "earlier",
        created="2026-01-01",
        history=[
            ("s1", "2026-01-01", "2026-02-01"),
            ("s2", "2026-02-01", "2026-02-20"),
            ("s3", "2026-02-20", None),
        ],
    )
    data = as_of(Dataset(deals=[later, earlier]), at("2026-02-10"))
    assert [d.id for d in data.deals] == ["earlier"]
    assert data.deals[0].stage_history == (
        StageVisit("s1", at("2026-01-01"), at("2026-02-01")),
        StageVisit("s2", at("2026-02-01"), None),
    )


def test_a_deal_created_at_the_instant_is_kept() -> None:
    """A change at the instant is in effect at it: so is a creation."""
    data = as_of(Dataset(deals=[deal("d", created="2026-02-10")]), at("2026-02-10"))
    assert [d.id for d in data.deals] == ["d"]


def test_a_ticket_resolved_after_the_instant_is_open_and_a_later_one_is_gone() -> None:
    tickets = [
        ticket("resolved-after", created="2026-10-01", closed="2026-10-20"),
        ticket("resolved-before", created="2026-10-01", closed="2026-10-05"),
        ticket("created-after", created="2026-10-12"),
    ]
    data = as_of(Dataset(tickets=tickets), at("2026-10-10"))
    assert [(t.id, t.closed_at) for t in data.tickets] == [
        ("resolved-after", None),
        ("resolved-before", at("2026-10-05")),
    ]


def test_a_churn_after_the_instant_is_undone_and_a_later_contact_is_gone() -> None:
    contacts = [
        contact("churned-after", churned="2026-10-20"),
        contact("churned-before", churned="2026-10-05"),
        replace(contact("created-after"), created_at=at("2026-10-12")),
    ]
    data = as_of(Dataset(contacts=contacts), at("2026-10-10"))
    assert [(c.id, c.churned_at) for c in data.contacts] == [
        ("churned-after", None),
        ("churned-before", at("2026-10-05")),
    ]


def test_list_events_and_survey_answers_after_the_instant_are_dropped() -> None:
    data = Dataset(
        subscriptions=[
            subscription("c1", "news", "subscribe", "2026-10-01"),
            subscription("c1", "news", "unsubscribe", "2026-10-11"),
        ],
        surveys=[survey("s1", 9, submitted="2026-10-10"), survey("s2", 3, submitted="2026-10-11")],
    )
    found = as_of(data, at("2026-10-10"))
    assert [e.action for e in found.subscriptions] == ["subscribe"]
    assert [s.id for s in found.surveys] == ["s1"]


def test_a_dataset_keeps_its_owners_stages_and_recorded_since() -> None:
    since = {SOURCE: at("2026-02-01")}
    data = Dataset(
        owners=[owner("ada", "Ada")],
        stages=[stage("s1", "New")],
        deals=[LIFE],
        recorded_since=since,
    )
    found = as_of(data, at("2026-01-15"))
    assert (found.owners, found.stages, found.recorded_since) == (data.owners, data.stages, since)


PIPELINE = [
    LIFE,
    deal("new", created="2026-01-01", amount="7"),
    versioned(
        deal("reopened", created="2026-01-10", amount="10"),
        ("2026-01-10", {}),
        ("2026-02-01", {"status": "won", "closed_at": "2026-02-01"}),
        ("2026-03-01", {"status": "open", "closed_at": None, "amount": "20"}),
    ),
]


def _pipeline(data: Dataset, instant: datetime) -> set[tuple[str, Decimal | None]]:
    """The ids and amounts of `Timeline.pipeline_at(instant)` of `data`."""
    timeline = Timeline.of(data.columns)
    return {
        (data.deals[int(timeline.deal[s])].id, timeline.states.amount[int(timeline.row[s])])
        for s in timeline.pipeline_at(micros(instant)).tolist()
    }


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-01-05", {("d", Decimal(100)), ("new", Decimal(7))}),
        ("2026-02-15", {("d", Decimal(100)), ("new", Decimal(7))}),
        ("2026-03-15", {("d", Decimal(150)), ("new", Decimal(7)), ("reopened", Decimal(20))}),
        ("2026-04-05", {("new", Decimal(7)), ("reopened", Decimal(20))}),
    ],
    ids=["open", "one won", "repriced and reopened", "won before the sync saw it"],
)
def test_the_open_deals_as_of_an_instant_are_the_pipeline_as_of_it(
    instant: str, expected: set[tuple[str, Decimal]]
) -> None:
    """Between changes, the deals open in the store as of t, at their amounts then, are
    `Timeline.pipeline_at(t)`."""
    data = Dataset(deals=PIPELINE)
    then = as_of(data, at(instant))
    assert {(d.id, d.amount) for d in then.deals if d.status == "open"} == expected
    assert _pipeline(data, at(instant)) == expected


@pytest.mark.parametrize(
    "instant",
    ["2026-01-01", "2026-03-01", "2026-04-03", "2026-06-01"],
    ids=["a creation", "a reopening and a stage move", "a close", "after every change"],
)
def test_the_store_as_of_an_instant_has_the_same_pipeline_as_of_it(instant: str) -> None:
    """Even at an instant of a change, the store as of t holds the pipeline as of t."""
    data = Dataset(deals=PIPELINE)
    assert _pipeline(as_of(data, at(instant)), at(instant)) == _pipeline(data, at(instant))


BASE = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 20


def _day(day: int) -> datetime:
    return BASE + timedelta(days=day)


@st.composite
def _deals(draw: st.DrawFn, key: int) -> Deal:
    created = draw(st.integers(0, DAYS))
    base = deal(f"d{key}", created=_day(created).isoformat(), amount="1")
    changes = []
    for valid_from in sorted(draw(st.lists(st.integers(0, DAYS), max_size=4))):
        status = draw(st.sampled_from(["open", "won", "lost"]))
        closed = None if status == "open" else _day(draw(st.integers(created, DAYS)))
        changes.append(
            (
                _day(valid_from).isoformat(),
                {
                    "status": status,
                    "closed_at": closed,
                    "stage_id": draw(st.sampled_from(["s1", "s2", "s3"])),
                    "amount": draw(st.sampled_from(["1", "2", None])),
                    "owner_id": draw(st.sampled_from(["ada", "bob", None])),
                },
            )
        )
    if not changes and draw(st.booleans()):
        closed_day = _day(draw(st.integers(created, DAYS)))
        base = replace(base, status="won", closed_at=closed_day)
    visits = []
    for entered in sorted(draw(st.lists(st.integers(0, DAYS), max_size=3))):
        left = draw(st.one_of(st.none(), st.integers(entered, DAYS)))
        visits.append(StageVisit("s1", _day(entered), None if left is None else _day(left)))
    return replace(versioned(base, *changes), stage_history=tuple(visits))


@st.composite
def _histories(draw: st.DrawFn) -> Dataset:
    count = draw(st.integers(0, 5))
    deals = [draw(_deals(key)) for key in range(count)]

    def maybe_after(start: int) -> datetime | None:
        day = draw(st.one_of(st.none(), st.integers(start, DAYS)))
        return None if day is None else _day(day)

    tickets = []
    for key in range(draw(st.integers(0, 3))):
        created = draw(st.integers(0, DAYS))
        tickets.append(Ticket(SOURCE, f"t{key}", _day(created), maybe_after(created)))
    contacts = []
    for key in range(draw(st.integers(0, 3))):
        created = draw(st.integers(0, DAYS))
        contacts.append(Contact(SOURCE, f"c{key}", _day(created), churned_at=maybe_after(0)))
    days = st.lists(st.integers(0, DAYS), max_size=3)
    return Dataset(
        contacts=contacts,
        deals=deals,
        tickets=tickets,
        subscriptions=[
            subscription("c0", "news", "subscribe", _day(day).isoformat()) for day in draw(days)
        ],
        surveys=[
            survey(f"s{key}", 5, submitted=_day(day).isoformat())
            for key, day in enumerate(draw(days))
        ],
    )


# half days too, so that instants fall both on changes and between them
_INSTANTS = st.integers(-2, 2 * DAYS + 2).map(lambda half: BASE + timedelta(hours=12 * half))


@settings(max_examples=150, deadline=None)
@given(data=_histories(), first=_INSTANTS, second=_INSTANTS)
def test_as_of_an_earlier_instant_of_the_store_as_of_a_later_one_is_as_of_the_earlier(
    data: Dataset, first: datetime, second: datetime
) -> None:
    """as_of(as_of(x, t2), t1) == as_of(x, t1) for t1 <= t2."""
    t1, t2 = sorted((first, second))
    assert _records(as_of(as_of(data, t2), t1)) == _records(as_of(data, t1))


@settings(max_examples=100, deadline=None)
@given(data=_histories())
def test_as_of_an_instant_after_every_change_is_the_store_itself(data: Dataset) -> None:
    assert _records(as_of(data, _day(DAYS + 1))) == _records(data)


@settings(max_examples=100, deadline=None)
@given(data=_histories(), instant=_INSTANTS)
def test_the_store_as_of_an_instant_has_the_pipeline_as_of_it_for_any_history(
    data: Dataset, instant: datetime
) -> None:
    assert _pipeline(as_of(data, instant), instant) == _pipeline(data, instant)
