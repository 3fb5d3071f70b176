"""SMART goals: a KPI's value over the goal's window so far, its pace and a status.

A goal's window is `[start, due)` between local midnights of the reporting time zone, or, for
a recurring goal (`every`), each month, quarter or year of that zone: the goal starts afresh
every period, and its last complete period is judged as a past-due goal is. A window's
value is the KPI over the local days from `start` up to and including today (`due - 1` at
most), so a sync at noon counts what has happened this morning. How much of the window has
passed is measured in real time, `now` included, so pacing moves smoothly through a day.

Additive KPIs (sums that grow through the window) are paced: expected-to-date is the
target times the elapsed share of the window. Every other KPI (ratios, means, medians, a
score, per-customer money) is compared with its target directly. `docs/kpis.md` (Goals)
states each rule and how the ambiguous phrases of the contract are read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal, TypeAlias, get_args

from kpis.catalog import KPIS
from kpis.coverage import Coverage, coverage, open_pipeline
from kpis.dataset import Dataset
from kpis.engine import compute
from kpis.money import round_money
from kpis.periods import Period, custom, period_containing
from kpis.results import ALL, Number, Unit
from kpis.settings import KpiSettings

Direction: TypeAlias = Literal["at_least", "at_most"]
GoalStatus: TypeAlias = Literal[
    "achieved", "on track", "at risk", "off track", "missed", "too early", "no data"
]
GOAL_STATUSES: tuple[GoalStatus, ...] = get_args(GoalStatus)
Recurrence: TypeAlias = Literal["month", "quarter", "year"]
RECURRENCES: tuple[Recurrence, ...] = get_args(Recurrence)

ON_TRACK_PACE = Decimal("0.01")  # on track: at least 99 % of expected-to-date
AT_RISK_PACE = Decimal("0.20")  # at risk: at least 80 % of expected-to-date
AT_RISK_TARGET = Decimal("0.10")  # at risk: a ratio or average within 10 % of the target
EARLY_SHARE = Decimal("0.2")  # too early: the first 20 % of the window ...
EARLY_SAMPLES = 10  # ... with fewer than 10 samples


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalSpec:
    """A target for one KPI and segment, over `[start, due)` (local dates, `due` excluded) or
    over every period of the grain `every`; exactly one of the two forms.

    The fields are those of a `[[goals]]` entry of the config file.
    """

    name: str
    kpi: str
    segment_by: str = ALL
    segment: str = ALL
    target: float
    direction: Direction = "at_least"
    start: date | None = None
    due: date | None = None
    every: Recurrence | None = None

    def __post_init__(self) -> None:
        if self.kpi not in KPIS:
            raise ValueError(f"goal {self.name!r}: unknown KPI {self.kpi!r}")
        if self.direction not in get_args(Direction):
            raise ValueError(f"goal {self.name!r}: direction must be at_least or at_most")
        problem = window_problem(self.start, self.due, self.every)
        if problem is not None:
            raise ValueError(f"goal {self.name!r}: {problem}")

    @property
    def unit(self) -> Unit:
        return KPIS[self.kpi].unit

    @property
    def additive(self) -> bool:
        return KPIS[self.kpi].additive

    @property
    def covered(self) -> bool:
        """Whether the goal shows pipeline coverage: an `at_least` goal on revenue."""
        return KPIS[self.kpi].revenue and self.direction == "at_least"

    def window(self, settings: KpiSettings, now: datetime) -> Period:
        """The window that counts at `now`: `start` to the day before `due`, both inclusive,
        or the period of `every` that contains now's local day."""
        if self.every is not None:
            return period_containing(
                self.every, now.astimezone(settings.timezone).date(), settings.timezone
            )
        # __post_init__ has made sure a goal without `every` has both dates
        assert self.start is not None and self.due is not None
        return custom(self.start, self.due - timedelta(days=1), settings.timezone)


