"""The hostile corpus against every HTTP route that takes a body: a 4xx with its body, never a 500, nothing stored.

`ics_interop.testing.hostile` holds the inputs (a DTD, entities, deep nesting, not UTF-8, not
strict JSON, truncated, a message broken in each way...) and the outcome each must have. A
message route answers each with its acknowledgement (INPUT-001 for what cannot be used, the
failed rules for an invalid message) or, for a body not in the form its Content-Type says, 415;
an ordinary JSON route answers the JSON ones with 400 and the error body. Whatever the input,
the stores hold afterwards what they held before.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import httpx
import pytest
from ics_interop.adapters.ecaf import NationalEcaf
from ics_interop.adapters.http import running_server
from ics_interop.adapters.ics import IcsSettings, IcsSystem
from sqlalchemy import func, select

from callers import practitioner_headers, service, system_headers, user_headers
from ics_interop.examples import JOHN, SOCIAL_CARE_DUTY_TEAM
from ics_interop.messages import SystemRef
from ics_interop.model.codes import SystemKind
from ics_interop.testing.hostile import HostileCase, hostile_cases
from test_contactpoint_story import DATA_MANAGER, SCHOOL, FakeClock, moment, open_directory
from test_ecaf_story import ISLINGTON_ICS, ISLINGTON_LOCAL_ECAF, MELANIE, NATIONAL_ECAF

CASES = list(hostile_cases())


@attrs.frozen
class Route:
    """A route that takes a body, where it is served, and who may send to it."""

    service: str
    method: str
    path: str
    headers: dict[str, str]
    messages: bool  # a message route answers with acknowledgements


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Route], dict[str, object]]]:
    folder: Path = tmp_path_factory.mktemp("hostile-http")
    directory = open_directory(f"sqlite:///{folder / 'cp.db'}", FakeClock(moment(2010, 2, 20)))
    ecaf = NationalEcaf(f"sqlite:///{folder / 'ecaf.db'}", identity=NATIONAL_ECAF, clock=FakeClock(moment(2010, 2, 10)))
    identity = SystemRef(system=SystemKind.ICS, organisation_id=JOHN.organisation.organisation_id)
    ics = IcsSystem(
        f"sqlite:///{folder / 'ics.db'}", identity=identity, settings=IcsSettings(central_team=SOCIAL_CARE_DUTY_TEAM)
    )
    stores = {"contactpoint": directory.store, "ecaf": ecaf.store, "ics": ics.store}
    with (
        running_server(service("contactpoint", directory)) as cp,
        running_server(service("ecaf", ecaf)) as necaf,
        running_server(service("ics", ics)) as ics_url,
    ):
        yield (
            [
                Route(cp, "POST", "/messages", system_headers(SCHOOL, "contactpoint"), True),
                Route(necaf, "POST", "/messages", system_headers(ISLINGTON_ICS, "ecaf"), True),
                Route(necaf, "POST", "/migrations", system_headers(ISLINGTON_LOCAL_ECAF, "ecaf"), True),
                Route(ics_url, "POST", "/messages", system_headers(NATIONAL_ECAF, "ics"), True),
                Route(cp, "POST", "/practitioners", user_headers(DATA_MANAGER, "DCSF", "contactpoint"), False),
                Route(necaf, "POST", "/episodes", practitioner_headers(MELANIE, "ecaf"), False),
                Route(ics_url, "POST", "/cases", practitioner_headers(JOHN, "ics"), False),
            ],
            stores,
        )
    directory.dispose()
    ecaf.close()
    ics.store.dispose()


def _rows(stores: dict[str, object]) -> dict[str, int]:
    counts = {}
    for name, store in stores.items():
        with store.reading() as connection:  # type: ignore[attr-defined]
            for table in store.metadata.sorted_tables:  # type: ignore[attr-defined]
                counts[f"{name}.{table.name}"] = connection.execute(
                    select(func.count()).select_from(table)
                ).scalar_one()
    return counts


def _expected(route: Route, case: HostileCase, status: int) -> bool:
    if route.messages:
        # Refused as the message it cannot be (422 or 403 with the acknowledgement), or its form (415); a valid
        # one may be accepted by a message route (200), or refused by the route's own rules (422, 403, 409).
        return status in ((200, 403, 409, 422, 415) if case.outcome == "valid" else (403, 409, 415, 422))
    if case.format == "xml":
        return status in (400, 422)  # XML sent as JSON to a JSON route: refused whatever it holds
    return status in (400, 403, 404, 409, 422) if case.outcome == "valid" else status in (400, 422)


def test_every_body_route_answers_every_hostile_input_with_a_4xx_and_stores_nothing(
    routes: tuple[list[Route], dict[str, object]],
) -> None:
    served, stores = routes
    before = _rows(stores)
    wrong: list[str] = []
    with httpx.Client(timeout=30) as client:
        for route in served:
            for case in CASES:
                if case.outcome == "valid" and route.messages:
                    continue  # a valid message would be stored: that is not what this test is about
                reply = client.request(
                    route.method,
                    f"{route.service}{route.path}",
                    content=case.data,
                    headers={
                        **route.headers,
                        "Content-Type": "application/json" if not route.messages else case.media_type,
                    },
                )
                body_ok = reply.headers.get("content-type", "").startswith(("application/json", "application/xml"))
                if not _expected(route, case, reply.status_code) or not body_ok or b"Traceback" in reply.content:
                    wrong.append(f"{route.path} {case.name} ({case.outcome}): {reply.status_code} {reply.text[:160]}")
    assert not wrong, "\n".join(wrong)
    after = _rows(stores)
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k] and not k.endswith("_audit")}
    assert changed == {}


def test_a_body_in_another_form_than_its_content_type_is_refused_with_415(
    routes: tuple[list[Route], dict[str, object]],
) -> None:
    served, _ = routes
    xml = next(c for c in CASES if c.outcome == "valid" and c.format == "xml")
    json_case = next(c for c in CASES if c.outcome == "valid" and c.format == "json")
    with httpx.Client(timeout=30) as client:
        for route in (r for r in served if r.messages):
            for case, declared in ((xml, "application/json"), (json_case, "application/xml")):
                reply = client.post(
                    f"{route.service}{route.path}",
                    content=case.data,
                    headers={**route.headers, "Content-Type": declared},
                )
                assert reply.status_code == 415, (route.path, case.name, reply.text[:200])
                assert reply.json()["error"]["where"] == "Content-Type"
