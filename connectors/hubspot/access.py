"""Whether the token can read everything the sync needs: one small request per scope.

A pull checks this before it yields its first page, so a missing scope stops it before the
store is touched; `crmkpi doctor` shows the same checks one line each. A 401 means the token
itself was refused; a 403 names a missing scope
(https://developers.hubspot.com/docs/api/private-apps).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.http import ApiError, AuthError
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.endpoints import (
    OBJECTS,
    OWNERS_PATH,
    OWNERS_SCOPE,
    SUBSCRIPTIONS_PATH,
    SUBSCRIPTIONS_SCOPE,
    SURVEYS,
    TOKEN_VARIABLE,
)
from connectors.hubspot.options import HubSpotOptions

# a syntactically valid address that no account holds: the status read answers for it like
# for any other, which is all a scope check needs
PROBE_EMAIL = "scope-check@crmkpi.invalid"


@dataclass(frozen=True, slots=True)
class Probe:
    """The cheapest request that needs `scope`."""

    scope: str
    needed_for: str
    method: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    optional: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """A probe's answer; `refused` holds HubSpot's reason when the scope is missing."""

    probe: Probe
    refused: str | None = None

    @property
    def ok(self) -> bool:
        return self.refused is None


def probes(options: HubSpotOptions) -> list[Probe]:
    """One probe per scope the configured sync needs."""
    found = [Probe(OWNERS_SCOPE, "owners", "GET", OWNERS_PATH, {"limit": "1"})]
    for spec in OBJECTS:
        if spec is SURVEYS and not options.nps_surveys:
            continue
        optional = "nps_surveys = false" if spec is SURVEYS else ""
        found.append(
            Probe(spec.scope, spec.needed_for, "GET", spec.path, {"limit": "1"}, optional=optional)
        )
    if options.email_subscriptions:
        found.append(
            Probe(
                SUBSCRIPTIONS_SCOPE,
                "email subscription statuses (list growth)",
                "POST",
                SUBSCRIPTIONS_PATH,
                {"channel": "EMAIL"},
                {"inputs": [PROBE_EMAIL]},
                optional="email_subscriptions = false",
            )
        )
    return found


def check(api: HubSpotApi, probe: Probe) -> Outcome:
    """Send one probe. A 401 raises (no scope can be judged); a 403 is a missing scope.

    Any other client error (a 400 for the probe's input) still shows the scope was granted:
    HubSpot checks scopes before it reads a request.
    """
    try:
        if probe.method == "GET":
            api.get(probe.path, probe.params)
        else:
            api.post(probe.path, probe.body, probe.params)
    except AuthError as error:
        if error.status != 403:
            raise
        return Outcome(probe, str(error))
    except ApiError as error:
        if error.status is None or error.status >= 500 or error.status == 429:
            raise
    return Outcome(probe)


def require(api: HubSpotApi, options: HubSpotOptions) -> None:
    """Raise `AuthError` naming every missing scope, or return when all are granted."""
    outcomes = [check(api, probe) for probe in probes(options)]
    missing = [outcome for outcome in outcomes if not outcome.ok]
    if not missing:
        return
    scopes = "; ".join(f"{o.probe.scope} ({o.probe.needed_for})" for o in missing)
    optional = [o.probe.optional for o in missing if o.probe.optional]
    hint = f", or set {' and '.join(optional)} under [connectors.hubspot]" if optional else ""
    raise AuthError(
        f"HubSpot: {TOKEN_VARIABLE} lacks the scopes {scopes}; add them on the Scopes tab of "
        f"the private app in HubSpot{hint}. Nothing was pulled.",
        status=403,
    )
