"""Before a run over HTTP: is the target there, and does it accept the suite's credentials?

A run whose target is down, or does not trust the suite's issuer, or does not know the user
the suite acts as, would fail every check with the same error after minutes of waiting. So
the suite asks first, with one request of each kind, and stops at once with the fix
(`TargetError`, exit status 2) when the answer is wrong.

The routes a sending system delivers on cannot be asked about (the system's configuration is
its own): `routing` tells the tester what to configure when nothing arrives.
"""

from __future__ import annotations

import httpx

from .credentials import SUITE_ISSUER
from .http_drivers import DirectoryOverHttp, EcafOverHttp, HttpSystem, IcsOverHttp, error_of
from .targets import TargetError

__all__ = ["preflight"]


def preflight(sut: HttpSystem, profile: str) -> None:
    """Raise `TargetError`, with the fix, when the service cannot be reached or refuses the suite's user."""
    try:
        health = sut.raw("GET", "/health")
    except httpx.HTTPError as error:
        raise TargetError(
            f"cannot reach {sut.base_url} ({type(error).__name__}: {error}): start the service, or give the URL it "
            "listens on as --target (`ics-interop up` starts the three reference systems)"
        ) from None
    if health.status_code >= 400:
        raise TargetError(
            f"{sut.base_url}/health answered {health.status_code}: is --target the service's base URL? "
            "(the binding serves GET /health without a token)"
        )
    method, path, params, user, option = _user_request(sut, profile)
    try:
        response = sut.raw(method, path, token=sut.user_token(user), params=params)
    except httpx.HTTPError as error:
        raise TargetError(f"{sut.base_url}{path}: {type(error).__name__}: {error}") from None
    said = ": ".join(error_of(response))
    if response.status_code == 401:
        raise TargetError(
            f"{sut.base_url} refused the suite's token ({said}): configure it to trust the issuer {SUITE_ISSUER} "
            "with the public keys `ics-interop conformance keygen` printed for the key given as "
            f"--option issuer-key (the reference services: serve ... --trust {SUITE_ISSUER}=JWKS_FILE), and give "
            f"--option audience=... if it expects another audience than {sut.audience}"
        )
    if response.status_code == 403:
        how = (
            f"register {user} with that role (the reference systems: `ics-interop users add {profile} {user} "
            f"--role {option} ...`)"
            if profile in ("contactpoint", "ecaf")
            else "give the service's own organisation as --option organisation=ORG "
            f"(now {sut.identity().organisation_id})"
        )
        raise TargetError(
            f"{sut.base_url} does not let {user} do what the suite needs ({said}): {how}, or give another user "
            f"with --option {option}=ID"
        )
    if response.status_code >= 400:
        raise TargetError(f"{method} {sut.base_url}{path} as {user} answered {response.status_code}: {said}")


def _user_request(sut: HttpSystem, profile: str) -> tuple[str, str, dict[str, str], str, str]:
    """The cheapest read the profile's acting user makes: (method, path, query, user, the option naming them)."""
    if isinstance(sut, DirectoryOverHttp):
        return "GET", "/audit", {}, sut.data_manager(), "data-manager"
    if isinstance(sut, EcafOverHttp):
        return "GET", "/reports/open-episodes", {"olderThanDays": "0"}, sut.manager, "manager"
    if isinstance(sut, IcsOverHttp):
        return "GET", "/cases", {}, sut.worker, "worker"
    raise TargetError(f"the {profile} profile has no HTTP driver")
