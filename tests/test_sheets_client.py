"""Signing in with a service-account key, quotas, retries and the errors a user can act on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses

from connectors.http import AuthError, FatalError, RetriableError
from sync.outputs.sheets import SheetsError, load_service_account, open_sheet, publish
from sync.outputs.sheets.client import METADATA_FIELDS, TIMEOUT
from tests.fixtures.sheets.builders import FakeClock, connect_fake, workbook
from tests.fixtures.sheets.fake import BASE, FakeSheet
from tests.fixtures.sheets.keys import EMAIL, TOKEN_URI, fake_token_endpoint, write_key


@responses.activate
def test_every_request_is_signed_and_has_a_timeout(tmp_path: Path) -> None:
    """One sign-in, then each Sheets call carries the bearer token and connect/read timeouts."""
    fake = FakeSheet()
    publish(connect_fake(tmp_path, fake), workbook())
    assert responses.calls[0].request.url == TOKEN_URI
    for call in responses.calls[1:]:
        assert call.request.req_kwargs["timeout"] == TIMEOUT
    assert f"fields={METADATA_FIELDS[:20]}" in str(responses.calls[1].request.url).replace(
        "%2C", ","
    )


@responses.activate
def test_429_then_success_backs_off_and_goes_on(tmp_path: Path) -> None:
    """A rate-limited call is retried after a jittered wait of at most 1 s, then succeeds."""
    fake = FakeSheet()
    fake.failures["batchUpdate"] = [429]
    clock = FakeClock()
    publish(connect_fake(tmp_path, fake, clock), workbook())
    assert [kind for kind, _ in fake.calls] == ["metadata", "batchUpdate", "batchUpdate", "values"]
    assert len(clock.slept) == 1
    assert 0 <= clock.slept[0] <= 1


@responses.activate
def test_retry_after_is_honoured(tmp_path: Path) -> None:
    """A 429 that says Retry-After: 7 waits 7 s before the next try."""
    fake_token_endpoint()
    sheet = f"{BASE}/fake-spreadsheet-0001"
    responses.get(sheet, status=429, headers={"Retry-After": "7"}, json={"error": {}})
    responses.get(sheet, json={"sheets": []})
    clock = FakeClock()
    api = open_sheet(
        "fake-spreadsheet-0001",
        load_service_account(write_key(tmp_path)),
        sleep=clock.sleep,
        clock=clock,
    )
    assert api.metadata() == {"sheets": []}
    assert clock.slept == [7.0]


@responses.activate
def test_server_errors_are_retried_with_growing_waits_then_given_up(tmp_path: Path) -> None:
    """Eight attempts, backoff ceilings doubling from 1 s, then the 503 is raised."""
    fake = FakeSheet()
    fake.failures["metadata"] = [503] * 8
    clock = FakeClock()
    with pytest.raises(RetriableError, match="503"):
        publish(connect_fake(tmp_path, fake, clock), workbook())
    assert len(fake.calls) == 8
    assert all(wait <= 2**n for n, wait in enumerate(clock.slept))


@responses.activate
def test_writes_are_paced_under_sixty_a_minute(tmp_path: Path) -> None:
    """The 51st write within a minute waits for the window; a read has a window of its own."""
    clock = FakeClock()
    api = connect_fake(tmp_path, FakeSheet(), clock)
    for _ in range(50):
        api.batch_update([])
    api.metadata()
    assert clock.slept == []
    api.batch_update([])
    assert clock.slept == [60.0]


@pytest.mark.parametrize(
    ("access", "error", "words"),
    [
        (
            "none",
            AuthError,
            f"is not shared with the service account; share the sheet with {EMAIL}",
        ),
        (
            "read",
            AuthError,
            f"may read but not edit spreadsheet fake-spreadsheet-0001; share the sheet with "
            f"{EMAIL}",
        ),
        (
            "missing",
            FatalError,
            f"no spreadsheet has the id fake-spreadsheet-0001; check [sheets] spreadsheet_id "
            f"(the long id in the sheet's address), then share the sheet with {EMAIL}",
        ),
    ],
    ids=["not-shared", "read-only", "no-such-sheet"],
)
@responses.activate
def test_access_problems_say_in_one_line_what_to_do(
    tmp_path: Path, access: str, error: type[Exception], words: str
) -> None:
    """403 and 404 become one line naming the service account's e-mail or the id."""
    api = connect_fake(tmp_path, FakeSheet(access=access))
    with pytest.raises(error) as raised:
        publish(api, workbook())
    message = str(raised.value)
    assert words in message
    assert "\n" not in message
    assert "fake-access-token" not in message


@responses.activate
def test_a_disabled_api_is_told_apart_from_a_sheet_not_shared(tmp_path: Path) -> None:
    """Google's SERVICE_DISABLED reason points at enabling the Sheets API, not at sharing."""
    fake_token_endpoint()
    body = {
        "error": {
            "code": 403,
            "message": "Google Sheets API has not been used in project 1 before or it is disabled.",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED"}
            ],
        }
    }
    responses.get(f"{BASE}/fake-spreadsheet-0001", status=403, json=body)
    api = open_sheet("fake-spreadsheet-0001", load_service_account(write_key(tmp_path)))
    with pytest.raises(AuthError, match=r"not enabled in the project of .*apis/library/sheets"):
        api.metadata()


@responses.activate
def test_a_refused_key_says_to_create_a_new_one(tmp_path: Path) -> None:
    """Google refusing the signed grant becomes one line about the key, never its content."""
    responses.post(
        TOKEN_URI,
        status=400,
        json={"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
    )
    key = write_key(tmp_path)
    api = open_sheet("fake-spreadsheet-0001", load_service_account(key))
    with pytest.raises(SheetsError) as raised:
        api.metadata()
    message = str(raised.value)
    assert "invalid_grant" in message
    assert "create a new key" in message
    assert "PRIVATE KEY" not in message


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "no such service-account key file"),
        ("{not json", "not a JSON key file"),
        (json.dumps({"type": "authorized_user"}), "not a service-account key"),
        (json.dumps({"type": "service_account"}), "not a usable service-account key"),
    ],
    ids=["missing", "not-json", "user-credentials", "incomplete"],
)
def test_a_bad_key_file_is_named_with_what_is_wrong(
    tmp_path: Path, content: str | None, words: str
) -> None:
    """Each way a key file can be wrong gets its own message with the file's path."""
    path = tmp_path / "key.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SheetsError, match=words) as raised:
        load_service_account(path)
    assert str(path) in str(raised.value)


def test_the_service_account_e_mail_is_read_from_the_key(tmp_path: Path) -> None:
    """The e-mail to share the sheet with comes from the key; the repr hides the credentials."""
    account = load_service_account(write_key(tmp_path))
    assert account.email == EMAIL
    assert "credentials" not in repr(account)