def window_problem(start: date | None, due: date | None, every: str | None) -> str | None:
    """Why these fields make no window (None when they make one): a goal gives `every`, or
    `start` and `due` with `due` after `start`, never both forms."""
    if every is not None:
        if start is not None or due is not None:
            given = " and ".join(k for k, v in (("start", start), ("due", due)) if v is not None)
            return f"every and {given} are both set; a goal recurs or has fixed dates, not both"
        if every not in RECURRENCES:
            return f"every must be one of {', '.join(RECURRENCES)}, not {every!r}"
        return None
    if start is None and due is None:
        return f"set every ({', '.join(RECURRENCES)}) for a recurring goal, or start and due"
    if start is None or due is None:
        missing = "start" if start is None else "due"
        return f"{missing} is missing: a goal with fixed dates needs both start and due"
    if due <= start:
        return f"due {due} must be after start {start}"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalResult:
    """Where a goal stands at `now` in `period`, the window that counts at `now`.

    `period` is the goal's whole window for a goal with dates, and the current month, quarter
    or year (to date) for a recurring one. `value` is the KPI over `period` so far (None
    before the window starts, or when a non-additive KPI has nothing to measure); `through`
    is the last local day it covers. `target` is the spec's. `expected` (expected-to-date) and
    `progress` (value ÷ target) apply to additive KPIs only. `elapsed` is the share of
    `period` passed, 0 to 1; `n` the KPI row's sample size.

    `previous` is, for a recurring goal, the result of its last complete period (the one
    before `period`), whose status is final: `achieved`, `missed` or `no data`; its own
    `previous` is None. A goal with dates has none.

    `coverage` is the open pipeline against the remaining target (`kpis.coverage`) of an
    `at_least` goal on a revenue KPI, None for every other goal.
    """

    spec: GoalSpec
    period: Period
    status: GoalStatus
    value: Number | None
    expected: Number | None
    progress: float | None
    elapsed: float
    n: int
    through: date | None
    previous: GoalResult | None = None
    coverage: Coverage | None = None

    @property
    def target(self) -> float:
        return self.spec.target


def evaluate_goal(
    spec: GoalSpec, data: Dataset, settings: KpiSettings, now: datetime
) -> GoalResult:
    """The goal's value to date, expected-to-date, progress and status at `now`, and for a
    recurring goal its last complete period's final result as `previous`.

    Raises what `kpis.engine.compute` raises: `ValueError` for a KPI the engine does not
    compute, `CurrencyError` for a currency without a rate.
    """
    window = spec.window(settings, now)
    current = _evaluate(spec, window, data, settings, now)
    if spec.every is None:
        return current
    last = _evaluate(spec, window.previous(), data, settings, now)
    return replace(current, previous=last)


def _evaluate(
    spec: GoalSpec, window: Period, data: Dataset, settings: KpiSettings, now: datetime
) -> GoalResult:
    """The goal's result in one window at `now`."""
    if now < window.start:
        return GoalResult(
            spec=spec,
            period=window,
            status="too early",
            value=None,
            expected=None,
            progress=None,
            elapsed=0.0,
            n=0,
            through=None,
            coverage=_coverage(spec, None, window, data, settings, now),
        )
    share = _elapsed_share(window, now)
    through = min(now.astimezone(settings.timezone).date(), window.last_day)
    rows = compute(
        data, [custom(window.first_day, through, settings.timezone)], settings, kpis=[spec.kpi]
    )
    found = [r for r in rows if (r.segment_by, r.segment) == (spec.segment_by, spec.segment)]
    value = found[0].value if found else None
    n = found[0].n if found else 0
    if spec.additive and value is None:
        # a sum over nothing is null in the KPI tables, but toward a revenue goal it is 0
        value = round_money(Decimal(0))
    expected = _expected(spec, share) if spec.additive else None
    status = goal_status(
        spec,
        value=value,
        expected=expected,
        share=share,
        n=n,
        past_due=now >= window.end,
    )
    return GoalResult(
        spec=spec,
        period=window,
        status=status,
        value=value,
        expected=None if expected is None else _published(expected, spec.unit),
        progress=_progress(spec, value),
        elapsed=float(share),
        n=n,
        through=through,
        coverage=_coverage(spec, value, window, data, settings, now),
    )


