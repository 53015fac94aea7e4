"""The suite has teeth: each deliberately broken system fails exactly the requirements it breaks, and nothing else."""

from __future__ import annotations

import pytest
from ics_interop.conformance import RunOptions, State, Target, run_suite
from ics_interop.conformance.broken import BROKEN
from ics_interop.conformance.catalogue import PROFILE_NAMES, requirements

OPTIONS = RunOptions(seed=3, max_examples=6, wait_seconds=4.0)


def test_there_are_at_least_fifteen_broken_systems_across_every_profile() -> None:
    assert len(BROKEN) >= 15
    assert {b.profile for b in BROKEN.values()} == set(PROFILE_NAMES)
    catalogue = requirements()
    for broken in BROKEN.values():
        assert broken.breaks, broken.name
        for requirement_id in broken.breaks:
            assert catalogue[requirement_id].applies_to(broken.profile), (broken.name, requirement_id)


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_system_fails_exactly_the_requirements_it_breaks(name: str) -> None:
    broken = BROKEN[name]
    system = broken.build()
    try:
        result = run_suite(broken.profile, Target("adapter", name, adapter=system), options=OPTIONS)
    finally:
        system.close()
    assert sorted(result.failed_ids()) == sorted(broken.breaks)
    assert not result.passed
    for requirement_id in broken.breaks:
        failed = result.result(requirement_id)
        replays = [o.replay for o in failed.outcomes if o.state is State.FAIL]
        assert replays, requirement_id
        assert all(f"--seed {result.seed}" in r and "--check" in r for r in replays)
