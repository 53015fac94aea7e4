"""The suite has teeth: each deliberately broken system fails exactly the requirements it breaks, and nothing else.

An adapter-level breakage runs as a Python adapter; a service-level one (a broken HTTP gate) runs
over HTTP, as the reference service with its authenticator replaced.
"""

from __future__ import annotations

import pytest
from ics_interop.conformance import Capture, RunOptions, RunResult, State, Target, run_suite
from ics_interop.conformance.broken import BROKEN, BrokenSystem
from ics_interop.conformance.catalogue import PROFILE_NAMES, requirements
from ics_interop.conformance.reference_adapters import serve_reference
from ics_interop.conformance.targets import parse_target

OPTIONS = RunOptions(seed=3, max_examples=6, wait_seconds=4.0)


def test_there_are_broken_systems_across_every_profile_and_both_kinds_of_target() -> None:
    assert len(BROKEN) >= 26
    assert {b.profile for b in BROKEN.values()} == set(PROFILE_NAMES)
    assert {b.kind for b in BROKEN.values()} == {"adapter", "http"}
    catalogue = requirements()
    for broken in BROKEN.values():
        assert broken.breaks, broken.name
        assert (broken.build is None) != (broken.gate is None), broken.name
        for requirement_id in broken.breaks:
            assert catalogue[requirement_id].applies_to(broken.profile), (broken.name, requirement_id)


def _run(broken: BrokenSystem) -> RunResult:
    if broken.gate is not None:
        capture = Capture()
        with capture.serve() as receiver, serve_reference(broken.profile, receiver, gate=broken.gate) as (url, options):
            return run_suite(broken.profile, parse_target(url, options), options=OPTIONS, capture=capture)
    assert broken.build is not None
    system = broken.build()
    try:
        return run_suite(broken.profile, Target("adapter", broken.name, adapter=system), options=OPTIONS)
    finally:
        system.close()


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_system_fails_exactly_the_requirements_it_breaks(name: str) -> None:
    broken = BROKEN[name]
    result = _run(broken)
    assert sorted(result.failed_ids()) == sorted(broken.breaks)
    assert not result.passed
    for requirement_id in broken.breaks:
        failed = result.result(requirement_id)
        replays = [o.replay for o in failed.outcomes if o.state is State.FAIL]
        assert replays, requirement_id
        assert all(f"--seed {result.seed}" in r and "--check" in r for r in replays)
