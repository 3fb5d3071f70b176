"""The demo connector: a deterministic, resumable synthetic CRM that feeds every KPI."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from connectors.base import Page, Pulled
from connectors.demo import DemoConnector
from connectors.schema import (
    RECORD_TYPES,
    Contact,
    Deal,
    Owner,
    Record,
    Stage,
    SubscriptionEvent,
    SurveyResponse,
    Ticket,
)
from kpis.dataset import Dataset

ANCHOR = date(2026, 5, 1)
NOW = datetime(2026, 5, 1, tzinfo=UTC)
SPAN_START = datetime(2024, 5, 1, tzinfo=UTC)
OFFICE = ZoneInfo("Europe/Berlin")


@cache
def _pages(
    seed: int = 7, scale: float = 0.5, page_size: int = 1000, anchor: date = ANCHOR
) -> tuple[Page, ...]:
    return tuple(DemoConnector(seed=seed, scale=scale, anchor=anchor, page_size=page_size).pull({}))


def _small(seed: int = 7, anchor: date = ANCHOR) -> tuple[Page, ...]:
    return _pages(seed, 0.05, 7, anchor)


def _end_cursors() -> dict[str, str]:
    return {page.stream: page.cursor for page in _small() if page.cursor}


def _records(pages: tuple[Page, ...] | list[Page]) -> list[Record]:
    return [pulled.record for page in pages for pulled in page.items]


@cache
def _dataset() -> Dataset:
    records = _records(_pages())
    return Dataset(
        owners=[r for r in records if isinstance(r, Owner)],
        stages=[r for r in records if isinstance(r, Stage)],
        contacts=[r for r in records if isinstance(r, Contact)],
        deals=[r for r in records if isinstance(r, Deal)],
        tickets=[r for r in records if isinstance(r, Ticket)],
        subscriptions=[r for r in records if isinstance(r, SubscriptionEvent)],
        surveys=[r for r in records if isinstance(r, SurveyResponse)],
    )


def _customer_since() -> dict[str, datetime]:
    since: dict[str, datetime] = {}
    for deal in _dataset().deals:
        if deal.status == "won" and deal.contact_id is not None and deal.closed_at is not None:
            first = since.get(deal.contact_id, deal.closed_at)
            since[deal.contact_id] = min(first, deal.closed_at)
    return since


def _instants(data: Dataset) -> Iterator[datetime | None]:
    for contact in data.contacts:
        yield from (contact.created_at, contact.churned_at)
    for deal in data.deals:
        yield from (deal.created_at, deal.closed_at)
        for visit in deal.stage_history:
            yield from (visit.entered_at, visit.exited_at)
    for ticket in data.tickets:
        yield from (ticket.created_at, ticket.closed_at)
    yield from (event.at for event in data.subscriptions)
    yield from (survey.submitted_at for survey in data.surveys)


def test_same_seed_and_anchor_give_identical_pages() -> None:
    """Two demo connectors with the same seed, scale and anchor yield identical pages."""
    again = tuple(DemoConnector(seed=7, scale=0.05, anchor=ANCHOR, page_size=7).pull({}))
    assert again == _small()


def test_another_seed_gives_other_records() -> None:
    """A different seed tells different stories about the same number of contacts."""
    contacts = [r for r in _records(_small()) if isinstance(r, Contact)]
    others = [r for r in _records(_small(seed=8)) if isinstance(r, Contact)]
    assert len(contacts) == len(others)
    assert [c.email for c in contacts] != [c.email for c in others]


def _after_owners(pages: tuple[Page, ...]) -> int:
    return next(i for i, page in enumerate(pages) if page.stream == "owners")


def _inside_contacts(pages: tuple[Page, ...]) -> int:
    return [i for i, page in enumerate(pages) if page.stream == "contacts"][3]


def _inside_a_story(pages: tuple[Page, ...]) -> int:
    def contact(pulled: Pulled) -> str | None:
        return pulled.record.contact_id if isinstance(pulled.record, Deal) else None

    return next(
        i
        for i, (page, following) in enumerate(pairwise(pages))
        if page.stream == following.stream == "deals"
        and contact(page.items[-1]) == contact(following.items[0])
    )


def _inside_tickets(pages: tuple[Page, ...]) -> int:
    return [i for i, page in enumerate(pages) if page.stream == "tickets"][5]


def _at_the_end(pages: tuple[Page, ...]) -> int:
    return len(pages) - 1


@pytest.mark.parametrize(
    "cut",
    [_after_owners, _inside_contacts, _inside_a_story, _inside_tickets, _at_the_end],
    ids=["after-owners", "inside-contacts", "inside-a-contacts-deals", "inside-tickets", "end"],
)
def test_resuming_from_a_cursor_yields_the_rest(cut: Callable[[tuple[Page, ...]], int]) -> None:
    """Resuming from the cursors of any page yields exactly the pages a full pull had after it."""
    pages = _small()
    index = cut(pages)
    cursors = {page.stream: page.cursor for page in pages[: index + 1] if page.cursor}
    resumed = tuple(DemoConnector(scale=0.05, anchor=ANCHOR, page_size=7).pull(cursors))
    assert resumed == pages[index + 1 :]


def test_complete_streams_yield_nothing_unless_full() -> None:
    """With every cursor at its end a pull yields nothing, and a full pull yields everything."""
    connector = DemoConnector(scale=0.05, anchor=ANCHOR, page_size=7)
    assert list(connector.pull(_end_cursors())) == []
    assert tuple(connector.pull(_end_cursors(), full=True)) == _small()


@pytest.mark.parametrize(
    ("seed", "anchor"), [(8, ANCHOR), (7, date(2026, 5, 2))], ids=["other-seed", "other-anchor"]
)
def test_cursors_of_another_generation_restart(seed: int, anchor: date) -> None:
    """Cursors written by another seed or anchor restart every stream from its beginning."""
    connector = DemoConnector(seed=seed, scale=0.05, anchor=anchor, page_size=7)
    assert tuple(connector.pull(_end_cursors())) == _small(seed, anchor)


@pytest.mark.parametrize(
    "cursor", ["", "junk", "3:x@7/0.05/2026-05-01"], ids=["empty", "junk", "bad-number"]
)
def test_cursors_the_demo_did_not_write_restart(cursor: str) -> None:
    """A cursor the demo cannot read restarts its stream rather than skipping records."""
    connector = DemoConnector(scale=0.05, anchor=ANCHOR, page_size=7)
    resumed = list(connector.pull({**_end_cursors(), "contacts": cursor}))
    assert resumed == [page for page in _small() if page.stream == "contacts"]


def test_pages_are_bounded_and_of_one_kind() -> None:
    """Pages hold at most page_size records, all of the page's kind, and never delete by id."""
    for page in _small():
        assert len(page.items) <= 7
        assert {pulled.record.KIND for pulled in page.items} <= {page.kind}
        assert page.deleted == ()


