"""The real-world data some tests check against: the anchors.

The Department for Education's Children in Need census schemas and samples, its list of local
authority codes, and the rule lists of two peer validators (liia-tools, csc-validator-be). They
are other people's publications, so they are not copied into this repository: the project keeps
them in one shared folder, with a SOURCES.md that says where each came from. `ICS_INTEROP_ANCHORS`
names that folder; without it, the tests look for it beside the checkout (`shared/anchors`).

A test that needs them skips where they are missing, saying what it needs and how to give it;
when ICS_INTEROP_ANCHORS is set, a missing anchor fails the test instead (the folder named is wrong).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["ANCHORS", "MISSING", "needs_anchor", "needs_anchors"]

ANCHORS = Path(os.environ.get("ICS_INTEROP_ANCHORS") or Path(__file__).resolve().parents[2] / "shared" / "anchors")

#: What a test says when the anchors are missing: what they are and how to give them.
MISSING = (
    "needs the real-world anchors (the DfE's CIN census schemas and samples, LA codes, peer validators' "
    "rule lists): set ICS_INTEROP_ANCHORS to the folder that holds them"
)


def needs_anchor(path: Path) -> None:
    """Skip the running test when `path` (an anchor) is missing; fail when ICS_INTEROP_ANCHORS named the folder."""
    if path.exists():
        return
    missing = (
        ""
        if path == ANCHORS
        else f" ({path.relative_to(ANCHORS) if path.is_relative_to(ANCHORS) else path} is not there)"
    )
    reason = MISSING + missing
    if os.environ.get("ICS_INTEROP_ANCHORS"):
        pytest.fail(f"ICS_INTEROP_ANCHORS={ANCHORS}: {reason}")
    pytest.skip(reason)


#: Marks a test that reads the anchors: skipped without them (see `needs_anchor`).
needs_anchors = pytest.mark.usefixtures("_anchors_present")
