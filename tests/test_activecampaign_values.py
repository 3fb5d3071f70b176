"""ActiveCampaign values as they arrive: strings for numbers, cents, zero dates, odd URLs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.activecampaign.normalize import contact
from connectors.activecampaign.settings import FieldMap, normalize_base_url
from connectors.activecampaign.values import (
    BadValue,
    cents,
    instant,
    options,
    ref,
    status,
    total,
    whole,
)

CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("39", "39"), (39, "39"), ("0", None), (0, None), (None, None), ("", None), (" 7 ", "7")],
    ids=["string", "number", "zero-string", "zero", "null", "empty", "padded"],
)
def test_ids_arrive_as_strings_or_numbers(value: Any, expected: str | None) -> None:
    """An id is read the same from "39" and 39; 0 and empty mean "none"."""
    assert ref({"owner": value}, "owner") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1872151", Decimal("18721.51")), (45678, Decimal("456.78")), ("0", Decimal("0.00"))],
    ids=["string-cents", "number-cents", "zero"],
)
def test_deal_values_are_cents(value: Any, expected: Decimal) -> None:
    """A deal value in cents becomes an exact Decimal amount in currency units."""
    assert cents({"value": value}, "value") == expected


@pytest.mark.parametrize(
    ("field", "value", "reader"),
    [("value", "12,50", cents), ("order", "first", whole), ("status", "9", status)],
    ids=["amount", "whole", "status"],
)
def test_unreadable_values_name_their_field(field: str, value: str, reader: Any) -> None:
    """A value present but unreadable raises BadValue naming the field and the value."""
    with pytest.raises(BadValue, match=f"{field}: .*{value}"):
        reader({field: value}, field)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", "open"), (1, "won"), ("2", "lost")],
    ids=["open", "won-number", "lost"],
)
def test_status_codes(value: Any, expected: str) -> None:
    """Status 0, 1 and 2 are open, won and lost, as a string or a number."""
    assert status({"status": value}) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-09-06T11:29:48-05:00", datetime(2019, 9, 6, 16, 29, 48, tzinfo=UTC)),
        ("2019-11-22 14:15:37", datetime(2019, 11, 22, 20, 15, 37, tzinfo=UTC)),
        ("2026-10-01", datetime(2026, 10, 1, 5, tzinfo=UTC)),
        ("0000-00-00 00:00:00", None),
        ("0000-00-00", None),
        ("", None),
        (None, None),
    ],
    ids=[
        "with-offset",
        "account-time",
        "date-only",
        "zero-timestamp",
        "zero-date",
        "empty",
        "null",
    ],
)
def test_timestamps_with_and_without_offsets(value: Any, expected: datetime | None) -> None:
    """An offset is honoured; a time without one is in the account's zone; zero dates are null."""
    assert instant({"at": value}, "at", CHICAGO) == expected


def test_a_garbled_timestamp_is_a_bad_value() -> None:
    """Text that is no timestamp at all names the field."""
    with pytest.raises(BadValue, match="cdate: is not a date or timestamp"):
        instant({"cdate": "last tuesday"}, "cdate", UTC)


@pytest.mark.parametrize(
    ("body", "expected"),
    [({"meta": {"total": "2"}}, 2), ({"meta": {"total": 3}}, 3), ({}, None), ({"meta": []}, None)],
    ids=["string", "number", "no-meta", "odd-meta"],
)
def test_meta_total_is_a_string_or_a_number(body: dict[str, Any], expected: int | None) -> None:
    """`meta.total` is read from a string or a number; without it the total is unknown."""
    assert total(body) == expected


def test_multi_select_values_read_as_their_options() -> None:
    """A multi-select choice `||A||B||` reads "A, B"; a plain value is left alone."""
    assert options("||Upsell||Cross-sell||") == "Upsell, Cross-sell"
    assert options("Price") == "Price"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://acme.api-us1.com", "https://acme.api-us1.com"),
        ("https://acme.api-us1.com/", "https://acme.api-us1.com"),
        (" https://acme.api-us1.com/api/3/ ", "https://acme.api-us1.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
    ids=["plain", "trailing-slash", "with-api-path", "local-test-server"],
)
def test_the_api_url_is_normalized(value: str, expected: str) -> None:
    """The URL from Settings > Developer is taken with or without a slash or `/api/3`."""
    assert normalize_base_url(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("acme.api-us1.com", "is not the account's API URL"),
        ("http://acme.api-us1.com", "must use https"),
        ("https://acme.activehosted.com/app/contacts", "has more than the host"),
    ],
    ids=["no-scheme", "plain-http", "app-page"],
)
def test_a_wrong_api_url_is_refused_with_the_reason(value: str, reason: str) -> None:
    """A URL that cannot be the API's is refused, saying why and where the right one is."""
    with pytest.raises(ValueError, match=reason):
        normalize_base_url(value)


def test_upsells_by_pipeline_title_or_field_value() -> None:
    """A deal is an upsell by its pipeline's title, or else by one of its field's options."""
    fields = FieldMap(
        upsell_pipelines=("Expansion",), upsell_field="Deal Type", upsell_values=("Upsell",)
    )
    assert fields.is_upsell(" expansion ", None)
    assert fields.is_upsell("Sales", "Upsell, Renewal")
    assert not fields.is_upsell("Sales", "New business")
    assert not fields.is_upsell(None, None)


def test_an_empty_title_switches_a_mapping_off() -> None:
    """A blank title maps nothing, so that field is not read at all."""
    fields = FieldMap(lost_reason="", campaign="  ", source="Lead Source", churn_date="")
    assert fields.deal_fields == {}
    assert fields.contact_fields == {"source": "Lead Source"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"cdate": "2026-01-05T09:00:00-06:00", "created_utc_timestamp": "2026-01-05 09:00:00"},
            datetime(2026, 1, 5, 15, tzinfo=UTC),
        ),
        (
            {"cdate": None, "created_utc_timestamp": "2026-01-05 15:00:00"},
            datetime(2026, 1, 5, 15, tzinfo=UTC),
        ),
        (
            {"cdate": "", "created_utc_timestamp": "", "created_timestamp": "2026-01-05 09:00:00"},
            datetime(2026, 1, 5, 15, tzinfo=UTC),
        ),
    ],
    ids=["both-disagree", "utc-only", "local-only"],
)
def test_a_contact_is_created_at_its_cdate(raw: dict[str, Any], expected: datetime) -> None:
    """`cdate`, with its offset, wins over `created_utc_timestamp`, which in ActiveCampaign's
    examples holds the same wall-clock time without it; the others stand in only without it."""
    assert contact("ac", {"id": "1", **raw}, {}, CHICAGO).created_at == expected