def test_a_pass_from_the_start_sweeps_with_its_first_page_only() -> None:
    """A fresh pass's first page names its ids as live, so older generations' leftovers go."""
    seen: set[str] = set()
    for page in _small():
        ids = frozenset(pulled.record.id for pulled in page.items)
        if page.stream in seen:
            assert page.live_ids is None
        else:
            assert page.live_ids == ids
            seen.add(page.stream)


def test_a_resumed_pass_never_sweeps() -> None:
    """Resuming from a cursor must not mark the records of the pages before it deleted."""
    cursors = {page.stream: page.cursor for page in _small() if page.cursor}
    first_contacts = next(page for page in _small() if page.stream == "contacts")
    assert first_contacts.cursor is not None
    connector = DemoConnector(scale=0.05, anchor=ANCHOR, page_size=7)
    resumed = list(connector.pull({**cursors, "contacts": first_contacts.cursor}))
    assert resumed
    assert all(page.live_ids is None for page in resumed)


def test_every_record_kind_is_present() -> None:
    """The demo yields every kind of the normalized schema."""
    kinds = {record.KIND for record in _records(_pages())}
    assert kinds == {record_type.KIND for record_type in RECORD_TYPES}


def test_nothing_happens_outside_the_two_years_before_the_anchor() -> None:
    """Every timestamp but expected close dates is in the 24 months before the anchor, 00:00 UTC."""
    instants = [t for t in _instants(_dataset()) if t is not None]
    assert all(SPAN_START <= t < NOW for t in instants)
    assert min(instants) < datetime(2024, 6, 1, tzinfo=UTC)
    assert max(instants) > datetime(2026, 4, 30, tzinfo=UTC)


