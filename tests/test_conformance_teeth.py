"""The suite's teeth, measured: every kind of case a property check knows is tried in every run.

A property check draws its data from the run's seed, but never whether a kind of case (a
breakage a receiver must reject, a message type it must accept) is tried: each kind runs in
both wire forms, whatever the seed, so a system that mishandles one kind is caught in every run.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import Phase, find, settings
from hypothesis import strategies as st
from ics_interop.conformance import RunOptions, RunResult, State, parse_target, run_suite
from ics_interop.conformance.capture import Capture
from ics_interop.conformance.context import CheckContext
from ics_interop.conformance.generation import breakage_kinds, valid_kinds
from ics_interop.conformance.reference_adapters import REFERENCE_CONTACTPOINT, REFERENCE_ECAF, REFERENCE_ICS
from ics_interop.conformance.scenarios import Cast

from ics_interop import Message, to_xml
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
        # The first example is enough (shrinking a whole episode only costs time).
        rule, message = find(
            strategy, lambda _: True, settings=settings(database=None, max_examples=5, phases=[Phase.generate])
        )
        assert rule, name
        assert message.header.recipient.system == identity.system or rule == "ENV-001" or "addressed" in name


def test_the_method_page_lists_every_automated_requirement_and_is_current() -> None:
    from ics_interop.conformance.method import with_table

    page = Path(__file__).resolve().parent.parent / "docs" / "guides" / "method.md"
    text = page.read_text("utf-8")
    assert with_table(text) == text, "docs/guides/method.md is out of date: regenerate it with method.with_table"


def _folder(tmp_path: Path, messages: list[Message]) -> RunResult:
    for i, message in enumerate(messages):
        (tmp_path / f"{i:02d}.xml").write_bytes(to_xml(message))
    return run_suite("feed-source", parse_target(str(tmp_path)), options=RunOptions(seed=1))


def test_a_folder_whose_involvement_ends_under_another_id_fails(tmp_path: Path) -> None:
    cast = Cast()
    child = cast.child()
    involvement = cast.involvement()
    end = cast.involvement_ended(child, involvement.model_copy(update={"involvement_id": "INV-REKEYED-1"}), cast.today)
    result = _folder(tmp_path, [cast.involvement_started(child, involvement), end])
    assert result.result("FEED-R03").state is State.FAIL
    assert "never started" in result.result("FEED-R03").reason


def test_a_folder_that_cannot_show_a_case_note_says_so_instead_of_passing(tmp_path: Path) -> None:
    cast = Cast()
    child = cast.child()
    result = _folder(tmp_path, [cast.involvement_started(child, cast.involvement())])
    requirement = result.result("FEED-R02")
    assert requirement.state is State.SKIPPED
    assert "cannot be checked from files" in requirement.reason
