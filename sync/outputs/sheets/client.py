"""Google Sheets through gspread 6, every request paced, timed out and retried by `ApiClient`.

gspread builds the Sheets v4 calls and google-auth signs them with a service-account key.
gspread's own `BackOffHTTPClient` is not used: it honours no Retry-After and, up to 6.2.1,
never gives up on a request that keeps failing (https://github.com/burnash/gspread/pull/1599).
Instead `PacedHTTPClient` sends each request through the shared `connectors.http.ApiClient`,
the one retry loop of the tool.

Errors a user can fix (a missing key, a sheet not shared with the service account) become
one line naming what to do; no message carries a key, a token or a header.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests
from google.auth.exceptions import GoogleAuthError, RefreshError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from gspread.http_client import FileType, HTTPClient, ParamsType
from gspread.urls import SPREADSHEET_BATCH_UPDATE_URL, SPREADSHEETS_API_V4_BASE_URL

from connectors.clock import Monotonic
from connectors.errors import RunFailure
from connectors.http import (
    ApiClient,
    ApiError,
    AuthError,
    Classifier,
    FatalError,
    Pacer,
    default_classifier,
    error_detail,
)
from sync.config import Config, ConfigError
from sync.secrets import Secrets, load_secrets

API = "Google Sheets"
# https://developers.google.com/sheets/api/scopes: read and write spreadsheets, nothing of
# Drive (the sheet is opened by its id, never searched for)
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
# https://developers.google.com/sheets/api/limits: the API gives up on a request after 180 s
TIMEOUT = (10.0, 190.0)
# https://developers.google.com/sheets/api/limits: 60 reads and 60 writes per minute per user,
# and a service account is one user; the quota refills each minute, so backoff ceilings of
# 1, 2, ... 64 s (8 attempts) wait past a whole window
PER_MINUTE = 50
ATTEMPTS = 8
# only what the writer reconciles: tabs and their sizes, charts, rules and filters
METADATA_FIELDS = (
    "spreadsheetId,properties.title,sheets(properties(sheetId,title,index,"
    "gridProperties(rowCount,columnCount)),charts(chartId),conditionalFormats(ranges),"
    "basicFilter(range))"
)
ENABLE_API = "https://console.cloud.google.com/apis/library/sheets.googleapis.com"

Json = dict[str, Any]
T = TypeVar("T")


class SheetsError(RunFailure):
    """Publishing to Google Sheets failed; the message is one line meant for the user."""


@dataclass(frozen=True)
class ServiceAccount:
    """A service-account key: its file, the e-mail to share sheets with, the credentials."""

    key_file: Path
    email: str
    credentials: service_account.Credentials = field(repr=False)


def key_file(config: Config, secrets: Secrets) -> Path:
    """`[sheets] credentials_file` when set, else `GOOGLE_APPLICATION_CREDENTIALS`."""
    section = config.sheets
    if section is not None and section.credentials_file is not None:
        return config.resolve(section.credentials_file)
    if secrets.google_credentials_file is not None:
        return secrets.google_credentials_file
    raise ConfigError(
        "sheets: no service-account key; set GOOGLE_APPLICATION_CREDENTIALS (in the "
        "environment or a .env beside the config) or [sheets] credentials_file to its path"
    )


def load_service_account(path: Path) -> ServiceAccount:
    """Read a JSON service-account key; `SheetsError` says what is wrong with the file."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SheetsError(f"{path}: no such service-account key file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SheetsError(f"{path}: the key file cannot be read ({type(exc).__name__})") from None
    except ValueError:
        raise SheetsError(f"{path}: not a JSON key file; download a JSON key") from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise SheetsError(
            f"{path}: not a service-account key (JSON whose type is service_account); "
            "create a key for a service account in the Google Cloud console"
        )
    try:
        # google-auth leaves this classmethod unannotated
        credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            info, scopes=SCOPES
        )
    except (ValueError, GoogleAuthError) as exc:
        # google-auth names missing fields here, never the key itself
        raise SheetsError(f"{path}: not a usable service-account key: {exc}") from None
    return ServiceAccount(
        key_file=path, email=credentials.service_account_email, credentials=credentials
    )


