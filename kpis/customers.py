"""Customers: contacts with a won deal, when they became customers, and whether they are active.

A won deal with no contact is a customer of its own: its first and only won deal. It has no
contact to churn or to buy again, so it counts as new revenue but is never an active customer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from connectors.schema import Contact, Deal

CustomerKey: TypeAlias = tuple[str, str, str]
"""`(source, "contact", contact id)`, or `(source, "deal", deal id)` for a contactless deal."""


def customer_key(deal: Deal) -> CustomerKey:
    """Who bought: the deal's contact, or the deal itself when it has no contact."""
    if deal.contact_id is None:
        return (deal.source, "deal", deal.id)
    return (deal.source, "contact", deal.contact_id)


def first_won_deals(deals: Iterable[Deal]) -> dict[CustomerKey, Deal]:
    """Each customer's first won deal, by `(closed_at, id)` so that ties have one answer."""
    first: dict[CustomerKey, Deal] = {}
    for deal in deals:
        if deal.status != "won" or deal.closed_at is None:
            continue
        key = customer_key(deal)
        known = first.get(key)
        if known is None or _won_order(deal) < _won_order(known):
            first[key] = deal
    return first


def _won_order(deal: Deal) -> tuple[datetime, str]:
    assert deal.closed_at is not None
    return deal.closed_at, deal.id


@dataclass(frozen=True, slots=True)
class Customer:
    """A contact with a won deal: customer since that deal closed, until `churned_at`."""

    key: CustomerKey
    since: datetime
    churned_at: datetime | None

    def active_at(self, instant: datetime) -> bool:
        """`since <= instant` and not churned by then (`churned_at` after `instant`)."""
        return self.since <= instant and (self.churned_at is None or self.churned_at > instant)


def contact_customers(
    first_won: Mapping[CustomerKey, Deal], contacts: Iterable[Contact]
) -> list[Customer]:
    """The customers that are contacts, with their churn dates; contactless deals are left out.

    A contact the dataset does not hold (a dangling reference) is a customer that never churned.
    """
    churned = {(c.source, c.id): c.churned_at for c in contacts if c.churned_at is not None}
    customers = []
    for key, deal in first_won.items():
        source, kind, contact_id = key
        if kind != "contact":
            continue
        assert deal.closed_at is not None
        customers.append(Customer(key, deal.closed_at, churned.get((source, contact_id))))
    return customers