def _coverage(
    spec: GoalSpec,
    value: Number | None,
    window: Period,
    data: Dataset,
    settings: KpiSettings,
    now: datetime,
) -> Coverage | None:
    """The goal's coverage at `now`: nothing remains once the window has ended; before it
    begins, nothing is won toward it yet, so the whole target remains."""
    if not spec.covered:
        return None
    remaining = None
    if now < window.end:
        remaining = _decimal(spec.target) - (Decimal(0) if value is None else _decimal(value))
    segment = (spec.segment_by, spec.segment)
    return coverage(remaining, open_pipeline(data, settings, segment, window.end))


def goal_status(
    spec: GoalSpec,
    *,
    value: Number | None,
    expected: Decimal | None,
    share: Decimal,
    n: int,
    past_due: bool,
) -> GoalStatus:
    """The status rules of `docs/kpis.md` (Goals), in order of precedence.

    Past due: `achieved` when the target is met, `missed` when not, `no data` without a
    value. Within the window: an additive goal whose target is already met is `achieved`;
    then the first 20 % of the window with fewer than 10 samples is `too early`; then no
    value is `no data`; then the value is compared with expected-to-date (additive) or the
    target (the rest): `on track`, `at risk` or `off track`.
    """
    target = _decimal(spec.target)
    if value is None:
        if past_due:
            return "no data"
        return "too early" if share < EARLY_SHARE and n < EARLY_SAMPLES else "no data"
    actual = _decimal(value)
    meets = _within(actual, target, Decimal(0), spec.direction)
    if past_due:
        return "achieved" if meets else "missed"
    if spec.additive and spec.direction == "at_least" and meets:
        return "achieved"
    if share < EARLY_SHARE and n < EARLY_SAMPLES:
        return "too early"
    if expected is not None:
        reference, on_track, at_risk = expected, ON_TRACK_PACE, AT_RISK_PACE
    else:
        reference, on_track, at_risk = target, Decimal(0), AT_RISK_TARGET
    if _within(actual, reference, on_track, spec.direction):
        return "on track"
    if _within(actual, reference, at_risk, spec.direction):
        return "at risk"
    return "off track"


def _within(actual: Decimal, reference: Decimal, slack: Decimal, direction: Direction) -> bool:
    """At least `reference` less `slack` of it (`at_most`: at most `reference` plus `slack`).

    The slack is a share of the reference's magnitude, so a negative target (an NPS of -10)
    loosens in the right direction too.
    """
    margin = slack * abs(reference)
    if direction == "at_least":
        return actual >= reference - margin
    return actual <= reference + margin


def _elapsed_share(window: Period, now: datetime) -> Decimal:
    """The share of the window passed at `now`, in real time, clamped to 0..1."""
    total = window.end - window.start
    elapsed = min(max(now - window.start, timedelta(0)), total)
    return Decimal(elapsed // timedelta(microseconds=1)) / Decimal(
        total // timedelta(microseconds=1)
    )


def _expected(spec: GoalSpec, share: Decimal) -> Decimal:
    return _decimal(spec.target) * share


def _published(amount: Decimal, unit: Unit) -> Number:
    return round_money(amount) if unit == "currency" else float(amount)


def _progress(spec: GoalSpec, value: Number | None) -> float | None:
    if not spec.additive or value is None or spec.target == 0:
        return None
    return float(_decimal(value) / _decimal(spec.target))


def _decimal(value: Number) -> Decimal:
    # through str, so that 0.45 is the decimal 0.45 rather than its binary neighbour
    return value if isinstance(value, Decimal) else Decimal(str(value))
