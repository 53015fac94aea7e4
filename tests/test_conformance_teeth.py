"""The suite's teeth, measured: every kind of case a property check knows is tried in every run.

A property check draws its data from the run's seed, but never whether a kind of case (a
breakage a receiver must reject, a message type it must accept) is tried: each kind runs in
both wire forms, whatever the seed, so a system that mishandles one kind is caught in every run.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import find, settings
from hypothesis import strategies as st
from ics_interop.conformance.capture import Capture
from ics_interop.conformance.context import CheckContext
from ics_interop.conformance.generation import breakage_kinds, valid_kinds
from ics_interop.conformance.reference_adapters import REFERENCE_CONTACTPOINT, REFERENCE_ECAF, REFERENCE_ICS

from ics_interop.messages import SystemRef


def _context(seed: int, max_examples: int) -> CheckContext:
    return CheckContext(
        profile="ecaf",
        kind="adapter",
        sut=None,
        capture=Capture(),
        requirements=["MSG-R02"],
        seed=seed,
        max_examples=max_examples,
    )


@pytest.mark.parametrize("seed", [0, 1, 20100201, 2**32 - 1])
@pytest.mark.parametrize("max_examples", [1, 6, 25])
def test_every_kind_runs_in_both_wire_forms_whatever_the_seed(seed: int, max_examples: int) -> None:
    kinds = {f"kind {i}": st.integers(0, 1000).map(lambda n, i=i: (i, n)) for i in range(7)}
    tried: Counter[tuple[int, str]] = Counter()

    def test(case: tuple[int, int], wire: str) -> None:
        tried[case[0], wire] += 1

    _context(seed, max_examples).for_every_kind(kinds, test)
    assert set(tried) == {(i, wire) for i in range(7) for wire in ("xml", "json")}


@pytest.mark.parametrize(
    ("profile", "identity"),
    [("contactpoint", REFERENCE_CONTACTPOINT), ("ecaf", REFERENCE_ECAF), ("ics", REFERENCE_ICS)],
)
def test_each_profile_knows_kinds_of_valid_and_broken_messages_and_each_names_its_rule(
    profile: str, identity: SystemRef
) -> None:
    valid = valid_kinds(profile, identity)
    broken = breakage_kinds(profile, identity)
    assert len(valid) >= 2
    assert len(broken) >= 7
    for name, strategy in broken.items():
        rule, message = find(strategy, lambda _: True, settings=settings(database=None, max_examples=5))
        assert rule, name
        assert message.header.recipient.system == identity.system or rule == "ENV-001" or "addressed" in name
