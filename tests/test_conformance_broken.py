"""The suite has teeth: each deliberately broken system fails exactly the requirements it breaks, and nothing else.

An adapter-level breakage runs as a Python adapter; a service-level one (a broken HTTP gate) runs
over HTTP, as the reference service with its authenticator replaced. A system broken inside
(`served`) runs as an adapter, and its HTTP twin (the same broken system served) runs too for
`HTTP_TWINS`: one of each dimension and kind of fault, chosen to keep the test run short (each
HTTP run takes three to four times an adapter run; the faults are in the system, the binding
only carries them, so the twin proves the same teeth over the wire rather than new ones).
"""

from __future__ import annotations

import pytest
from ics_interop.conformance import Capture, RunOptions, RunResult, State, Target, run_suite
from ics_interop.conformance.broken import BROKEN, BrokenSystem
from ics_interop.conformance.catalogue import PROFILE_NAMES, requirements
from ics_interop.conformance.reference_adapters import serve_reference
from ics_interop.conformance.targets import parse_target

OPTIONS = RunOptions(seed=3, max_examples=6, wait_seconds=4.0)
#: The served breakages run over HTTP too: a time edge, a path, a role, a wire form, a field, a sequence,
#: a time edge years away that only the directory's test clock reaches, and a batch (its own request).
HTTP_TWINS = (
    "involvement-hidden-on-its-anniversary",
    "purges-a-day-early",
    "sensitive-shown-in-view",
    "data-managers-override-shielding",
    "redelivery-by-bytes",
    "shielded-parent-address-shown",
    "lead-kept-after-no-caf",
    "batch-stops-at-first-rejection",  # the batch form is its own request (?batch=true)
    "closes-stale-episodes",  # years on, through National eCAF's test clock
)
DIMENSIONS = ("time", "paths", "roles", "wire", "fields", "sequences")


def test_there_are_broken_systems_across_every_profile_and_both_kinds_of_target() -> None:
    assert len(BROKEN) >= 50
    assert {b.profile for b in BROKEN.values()} == set(PROFILE_NAMES)
    assert {b.kind for b in BROKEN.values()} == {"adapter", "http"}
    catalogue = requirements()
    for broken in BROKEN.values():
        assert broken.breaks or broken.warns, broken.name
        assert (broken.build is None) != (broken.gate is None), broken.name
        for requirement_id in broken.breaks + broken.warns:
            assert catalogue[requirement_id].applies_to(broken.profile), (broken.name, requirement_id)
        for requirement_id in broken.warns:
            assert catalogue[requirement_id].level != "SHALL", (broken.name, requirement_id)
        assert set(broken.dimensions) <= set(DIMENSIONS), broken.name
    served = {d for b in BROKEN.values() if b.served for d in b.dimensions}
    assert served == set(DIMENSIONS)
    for name in HTTP_TWINS:
        assert BROKEN[name].served, name


def _run(broken: BrokenSystem, *, over_http: bool = False) -> RunResult:
    if broken.gate is not None or over_http:
        capture = Capture()
        with (
            capture.serve() as receiver,
            serve_reference(broken.profile, receiver, gate=broken.gate, adapter=broken.build) as (url, options),
        ):
            return run_suite(broken.profile, parse_target(url, options), options=OPTIONS, capture=capture)
    assert broken.build is not None
    system = broken.build()
    try:
        return run_suite(broken.profile, Target("adapter", broken.name, adapter=system), options=OPTIONS)
    finally:
        system.close()


def _assert_caught(broken: BrokenSystem, result: RunResult) -> None:
    assert sorted(result.failed_ids()) == sorted(broken.breaks)
    warned = [r.requirement_id for r in result.requirements if r.state is State.WARNING]
    assert sorted(warned) == sorted(broken.warns)
    for requirement_id in broken.breaks + broken.warns:
        failed = result.result(requirement_id)
        replays = [o.replay for o in failed.outcomes if o.state in (State.FAIL, State.WARNING)]
        assert replays, requirement_id
        assert all(f"--seed {result.seed}" in r and "--check" in r for r in replays)


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_system_fails_exactly_the_requirements_it_breaks(name: str) -> None:
    broken = BROKEN[name]
    _assert_caught(broken, _run(broken))


@pytest.mark.parametrize("name", HTTP_TWINS)
def test_a_system_broken_inside_is_caught_the_same_over_http(name: str) -> None:
    broken = BROKEN[name]
    _assert_caught(broken, _run(broken, over_http=True))
