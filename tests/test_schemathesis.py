"""Schemathesis, an independent API tester, against each reference service over its own OpenAPI document.

Every operation of ContactPoint, National eCAF and an ICS is exercised with requests generated
from the document the service serves (valid ones, and invalid ones made to break it), each
with a real token: a user's on the practitioners' routes (the role that may use the most of
them), a system's on `POST /messages`. Every default check of schemathesis must pass, among
them `not_a_server_error` (no input gives a 500), `ignored_auth` (an operation that declares
security refuses a request without a token, or with a forged one), the response schema and
status code checks, and negative data rejection.

One check is configured, not turned off: `positive_data_acceptance` expects a request valid
against the schema to be accepted. A request can be valid against the schema and still break a
business rule of the standard that no schema can state (a lead professional who is not in the
TAC, CAF-001; a search with too few criteria), which the binding answers with 422 naming the
rule, as every operation's documented 422 says. So 422 joins the statuses it accepts.
"""

from __future__ import annotations

import collections
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from ics_interop.adapters.ecaf import EcafRole, NationalEcaf, UserRegistration
from ics_interop.adapters.ics import IcsSettings, IcsSystem
from schemathesis.config import SchemathesisConfig

from callers import practitioner_headers, service, system_headers, user_headers
from ics_interop.examples import JOHN, SOCIAL_CARE_DUTY_TEAM, example_messages
from ics_interop.messages import MessageType, SystemRef
from ics_interop.model.codes import SystemKind
from test_contactpoint_story import DATA_MANAGER, SCHOOL, FakeClock, moment, open_directory
from test_ecaf_story import ISLINGTON_ICS, MANAGER, NATIONAL_ECAF

EXAMPLES_PER_OPERATION = int(os.environ.get("ICS_INTEROP_SCHEMATHESIS_EXAMPLES", "12"))
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422"]}}}
)


def _contactpoint(folder: Path) -> tuple[FastAPI, dict[str, str], dict[str, str], Callable[[], None]]:
    directory = open_directory(f"sqlite:///{folder / 'cp.db'}", FakeClock(moment(2010, 2, 20)))
    users = user_headers(DATA_MANAGER, "DCSF", "contactpoint")
    return service("contactpoint", directory), users, system_headers(SCHOOL, "contactpoint"), directory.dispose


def _ecaf(folder: Path) -> tuple[FastAPI, dict[str, str], dict[str, str], Callable[[], None]]:
    ecaf = NationalEcaf(f"sqlite:///{folder / 'ecaf.db'}", identity=NATIONAL_ECAF, clock=FakeClock(moment(2010, 2, 10)))
    ecaf.register_user(UserRegistration(practitioner=MANAGER, role=EcafRole.MANAGER), by=None)
    return (
        service("ecaf", ecaf),
        practitioner_headers(MANAGER, "ecaf"),
        system_headers(ISLINGTON_ICS, "ecaf"),
        ecaf.close,
    )


def _ics(folder: Path) -> tuple[FastAPI, dict[str, str], dict[str, str], Callable[[], None]]:
    identity = SystemRef(system=SystemKind.ICS, organisation_id=JOHN.organisation.organisation_id)
    ics = IcsSystem(
        f"sqlite:///{folder / 'ics.db'}", identity=identity, settings=IcsSettings(central_team=SOCIAL_CARE_DUTY_TEAM)
    )
    ecaf = example_messages()[MessageType.SOCIAL_CARE_REFERRAL].header.sender
    return service("ics", ics), practitioner_headers(JOHN, "ics"), system_headers(ecaf, "ics"), ics.store.dispose


SERVICES = {"contactpoint": _contactpoint, "ecaf": _ecaf, "ics": _ics}


@pytest.fixture(params=list(SERVICES))
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, Any, dict[str, str], dict[str, str]]]:
    folder = Path(tempfile.mkdtemp(prefix="ics-schemathesis-"))
    app, users, systems, close = SERVICES[request.param](folder)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
    yield request.param, schema, users, systems
    close()


def _exercise(operation: Any, headers: dict[str, str], failures: collections.Counter[str]) -> Callable[[], None]:
    """A Hypothesis test of one operation: each generated request, with the caller's token, through every check."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy())
    def exercise(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers)
        except Exception as failed:
            for each in getattr(failed, "exceptions", [failed]):
                first = str(each).strip().splitlines()[0] if str(each).strip() else ""
                failures[f"{case.operation.label}: {type(each).__name__}: {first[:200]}"] += 1

    return exercise


def test_schemathesis_finds_nothing_in_any_operation(served: tuple[str, Any, dict[str, str], dict[str, str]]) -> None:
    name, schema, users, systems = served
    failures: collections.Counter[str] = collections.Counter()
    operations = 0
    for found in schema.get_all_operations():
        operation = found.ok()
        operations += 1
        _exercise(operation, systems if operation.path == "/messages" else users, failures)()
    assert operations >= 4, name
    assert not failures, "\n".join(f"{count} x {what}" for what, count in failures.most_common())
