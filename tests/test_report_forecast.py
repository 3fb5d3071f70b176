"""The forecast report: open deals weighted by probability, by local month of expected close."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from connectors.schema import Deal
from kpis.columns import instants
from kpis.dataset import Dataset
from kpis.money import CurrencyError
from kpis.reports.forecast import (
    Forecast,
    OpenDeals,
    OverdueDeal,
    as_dates,
    forecast,
    local_days,
    order_by,
    owner_labels,
)
from tests.kpi_builders import at, deal, details, owner, settings, stage

# Berlin is on CEST (UTC+2) until 2026-10-25, then CET (UTC+1)
NOW = at("2026-10-15T10:00Z")
SETTINGS = replace(settings(rates={"USD": "0.92"}), forecast_months=3)


def _open(
    deal_id: str,
    expected: str | None,
    *,
    amount: str | None = "100",
    probability: float | None = 0.5,
    currency: str | None = None,
    owner: str | None = None,
) -> Deal:
    """An open deal named `Deal <id>` with an expected close instant and a probability."""
    return details(
        deal(deal_id, amount=amount, currency=currency, owner=owner),
        expected=expected,
        probability=probability,
        name=f"Deal {deal_id}",
    )


def _report(*deals: Deal, data: Dataset | None = None) -> Forecast:
    return forecast(data or Dataset(deals=list(deals)), SETTINGS, NOW)


def _month(report: Forecast, label: str) -> OpenDeals:
    (found,) = [m.open for m in report.months if m.period.label == label]
    return found


@pytest.mark.parametrize(
    ("now", "labels"),
    [
        ("2026-10-15T10:00Z", ["2026-10", "2026-11", "2026-12"]),
        ("2026-09-30T22:30Z", ["2026-10", "2026-11", "2026-12"]),
        ("2026-11-30T23:30Z", ["2026-12", "2027-01", "2027-02"]),
    ],
    ids=["mid-october", "utc-september-is-berlin-october", "year-boundary"],
)
def test_months_start_with_the_local_current_month(now: str, labels: list[str]) -> None:
    """`forecast_months` months, the first being the month `now` is in under Europe/Berlin."""
    report = forecast(Dataset(), SETTINGS, at(now))
    assert [m.period.label for m in report.months] == labels


@pytest.mark.parametrize(
    ("expected", "month"),
    [
        ("2026-11-30T23:30Z", "2026-12"),
        ("2026-11-30T22:59Z", "2026-11"),
        ("2026-10-31T23:30Z", "2026-11"),
        ("2026-10-31T22:30Z", "2026-10"),
    ],
    ids=["berlin-dec-1-00:30", "berlin-nov-30-23:59", "berlin-nov-1-00:30", "berlin-oct-31-23:30"],
)
def test_deal_is_bucketed_by_local_month(expected: str, month: str) -> None:
    """A deal expected at 2026-11-30T23:30Z is December in Berlin (00:30 local), and so on."""
    report = _report(_open("d", expected))
    counts = {m.period.label: m.open.deals for m in report.months}
    assert counts == {label: int(label == month) for label in counts}


def test_month_weights_amounts_by_probability() -> None:
    """Weighted = Σ converted amount * probability; deals without amount count but add nothing."""
    report = _report(
        _open("eur", "2026-11-10", amount="1000", probability=0.3),
        _open("usd", "2026-11-11", amount="200", currency="USD", probability=0.5),
        _open("zero", "2026-11-12", amount="500", probability=0.0),
        _open("no-amount", "2026-11-13", amount=None, probability=0.9),
        _open("no-probability", "2026-11-14", amount="700", probability=None),
    )
    # weighted: 1000 * 0.3 + 200 * 0.92 * 0.5 + 500 * 0 = 300 + 92 + 0 = 392
    # amount: 1000 + 184 + 500 + 700 = 2384; 5 deals, 1 without amount, 1 without probability
    assert _month(report, "2026-11") == OpenDeals(
        deals=5,
        amount=Decimal("2384.00"),
        weighted=Decimal("392.00"),
        without_amount=1,
        without_probability=1,
    )


@pytest.mark.parametrize(
    ("own", "of_stage", "weighted", "without_probability"),
    [
        (0.3, 0.5, Decimal("300.00"), 0),
        (None, 0.5, Decimal("500.00"), 0),
        (0.0, 0.5, Decimal("0.00"), 0),
        (None, None, None, 1),
    ],
    ids=["own-wins", "stage-fallback", "own-zero-is-not-missing", "neither-is-unweighted"],
)
def test_probability_is_the_deals_else_its_stages(
    own: float | None, of_stage: float | None, weighted: Decimal | None, without_probability: int
) -> None:
    """1000 * the deal's probability, else its stage's; with neither it is not weighted."""
    data = Dataset(
        stages=[replace(stage("s1", "Proposal"), probability=of_stage)],
        deals=[_open("d", "2026-12-01T12:00Z", amount="1000", probability=own)],
    )
    line = _month(_report(data=data), "2026-12")
    assert (line.weighted, line.without_probability) == (weighted, without_probability)


def test_month_without_deals_is_null_not_zero() -> None:
    """A month with no open deal expected has 0 deals and null sums."""
    assert _month(_report(), "2026-11") == OpenDeals(0, None, None, 0, 0)


def test_closed_deals_are_not_forecast() -> None:
    """Won and lost deals stay out of every line even with an expected close date."""
    report = _report(
        details(deal("w", won="2026-10-01", amount="100"), expected="2026-11-10"),
        details(deal("l", lost="2026-10-01", amount="100"), expected="2026-08-10"),
    )
    lines = [*(m.open for m in report.months), report.earlier, report.later, report.undated]
    assert ([line.deals for line in lines], report.overdue) == ([0, 0, 0, 0, 0, 0], ())


def test_undated_and_later_deals_have_lines_of_their_own() -> None:
    """Open deals with no expected date, or expected after the last month, are not dropped."""
    report = _report(
        _open("undated-1", None, amount="100"),
        _open("undated-2", None, amount=None),
        _open("later", "2027-01-05", amount="400", probability=0.25),
    )
    # later: 400 * 0.25 = 100
    assert (report.undated.deals, report.undated.amount, report.undated.without_amount) == (
        2,
        Decimal("100.00"),
        1,
    )
    assert (report.later.deals, report.later.weighted) == (1, Decimal("100.00"))


@pytest.mark.parametrize(
    ("expected", "overdue"),
    [
        ("2026-10-14T21:59Z", True),
        ("2026-10-14T22:00Z", False),
        ("2026-10-15T09:00Z", False),
        ("2026-10-15T20:00Z", False),
    ],
    ids=["berlin-yesterday-23:59", "berlin-today-00:00", "earlier-today", "later-today"],
)
def test_overdue_is_an_expected_day_before_today(expected: str, overdue: bool) -> None:
    """Overdue means expected on a local day before today; expected earlier today is not yet."""
    assert bool(_report(_open("d", expected)).overdue) is overdue


def test_overdue_deals_are_listed_most_overdue_first() -> None:
    """Each overdue deal is listed with id, name, owner, its own amount and currency, the
    converted value, day and days late; a deal without currency is in the reporting one."""
    data = Dataset(
        owners=[owner("u1", "Ada")],
        deals=[
            _open("oct", "2026-10-10T08:00Z", amount="200", currency="USD", owner="u1"),
            _open("sep", "2026-09-20T08:00Z", amount=None),
            _open("future", "2026-10-20T08:00Z"),
        ],
    )
    # today is 2026-10-15: 2026-09-20 is 25 days late, 2026-10-10 is 5; 200 USD * 0.92 = 184
    assert _report(data=data).overdue == (
        OverdueDeal("sep", "Deal sep", "(none)", None, "EUR", None, at("2026-09-20").date(), 25),
        OverdueDeal(
            "oct",
            "Deal oct",
            "Ada",
            Decimal("200.00"),
            "USD",
            Decimal("184.00"),
            at("2026-10-10").date(),
            5,
        ),
    )


def test_overdue_deals_stay_in_their_line() -> None:
    """An overdue deal of this month stays in its line; one of an earlier month is in `earlier`."""
    report = _report(
        _open("this-month", "2026-10-02", amount="100"),
        _open("last-month", "2026-09-02", amount="300"),
    )
    # 100 * 0.5 = 50 in October; 300 * 0.5 = 150 before it
    assert (_month(report, "2026-10").weighted, report.earlier.weighted) == (
        Decimal("50.00"),
        Decimal("150.00"),
    )


def test_won_so_far_counts_this_months_wins_up_to_now() -> None:
    """Won from the local month start to now: 100 + 184 over 3 deals (one without amount)."""
    report = _report(
        deal("berlin-oct-1", won="2026-09-30T22:30Z", amount="100"),
        deal("berlin-sep-30", won="2026-09-30T21:59Z", amount="1000"),
        deal("usd", won="2026-10-15T09:00Z", amount="200", currency="USD"),
        deal("no-amount", won="2026-10-10", amount=None),
        deal("after-now", won="2026-10-15T11:00Z", amount="1000"),
        deal("lost", lost="2026-10-05", amount="1000"),
    )
    # 100 + 200 * 0.92 = 284
    won = report.won_so_far
    assert (won.period.label, won.deals, won.value) == ("2026-10", 3, Decimal("284.00"))


def test_missing_rate_is_an_error() -> None:
    """A deal in a currency with no rate stops the forecast with `CurrencyError`."""
    with pytest.raises(CurrencyError):
        _report(_open("d", "2026-11-01", currency="CHF"))


def test_overdue_deals_on_one_day_are_listed_by_id() -> None:
    """Deals expected on the same day are listed by id."""
    report = _report(_open("b", "2026-10-01T09:00Z"), _open("a", "2026-10-01T15:00Z"))
    assert [d.deal_id for d in report.overdue] == ["a", "b"]


@pytest.mark.parametrize(
    ("instant", "zone", "day"),
    [
        ("2026-10-31T22:59Z", "Europe/Berlin", date(2026, 10, 31)),
        ("2026-10-31T23:00Z", "Europe/Berlin", date(2026, 11, 1)),
        ("2026-03-29T00:30Z", "Europe/Berlin", date(2026, 3, 29)),
        ("2026-03-29T22:30Z", "Europe/Berlin", date(2026, 3, 30)),
        ("1969-12-31T23:30Z", "Europe/Berlin", date(1970, 1, 1)),
        ("2011-12-30T09:59:59Z", "Pacific/Apia", date(2011, 12, 29)),
        ("2011-12-30T10:00Z", "Pacific/Apia", date(2011, 12, 31)),
    ],
    ids=[
        "cet-oct-31-23:59",
        "cet-nov-1-00:00",
        "before-spring-forward-01:30",
        "after-spring-forward-same-utc-day-00:30",
        "before-the-epoch",
        "apia-before-skipping-a-day",
        "apia-after-skipping-a-day",
    ],
)
def test_local_days(instant: str, zone: str, day: date) -> None:
    """The local day of an instant: UTC+1/+2 in Berlin; Apia went from UTC-10 to UTC+14."""
    days = local_days(instants([at(instant)]), ZoneInfo(zone))
    assert as_dates(days) == [day]


def test_as_dates() -> None:
    """Days since 1970-01-01 as dates."""
    days = np.array([0, -1, 20000], dtype=np.int64)
    assert as_dates(days) == [date(1970, 1, 1), date(1969, 12, 31), date(2024, 10, 4)]


def test_order_by_key_then_id() -> None:
    """By key, then id; records alike in both keep their order."""
    order = order_by(np.array([2, 1, 2, 1], dtype=np.int64), ["b", "z", "a", "z"])
    assert order.tolist() == [1, 3, 2, 0]


def test_owner_labels() -> None:
    """The owner's name, the raw id of an unknown owner, `(none)` for no owner."""
    data = Dataset(
        owners=[owner("u1", "Ada")],
        deals=[deal("a", owner="u1"), deal("b"), deal("c", owner="u2"), deal("d", owner="u1")],
    )
    positions = np.array([3, 2, 1, 0], dtype=np.intp)
    assert owner_labels(data, data.columns.deals, positions) == ["Ada", "u2", "(none)", "Ada"]