def _reason(response: requests.Response) -> str:
    """The `ErrorInfo.reason` of a Google error body (SERVICE_DISABLED, ...), if any."""
    try:
        details = response.json()["error"]["details"]
        return next((str(d["reason"]) for d in details if "reason" in d), "")
    except (ValueError, KeyError, TypeError):
        return ""


def sheets_classifier(spreadsheet_id: str, email: str) -> Classifier:
    """The shared classification, with 401, 403 and 404 told apart in words a user can act on."""
    fallback = default_classifier(API)
    share = f"share the sheet with {email} as an Editor"

    def classify(call: str, response: requests.Response) -> ApiError | None:
        status = response.status_code
        if status not in (401, 403, 404):
            return fallback(call, response)
        if status == 404:
            return FatalError(
                f"{API}: no spreadsheet has the id {spreadsheet_id}; check [sheets] "
                f"spreadsheet_id (the long id in the sheet's address), then {share}",
                status=status,
            )
        detail = error_detail(response)
        if status == 401:
            return AuthError(
                f"{API} refused the service account {email} ({detail or 'unauthorized'}); "
                "create a new key for it",
                status=status,
            )
        if _reason(response) == "SERVICE_DISABLED" or "has not been used" in detail:
            return AuthError(
                f"{API}: the Sheets API is not enabled in the project of {email}; "
                f"enable it at {ENABLE_API}",
                status=status,
            )
        if call.startswith("GET"):
            return AuthError(
                f"{API}: the spreadsheet {spreadsheet_id} is not shared with the service "
                f"account; {share}",
                status=status,
            )
        return AuthError(
            f"{API}: the service account may read but not edit spreadsheet {spreadsheet_id}; "
            f"{share}",
            status=status,
        )

    return classify


