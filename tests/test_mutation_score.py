"""The mutation-score benchmark's own arithmetic and its triage of equivalent mutants.

The score itself is measured by `benchmarks/mutation_score.py` (cosmic-ray, minutes per system),
not here; these tests keep what the score rests on honest: the interval it prints, and the list
of survivors it calls equivalent, which must still describe code that exists.
"""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
TRIAGE = ROOT / "benchmarks" / "mutation_triage.toml"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_score", ROOT / "benchmarks" / "mutation_score.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("mutation_score", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("killed", "judged", "low", "high"),
    [(54, 60, 0.799, 0.953), (47, 59, 0.677, 0.880), (60, 60, 0.940, 1.0), (0, 10, 0.0, 0.278)],
)
def test_the_interval_is_wilson_s(killed: int, judged: int, low: float, high: float) -> None:
    got_low, got_high = _script().wilson_interval(killed, judged)
    assert got_low == pytest.approx(low, abs=0.002)
    assert got_high == pytest.approx(high, abs=0.002)


def test_a_larger_sample_narrows_the_interval_around_the_score() -> None:
    wilson = _script().wilson_interval
    small, large = wilson(54, 60), wilson(540, 600)
    assert small[0] < large[0] < 0.9 < large[1] < small[1]


def test_no_sample_says_nothing() -> None:
    assert _script().wilson_interval(0, 0) == (0.0, 1.0)


def _entries() -> list[dict[str, str]]:
    return list(tomllib.loads(TRIAGE.read_text("utf-8"))["equivalent"])


def test_every_equivalent_mutant_is_of_code_that_exists() -> None:
    """A triage entry whose line has gone would hide nothing today, but would mislead a reader."""
    stale = []
    for entry in _entries():
        path = ROOT / entry["file"]
        lines = {line.strip() for line in path.read_text("utf-8").splitlines()} if path.exists() else set()
        if entry["before"] not in lines:
            stale.append(f"{entry['file']}: {entry['before']}")
    assert not stale, "triage entries for code that no longer exists:\n" + "\n".join(stale)


def test_every_equivalent_mutant_says_why() -> None:
    for entry in _entries():
        assert entry["before"] != entry["after"], entry
        assert len(entry["why"].split()) >= 4, f"{entry['file']}: give the reason, not a word: {entry['why']!r}"


def test_a_known_equivalent_is_recognised_and_a_new_survivor_is_not() -> None:
    script = _script()
    entry = _entries()[0]
    diff = f"--- a/{entry['file']}\n+++ b/{entry['file']}\n@@\n-    {entry['before']}\n+    {entry['after']}\n"
    assert script._equivalent(diff, _entries()) == entry["why"]
    other = diff.replace(entry["after"], entry["after"] + "  # and something else")
    assert script._equivalent(other, _entries()) is None