def test_contacts_grow_over_time() -> None:
    """More contacts arrive in the second year than in the first."""
    years = Counter(c.created_at < datetime(2025, 5, 1, tzinfo=UTC) for c in _dataset().contacts)
    assert years[False] > 1.3 * years[True]


def _won(d: Dataset) -> bool:
    return any(deal.status == "won" for deal in d.deals)


def _lost_with_reason(d: Dataset) -> bool:
    return any(deal.status == "lost" and deal.lost_reason for deal in d.deals)


def _lost_without_reason(d: Dataset) -> bool:
    return any(deal.status == "lost" and deal.lost_reason is None for deal in d.deals)


def _won_upsell(d: Dataset) -> bool:
    return any(deal.status == "won" and deal.kind == "upsell" for deal in d.deals)


def _churned_customer(d: Dataset) -> bool:
    since = _customer_since()
    return any(c.churned_at and c.id in since and since[c.id] < c.churned_at for c in d.contacts)


def _no_amount(d: Dataset) -> bool:
    return any(deal.amount is None for deal in d.deals)


def _usd(d: Dataset) -> bool:
    return any(deal.currency == "USD" and deal.amount for deal in d.deals)


def _gbp(d: Dataset) -> bool:
    return any(deal.currency == "GBP" and deal.amount for deal in d.deals)


def _overdue(d: Dataset) -> bool:
    return any(
        deal.status == "open"
        and deal.expected_close_at is not None
        and deal.expected_close_at < NOW
        for deal in d.deals
    )


def _expected_later(d: Dataset) -> bool:
    return any(
        deal.status == "open"
        and deal.expected_close_at is not None
        and deal.expected_close_at > NOW
        for deal in d.deals
    )


def _deal_probability(d: Dataset) -> bool:
    return any(deal.status == "open" and deal.probability is not None for deal in d.deals)


def _revisit(d: Dataset) -> bool:
    return any(
        len({v.stage_id for v in deal.stage_history}) < len(deal.stage_history) for deal in d.deals
    )


def _campaign(d: Dataset) -> bool:
    return any(deal.status == "won" and deal.campaign for deal in d.deals)


def _promoter(d: Dataset) -> bool:
    return any(s.score >= 9 for s in d.surveys)


def _passive(d: Dataset) -> bool:
    return any(7 <= s.score <= 8 for s in d.surveys)


def _detractor(d: Dataset) -> bool:
    return any(s.score <= 6 for s in d.surveys)


def _unsubscribe(d: Dataset) -> bool:
    return any(e.action == "unsubscribe" for e in d.subscriptions)


def _open_ticket(d: Dataset) -> bool:
    return any(t.closed_at is None for t in d.tickets)


def _closed_ticket_with_followups(d: Dataset) -> bool:
    return any(t.closed_at is not None and t.followups > 0 for t in d.tickets)


INPUTS = {
    "won": _won,
    "lost-with-reason": _lost_with_reason,
    "lost-without-reason": _lost_without_reason,
    "won-upsell": _won_upsell,
    "churned-customer": _churned_customer,
    "no-amount": _no_amount,
    "usd": _usd,
    "gbp": _gbp,
    "overdue-open": _overdue,
    "open-closing-later": _expected_later,
    "deal-probability": _deal_probability,
    "revisited-stage": _revisit,
    "campaign": _campaign,
    "promoter": _promoter,
    "passive": _passive,
    "detractor": _detractor,
    "unsubscribe": _unsubscribe,
    "open-ticket": _open_ticket,
    "ticket-with-followups": _closed_ticket_with_followups,
}


@pytest.mark.parametrize("present", list(INPUTS.values()), ids=list(INPUTS))
def test_every_kpi_input_is_present(present: Callable[[Dataset], bool]) -> None:
    """The default-seeded demo holds at least one record of each case the KPIs must handle."""
    assert present(_dataset())


def test_only_currencies_the_example_config_converts() -> None:
    """Deals are in EUR, USD or GBP only, and mostly in EUR."""
    currencies = Counter(deal.currency for deal in _dataset().deals)
    assert set(currencies) == {"EUR", "USD", "GBP"}
    assert currencies["EUR"] > sum(currencies.values()) / 2


