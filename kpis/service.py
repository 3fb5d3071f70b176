"""The service KPIs of `KPIS.md`: NPS, time to resolution in business hours, follow-ups.

Tickets and survey responses are indexed once per dataset and settings, sorted by the instant
a period selects them on, so that a period is a slice: each ticket's business hours are
measured once, however many periods and KPIs read them. Ticket KPIs have an `all` row
always (value None when no ticket closed in the period) and a row per owner with a ticket
closed in it; NPS has the `all` row only.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate
from operator import attrgetter, itemgetter

from connectors.schema import Ticket
from kpis.business_hours import BusinessCalendar
from kpis.dataset import Dataset
from kpis.memo import per_dataset
from kpis.periods import Period
from kpis.results import ResultRow
from kpis.rows import mean_row, median_row, segment_rows
from kpis.segments import ALL_SEGMENT, SegmentKey, label
from kpis.settings import KpiSettings
from kpis.slicing import between

PROMOTER_MIN = 9
DETRACTOR_MAX = 6


@dataclass(frozen=True, slots=True)
class ClosedTickets:
    """What the ticket KPIs read from some closed tickets, one entry per ticket."""

    resolution_hours: list[float] = field(default_factory=list)
    followups: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class TicketIndex:
    """Closed tickets sorted by `closed_at`, as parallel sequences; see `ticket_index`.

    Parallel lists rather than an object per ticket: a benchmark builds 250,000 of them.
    """

    closed_at: Sequence[datetime]
    segments: Sequence[tuple[SegmentKey, ...]]
    resolution_hours: Sequence[float]
    followups: Sequence[int]
    _groups: dict[tuple[datetime, datetime], dict[SegmentKey, ClosedTickets]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def closed_in(self, period: Period) -> Mapping[SegmentKey, ClosedTickets]:
        """The tickets closed in the period, by segment; only segments with such a ticket."""
        bounds = (period.start, period.end)
        groups = self._groups.get(bounds)
        if groups is None:
            grouping: defaultdict[SegmentKey, ClosedTickets] = defaultdict(ClosedTickets)
            span = between(self.closed_at, *bounds)
            for i in range(span.start, span.stop):
                for segment in self.segments[i]:
                    group = grouping[segment]
                    group.resolution_hours.append(self.resolution_hours[i])
                    group.followups.append(float(self.followups[i]))
            groups = self._groups[bounds] = dict(grouping)
        return groups


def _build_tickets(data: Dataset, settings: KpiSettings) -> TicketIndex:
    hours_between = BusinessCalendar.from_spec(settings.business_hours).hours_between
    closed = sorted(
        ((ticket.closed_at, ticket) for ticket in data.tickets if ticket.closed_at is not None),
        key=itemgetter(0),
    )
    owners: dict[tuple[str, str | None], tuple[SegmentKey, ...]] = {}
    segments = []
    for _, ticket in closed:
        key = (ticket.source, ticket.owner_id)
        found = owners.get(key)
        if found is None:
            found = owners[key] = _ticket_segments(data, ticket)
        segments.append(found)
    return TicketIndex(
        closed_at=[closed_at for closed_at, _ in closed],
        segments=segments,
        resolution_hours=[hours_between(ticket.created_at, at) for at, ticket in closed],
        followups=[ticket.followups for _, ticket in closed],
    )


def _ticket_segments(data: Dataset, ticket: Ticket) -> tuple[SegmentKey, ...]:
    return (ALL_SEGMENT, ("owner", label(data.owner_name(ticket.source, ticket.owner_id))))


ticket_index = per_dataset(_build_tickets)
"""The `TicketIndex` of a dataset under some settings, built on first use and then shared."""


@dataclass(frozen=True)
class SurveyIndex:
    """Responses sorted by `submitted_at`, with running counts of promoters and detractors.

    `promoters[i]` is the number of promoters among the first `i` responses, so the count in
    any period is a difference of two entries.
    """

    submitted_at: Sequence[datetime]
    promoters: Sequence[int]
    detractors: Sequence[int]

    def tally(self, period: Period) -> tuple[int, int, int]:
        """Responses, promoters and detractors submitted in the period."""
        first = bisect_left(self.submitted_at, period.start)
        stop = bisect_left(self.submitted_at, period.end)
        return (
            stop - first,
            self.promoters[stop] - self.promoters[first],
            self.detractors[stop] - self.detractors[first],
        )


def _build_surveys(data: Dataset, settings: KpiSettings) -> SurveyIndex:
    responses = sorted(data.surveys, key=attrgetter("submitted_at"))
    return SurveyIndex(
        submitted_at=[response.submitted_at for response in responses],
        promoters=list(accumulate((r.score >= PROMOTER_MIN for r in responses), initial=0)),
        detractors=list(accumulate((r.score <= DETRACTOR_MAX for r in responses), initial=0)),
    )


survey_index = per_dataset(_build_surveys)
"""The `SurveyIndex` of a dataset, built on first use and then shared."""


def nps(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """100 * (promoters - detractors) ÷ responses, over the responses submitted in P.

    The numerator is promoters - detractors, so value = 100 * numerator ÷ denominator.
    """
    responses, promoters, detractors = survey_index(data, settings).tally(period)
    net = promoters - detractors
    return [
        ResultRow(
            kpi="nps",
            period=period,
            segment_by=ALL_SEGMENT[0],
            segment=ALL_SEGMENT[1],
            value=100 * net / responses if responses else None,
            unit="score",
            n=responses,
            numerator=net,
            denominator=responses,
        )
    ]


def time_to_resolution_hours(
    data: Dataset, period: Period, settings: KpiSettings
) -> list[ResultRow]:
    """Mean business hours from creation to close over the tickets closed in P."""
    return segment_rows(
        _resolution_hours(data, period, settings),
        [],
        lambda segment, hours: mean_row(
            "time_to_resolution_hours", period, segment, "hours", hours
        ),
    )


def time_to_resolution_hours_median(
    data: Dataset, period: Period, settings: KpiSettings
) -> list[ResultRow]:
    """Median business hours from creation to close over the tickets closed in P."""
    return segment_rows(
        _resolution_hours(data, period, settings),
        [],
        lambda segment, hours: median_row(
            "time_to_resolution_hours_median", period, segment, "hours", hours
        ),
    )


def followups_per_ticket(data: Dataset, period: Period, settings: KpiSettings) -> list[ResultRow]:
    """Mean follow-ups over the tickets closed in P."""
    groups = {
        segment: tickets.followups
        for segment, tickets in ticket_index(data, settings).closed_in(period).items()
    }
    return segment_rows(
        groups,
        [],
        lambda segment, counts: mean_row("followups_per_ticket", period, segment, "count", counts),
    )


def _resolution_hours(
    data: Dataset, period: Period, settings: KpiSettings
) -> dict[SegmentKey, list[float]]:
    closed = ticket_index(data, settings).closed_in(period)
    return {segment: tickets.resolution_hours for segment, tickets in closed.items()}