class PacedHTTPClient(HTTPClient):
    """gspread's HTTP client whose every request goes through the shared `ApiClient`.

    Reads and writes have separate per-minute quotas, so each waits for its own pacer.
    """

    def __init__(self, api: ApiClient, account: ServiceAccount, *, reads: Pacer, writes: Pacer):
        super().__init__(account.credentials, api.session)
        self.api = api
        self.reads = reads
        self.writes = writes

    def request(
        self,
        method: str,
        endpoint: str,
        params: ParamsType | None = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: FileType = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> requests.Response:
        path = endpoint.removeprefix(SPREADSHEETS_API_V4_BASE_URL)
        if path == endpoint or data is not None or files is not None:
            raise ValueError(f"{method.upper()} {endpoint}: only Sheets v4 JSON calls are sent")
        verb = method.upper()
        response: requests.Response = self.api.request(
            verb,
            path,
            params=params,
            json_body=json,
            pacer=self.reads if verb == "GET" else self.writes,
            raw=True,
        )
        return response


class SheetsApi:
    """The calls the writer makes on one spreadsheet; the metadata is read once and kept."""

    def __init__(self, spreadsheet_id: str, account: ServiceAccount, http: PacedHTTPClient):
        self.spreadsheet_id = spreadsheet_id
        self.account = account
        self.http = http
        self._metadata: Json | None = None

    @property
    def calls(self) -> int:
        """Sheets requests sent so far, retries included (sign-in calls to Google are not)."""
        return self.http.api.calls

    @property
    def url(self) -> str:
        return f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}"

    def metadata(self) -> Json:
        """The tabs, their sizes, charts, rules and filters; fetched on first use only."""
        if self._metadata is None:
            params: ParamsType = {"fields": METADATA_FIELDS}
            self._metadata = dict(
                self._guarded(
                    lambda: self.http.fetch_sheet_metadata(self.spreadsheet_id, params=params)
                )
            )
        return self._metadata

    def forget_metadata(self) -> None:
        """Read the metadata afresh next time (after this tool changed the spreadsheet)."""
        self._metadata = None

    def read_values(self, a1_range: str, params: ParamsType) -> list[list[object]]:
        body = self._guarded(lambda: self.http.values_get(self.spreadsheet_id, a1_range, params))
        values: list[list[object]] = body.get("values", [])
        return values

    def batch_update(self, requests_: list[Json]) -> Json:
        """One `spreadsheets:batchUpdate`: applied atomically, one write of the quota.

        It is sent again only when the server surely did not apply it (a 429, no connection):
        resent after it was applied, its `addSheet` would be refused and a deletion would hit
        what is no longer there. Otherwise its `RetriableError` reaches the caller, which
        reads the spreadsheet again and plans the batch afresh (`sheets.writer`).
        """
        body = {"requests": requests_}
        path = (SPREADSHEET_BATCH_UPDATE_URL % self.spreadsheet_id).removeprefix(
            SPREADSHEETS_API_V4_BASE_URL
        )

        def send() -> Json:
            reply: Json = self.http.api.request(
                "POST", path, json_body=body, pacer=self.http.writes, resend=False
            )
            return reply

        return self._guarded(send)

    def write_values(self, data: list[Json]) -> Json:
        """One `values:batchUpdate` of RAW values over any number of ranges and tabs."""
        body = {"valueInputOption": "RAW", "data": data, "includeValuesInResponse": False}
        reply: Json = self._guarded(
            lambda: self.http.values_batch_update(self.spreadsheet_id, body=body)
        )
        return reply

    def check_write(self) -> None:
        """Prove the right to edit without changing anything: set the title to itself."""
        title = self.metadata()["properties"]["title"]
        self.batch_update(
            [{"updateSpreadsheetProperties": {"properties": {"title": title}, "fields": "title"}}]
        )

    def _guarded(self, call: Callable[[], T]) -> T:
        """The call's result; signing in with the key failing becomes a `SheetsError`."""
        try:
            return call()
        except RefreshError as exc:
            # e.g. "invalid_grant: Invalid JWT Signature." for a deleted key
            reason = exc.args[0] if exc.args else type(exc).__name__
            raise SheetsError(
                f"Google refused to sign in the service account {self.account.email} with "
                f"{self.account.key_file} ({reason}); create a new key"
            ) from None
        except GoogleAuthError as exc:
            raise SheetsError(
                f"could not sign in the service account {self.account.email} "
                f"({type(exc).__name__}); check the network and the proxy settings"
            ) from None


def open_sheet(
    spreadsheet_id: str,
    account: ServiceAccount,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Monotonic = time.monotonic,
    attempts: int = ATTEMPTS,
) -> SheetsApi:
    """A client for one spreadsheet; `sleep` and `clock` are injectable so tests never wait."""
    api = ApiClient(
        api=API,
        base_url=SPREADSHEETS_API_V4_BASE_URL,
        # a requests.Session that adds the bearer token and refreshes it when it expires
        session=AuthorizedSession(account.credentials),  # type: ignore[no-untyped-call]
        timeout=TIMEOUT,
        attempts=attempts,
        classify=sheets_classifier(spreadsheet_id, account.email),
        sleep=sleep,
    )
    http = PacedHTTPClient(
        api,
        account,
        reads=Pacer(PER_MINUTE, 60.0, clock=clock, sleep=sleep),
        writes=Pacer(PER_MINUTE, 60.0, clock=clock, sleep=sleep),
    )
    return SheetsApi(spreadsheet_id, account, http)


def connect(config: Config, secrets: Secrets | None = None) -> SheetsApi:
    """The configured spreadsheet, signed in with the configured key."""
    if config.sheets is None:
        raise ConfigError("no [sheets] section is configured")
    path = key_file(config, secrets or load_secrets(config.base_dir))
    return open_sheet(config.sheets.spreadsheet_id, load_service_account(path))