def test_upsells_only_follow_a_first_won_deal() -> None:
    """Every upsell is created after its contact's first won deal closed."""
    since = _customer_since()
    upsells = [deal for deal in _dataset().deals if deal.kind == "upsell"]
    assert upsells
    assert all(d.contact_id in since and since[d.contact_id] < d.created_at for d in upsells)


def test_references_resolve() -> None:
    """Deal owners, contacts, pipelines and stages, ticket owners and list contacts all exist."""
    data = _dataset()
    owners = {o.id for o in data.owners}
    contacts = {c.id for c in data.contacts}
    stages = {(s.pipeline_id, s.stage_id) for s in data.stages}
    for deal in data.deals:
        assert deal.owner_id in owners
        assert deal.contact_id in contacts
        assert {(deal.pipeline_id, v.stage_id) for v in deal.stage_history} <= stages
    assert {t.owner_id for t in data.tickets} - {None} <= owners
    assert {e.contact_id for e in data.subscriptions} <= contacts
    assert {s.contact_id for s in data.surveys} <= contacts


def test_stage_history_matches_the_deal() -> None:
    """Visits run back to back from creation to the current stage, closed at the close date."""
    data = _dataset()
    for deal in data.deals:
        visits = deal.stage_history
        assert visits[0].entered_at == deal.created_at
        assert all(a.exited_at == b.entered_at for a, b in pairwise(visits))
        assert visits[-1].stage_id == deal.stage_id
        assert visits[-1].exited_at is None
        stage = data.stage(deal.source, deal.pipeline_id, deal.stage_id)
        assert stage is not None
        assert stage.is_closed == (deal.status != "open")
        assert stage.is_won == (deal.status == "won")
        if deal.closed_at is not None:
            assert visits[-1].entered_at == deal.closed_at


def test_tickets_are_mostly_opened_in_office_hours() -> None:
    """At least four tickets in five are created Monday to Friday, 09:00-17:00 in Berlin."""
    local = [t.created_at.astimezone(OFFICE) for t in _dataset().tickets]
    in_hours = [t for t in local if t.weekday() < 5 and 9 <= t.hour < 17]
    assert len(in_hours) >= 0.8 * len(local)


def test_raw_payload_spells_fields_as_text() -> None:
    """A deal's raw payload carries its amount as text and its times as UTC ISO strings."""
    pulled = next(
        p for page in _pages() for p in page.items if isinstance(p.record, Deal) and p.record.amount
    )
    deal = pulled.record
    assert isinstance(deal, Deal)
    assert pulled.raw["amount"] == str(deal.amount)
    assert pulled.raw["created_at"] == deal.created_at.isoformat().replace("+00:00", "Z")
    assert pulled.raw["stage_history"][0]["stage_id"] == deal.stage_history[0].stage_id
    assert "source" not in pulled.raw


def test_amounts_have_two_decimals() -> None:
    """Every deal amount is a Decimal with exactly two decimal places."""
    amounts = [deal.amount for deal in _dataset().deals if deal.amount is not None]
    assert all(amount.as_tuple().exponent == -2 for amount in amounts)


@pytest.mark.parametrize(
    "kind",
    ["contact", "deal", "ticket", "subscription", "survey"],
    ids=["contacts", "deals", "tickets", "subscriptions", "surveys"],
)
def test_scale_is_roughly_linear(kind: str) -> None:
    """Twice the scale gives about twice the records of each per-contact kind."""
    half = Counter(r.KIND for r in _records(_pages(scale=0.25)))[kind]
    full = Counter(r.KIND for r in _records(_pages()))[kind]
    assert 1.8 * half <= full <= 2.2 * half


@pytest.mark.parametrize(
    ("scale", "page_size"),
    [(0.0, 10), (-1.0, 10), (1.0, 0)],
    ids=["zero-scale", "negative", "page"],
)
def test_bad_arguments_are_refused(scale: float, page_size: int) -> None:
    """A scale that is not positive or a page size below 1 is refused when the demo is built."""
    with pytest.raises(ValueError, match="demo"):
        DemoConnector(scale=scale, anchor=ANCHOR, page_size=page_size)
