"""How HubSpot's error responses are classified: what to retry, how long to wait, what to say.

HubSpot names the limit a 429 hit in the body's `policyName` and does not always send
`Retry-After` (https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details):
the 10-second burst and the search's per-second limit are waited out; the daily limit is not,
because it resets only at midnight in the account's time zone.
"""

from __future__ import annotations

from typing import Any

import requests

from connectors.http import (
    ApiError,
    AuthError,
    FatalError,
    RetriableError,
    default_classifier,
    error_detail,
    retry_after_seconds,
)
from connectors.hubspot.endpoints import TOKEN_VARIABLE, scope_for

API = "HubSpot"

# seconds to wait when a 429 names its policy but sends no Retry-After
POLICY_WAIT = {"TEN_SECONDLY_ROLLING": 10.0, "SECONDLY": 1.0}
SECONDLY_MESSAGE = "secondly limit"


class DailyLimitError(FatalError):
    """The account's daily API allowance is used up; retrying before midnight is pointless."""


def _body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _required_scopes(body: dict[str, Any]) -> list[str]:
    """Scopes a MISSING_SCOPES body names in `errors[].context` (both spellings seen)."""
    scopes: list[str] = []
    for error in body.get("errors") or ():
        context = error.get("context") if isinstance(error, dict) else None
        if not isinstance(context, dict):
            continue
        for key in ("requiredGranularScopes", "requiredScopes"):
            scopes.extend(str(scope) for scope in context.get(key) or ())
    return list(dict.fromkeys(scopes))


def _rate_limited(call: str, response: requests.Response, head: str) -> ApiError:
    body = _body(response)
    policy = str(body.get("policyName") or "")
    message = str(body.get("message") or "")
    if policy == "DAILY":
        return DailyLimitError(
            f"{head}: the account's daily API limit is used up; the run stops here, everything "
            "pulled so far is stored, and the next run resumes from there once the limit "
            "resets at midnight in the HubSpot account's time zone",
            status=429,
        )
    wait = retry_after_seconds(response.headers.get("Retry-After"))
    if wait is None:
        wait = POLICY_WAIT.get(policy)
    if wait is None and SECONDLY_MESSAGE in message.lower():
        wait = POLICY_WAIT["SECONDLY"]
    reason = f"{head}: rate limited" + (f" ({policy})" if policy else "")
    return RetriableError(reason, status=429, retry_after=wait)


def _forbidden(call: str, response: requests.Response, head: str) -> AuthError:
    body = _body(response)
    known = scope_for(call)
    scopes = _required_scopes(body) or ([known[0]] if known else [])
    what = f" to read {known[1]}" if known else ""
    named = ", ".join(scopes) if scopes else "a scope this call needs"
    detail = error_detail(response)
    return AuthError(
        f"{head}: {TOKEN_VARIABLE} lacks {named}{what}; add it on the Scopes tab of the "
        "private app in HubSpot" + (f" ({detail})" if detail else ""),
        status=403,
    )


def classify(call: str, response: requests.Response) -> ApiError | None:
    """The HubSpot reading of a response; None when it succeeded (2xx, 207 included)."""
    status = response.status_code
    if status < 400:
        return None
    head = f"{API} {call}: {status}"
    if status == 429:
        return _rate_limited(call, response, head)
    if status == 401:
        detail = error_detail(response)
        return AuthError(
            f"{head}: {TOKEN_VARIABLE} was refused; set it to the private app's access token"
            + (f" ({detail})" if detail else ""),
            status=401,
        )
    if status == 403:
        return _forbidden(call, response, head)
    return default_classifier(API)(call, response)
