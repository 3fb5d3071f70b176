"""Customers: contacts with a won deal, when they became customers, and whether they are active.

A customer is the deal's `(source, contact)`, or the deal itself when it has no contact. Its
first won deal is the earliest by `(closed_at, id)`, so that ties have one answer, and it is a
customer from that close until its contact's `churned_at`. A contact the dataset does not hold
(a dangling reference) is a customer that never churns. A won deal with no contact is a
customer of its own: its first and only won deal. It has no contact to churn or to buy again,
so it counts as new revenue but is never an active customer.

Computed once per dataset on the deal and contact columns, for the indexes of the deal KPIs
(`kpis.deal_index`, `kpis.purchases`, `kpis.churn`), with the amounts of the won deals and
the slicing of sorted instants those indexes share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kpis.columns import MISSING, ContactColumns, DealColumns, Instants
from kpis.dataset import Dataset
from kpis.memo import per_dataset
from kpis.money import Converter
from kpis.settings import KpiSettings

Positions = npt.NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class Customers:
    """Every won deal in `(closed_at, id)` order with its customer, and every customer.

    Customers are numbered `0..n-1`; `customer[i]` is the number of the i-th won deal's
    customer and `since[c]`, `is_contact[c]`, `churned_at[c]` describe customer `c`.
    `churned_at` is `MISSING` for a customer that never churns.
    """

    won: Positions
    """Positions in the deal columns of the won deals, by `(closed_at, id)`."""
    won_at: Instants
    customer: npt.NDArray[np.intp]
    is_first: npt.NDArray[np.bool_]
    """Whether the won deal is its customer's first."""
    since: Instants
    is_contact: npt.NDArray[np.bool_]
    churned_at: Instants

    def first_won_at(self) -> Instants:
        """For each won deal, when its customer's first won deal closed."""
        since: Instants = self.since[self.customer]
        return since

    def of_contacts(self) -> tuple[Instants, Instants]:
        """`since` and `churned_at` of the customers that are contacts, by customer number."""
        return self.since[self.is_contact], self.churned_at[self.is_contact]


def _build(data: Dataset, settings: KpiSettings) -> Customers:
    # the settings are irrelevant to who is a customer; `per_dataset` keys on them anyway
    deals = data.columns.deals
    won = np.flatnonzero(deals.is_status("won") & (deals.closed_at != MISSING))
    won = by_instant_then_id(deals.closed_at, deals.id, won)
    keys = _customer_keys(deals, won)
    # `unique` sorts stably: the first index of a key is its customer's first won deal
    _, first, customer = np.unique(keys, return_index=True, return_inverse=True)
    won_at = deals.closed_at[won]
    first_deals = won[first]
    is_contact = deals.contact_id.codes[first_deals] != -1
    contacts = first_deals[is_contact]
    churned_at = np.full(len(first), MISSING, dtype=np.int64)
    churned_at[is_contact] = _churned_at(data.columns.contacts, deals, contacts)
    return Customers(
        won=won,
        won_at=won_at,
        customer=customer,
        is_first=np.arange(len(won)) == first[customer],
        since=won_at[first],
        is_contact=is_contact,
        churned_at=churned_at,
    )


customers = per_dataset(_build)
"""The `Customers` of a dataset, built on first use and then shared by the deal indexes."""


@dataclass(frozen=True, eq=False)
class WonValues:
    """The amount of each won deal of `Customers.won` in the reporting currency.

    `value` holds Decimals, or None for a deal without an amount (`has_amount` is False).
    """

    value: npt.NDArray[np.object_]
    has_amount: npt.NDArray[np.bool_]


def _values(data: Dataset, settings: KpiSettings) -> WonValues:
    won = customers(data, settings).won
    values = Converter.from_settings(settings).values(data.columns.deals, won.tolist())
    return WonValues(
        value=np.fromiter(values, dtype=np.object_, count=len(values)),
        has_amount=np.fromiter((v is not None for v in values), dtype=np.bool_, count=len(won)),
    )


won_values = per_dataset(_values)
"""The `WonValues` of a dataset under some settings, built on first use and then shared.

Raises `CurrencyError` for an amount in a currency the settings have no rate for.
"""


def by_instant_then_id(instants: Instants, ids: Sequence[str], positions: Positions) -> Positions:
    """`positions` sorted by `(instants[p], ids[p])`.

    Ties of instants are rare, so only the positions in a run of equal instants are sorted by
    id, in Python, rather than turning every id into a numpy string.
    """
    ordered: Positions = positions[np.argsort(instants[positions], kind="stable")]
    at = instants[ordered]
    if not np.any(at[1:] == at[:-1]):
        return ordered
    starts = np.flatnonzero(np.r_[True, at[1:] != at[:-1]])
    stops = np.r_[starts[1:], len(at)]
    runs = stops - starts > 1
    for start, stop in zip(starts[runs].tolist(), stops[runs].tolist(), strict=True):
        ordered[start:stop] = sorted(ordered[start:stop].tolist(), key=ids.__getitem__)
    return ordered


def _customer_keys(deals: DealColumns, positions: Positions) -> npt.NDArray[np.int64]:
    """One integer per customer of the deals at `positions`.

    `(source, contact)` is `source * contacts + contact` (at least 0); a deal without a
    contact is its own customer, `-1 - position` (below 0).
    """
    contact = deals.contact_id.codes[positions].astype(np.int64)
    source = deals.source.codes[positions].astype(np.int64)
    keys: npt.NDArray[np.int64] = np.where(
        contact == -1,
        -1 - positions.astype(np.int64),
        source * len(deals.contact_id.values) + contact,
    )
    return keys


def _churned_at(contacts: ContactColumns, deals: DealColumns, positions: Positions) -> Instants:
    """The churn of the contact of each deal at `positions`; `MISSING` when none or dangling.

    Only the churned contacts are looked up, matched on `(source, id)` one source at a time:
    usually a small part of the contacts. A contact held twice has the churn of its last record.
    """
    found = np.full(len(positions), MISSING, dtype=np.int64)
    churned = np.flatnonzero(contacts.churned_at != MISSING)
    contact_ids = deals.contact_id.values
    for code, source in enumerate(deals.source.values):
        candidates = churned[contacts.source.codes[churned] == contacts.source.code(source)]
        churns = dict(
            zip(
                (contacts.id[at] for at in candidates.tolist()),
                contacts.churned_at[candidates].tolist(),
                strict=True,
            )
        )
        mine = np.flatnonzero(deals.source.codes[positions] == code)
        wanted = deals.contact_id.codes[positions[mine]].tolist()
        found[mine] = [churns.get(contact_ids[contact], MISSING) for contact in wanted]
    return found


def distinct(numbers: npt.NDArray[np.intp]) -> int:
    """How many distinct numbers there are among small non-negative ones (customer numbers)."""
    return int(np.count_nonzero(np.bincount(numbers)))
