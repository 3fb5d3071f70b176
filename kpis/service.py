"""The service KPIs of `docs/kpis.md`: NPS, time to resolution in business hours, follow-ups.

Tickets and survey responses are indexed once per dataset and settings, sorted by the instant
a period selects them on, so that a period is a slice: each ticket's business hours are
measured once, however many periods and KPIs read them. Ticket KPIs have an `all` row
always (value None when no ticket closed in the period) and a row per owner with a ticket
closed in it; NPS has the `all` row only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from kpis.business_hours import BusinessCalendar
from kpis.columns import MISSING, NO_LABEL, Codes, Instants, TicketColumns, distinct_rows, group_by
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


@dataclass(frozen=True, eq=False)
class TicketIndex:
    """Closed tickets sorted by `closed_at`, as columns; see `ticket_index`.

    `owner[i]` is the position in `owners` of the owner segment of the i-th ticket: tickets
    of owners with the same display name share one.
    """

    closed_at: Instants
    owner: Codes
    owners: tuple[SegmentKey, ...]
    resolution_hours: npt.NDArray[np.float64]
    followups: npt.NDArray[np.int64]
    _groups: dict[tuple[datetime, datetime], dict[SegmentKey, ClosedTickets]] = field(
        default_factory=dict, repr=False
    )

    def closed_in(self, period: Period) -> Mapping[SegmentKey, ClosedTickets]:
        """The tickets closed in the period, by segment; only segments with such a ticket."""
        bounds = (period.start, period.end)
        groups = self._groups.get(bounds)
        if groups is None:
            groups = self._groups[bounds] = self._group(
                between(self.closed_at, period.start, period.end)
            )
        return groups

    def _group(self, span: slice) -> dict[SegmentKey, ClosedTickets]:
        hours = self.resolution_hours[span]
        if not len(hours):
            return {}
        followups = self.followups[span].astype(np.float64)
        groups = {ALL_SEGMENT: ClosedTickets(hours.tolist(), followups.tolist())}
        split = group_by(self.owner[span], len(self.owners))
        for segment, owner_hours, owner_followups in zip(
            self.owners, split(hours), split(followups), strict=True
        ):
            if len(owner_hours):
                groups[segment] = ClosedTickets(owner_hours.tolist(), owner_followups.tolist())
        return groups


def _build_tickets(data: Dataset, settings: KpiSettings) -> TicketIndex:
    tickets = data.columns.tickets
    closed = np.flatnonzero(tickets.closed_at != MISSING)
    # stable: tickets closed at the same instant keep the dataset's order
    closed = closed[np.argsort(tickets.closed_at[closed], kind="stable")]
    closed_at = tickets.closed_at[closed]
    calendar = BusinessCalendar.from_spec(settings.business_hours)
    owner, owners = _owner_segments(data, tickets, closed)
    return TicketIndex(
        closed_at=closed_at,
        owner=owner,
        owners=owners,
        resolution_hours=calendar.hours_between_each(tickets.created_at[closed], closed_at),
        followups=tickets.followups[closed],
    )


def _owner_segments(
    data: Dataset, tickets: TicketColumns, positions: npt.NDArray[np.intp]
) -> tuple[Codes, tuple[SegmentKey, ...]]:
    """The owner segment of the tickets at `positions`, as positions in the distinct segments.

    The display name is looked up once per distinct (source, owner id), not per ticket.
    """
    inverse, pairs = distinct_rows(
        tickets.source.codes[positions], tickets.owner_id.codes[positions]
    )
    segments: dict[SegmentKey, int] = {}
    of_pair = np.array(
        [
            segments.setdefault(_owner_segment(data, tickets, *pair), len(segments))
            for pair in pairs
        ],
        dtype=np.int32,
    )
    return of_pair[inverse], tuple(segments)


def _owner_segment(data: Dataset, tickets: TicketColumns, source: int, owner: int) -> SegmentKey:
    """The owner segment of source code `source` and owner code `owner` (`NO_LABEL`: unset)."""
    owner_id = None if owner == NO_LABEL else tickets.owner_id.values[owner]
    return ("owner", label(data.owner_name(tickets.source.values[source], owner_id)))


ticket_index = per_dataset(_build_tickets)
"""The `TicketIndex` of a dataset under some settings, built on first use and then shared."""


@dataclass(frozen=True, eq=False)
class SurveyIndex:
    """Responses sorted by `submitted_at`, with running counts of promoters and detractors.

    `promoters[i]` is the number of promoters among the first `i` responses, so the count in
    any period is a difference of two entries.
    """

    submitted_at: Instants
    promoters: npt.NDArray[np.int64]
    detractors: npt.NDArray[np.int64]

    def tally(self, period: Period) -> tuple[int, int, int]:
        """Responses, promoters and detractors submitted in the period."""
        span = between(self.submitted_at, period.start, period.end)
        first, stop = span.start, span.stop
        return (
            stop - first,
            int(self.promoters[stop] - self.promoters[first]),
            int(self.detractors[stop] - self.detractors[first]),
        )


def _build_surveys(data: Dataset, settings: KpiSettings) -> SurveyIndex:
    surveys = data.columns.surveys
    # stable: responses submitted at the same instant keep the dataset's order
    order = np.argsort(surveys.submitted_at, kind="stable")
    scores = surveys.score[order]
    return SurveyIndex(
        submitted_at=surveys.submitted_at[order],
        promoters=_running_count(scores >= PROMOTER_MIN),
        detractors=_running_count(scores <= DETRACTOR_MAX),
    )


def _running_count(flags: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """How many of the first `i` flags are set, for every `i` from 0 to all of them."""
    counts = np.zeros(len(flags) + 1, dtype=np.int64)
    np.cumsum(flags, out=counts[1:])
    return counts


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
