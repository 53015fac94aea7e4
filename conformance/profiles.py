"""The profiles a vendor declares: which system it is, what it sends and receives, where the suite can reach it.

A profile names the requirements that bind it (the catalogue's `actors`), the message types
it sends and receives, and the kinds of target that fit it: a feed source has no HTTP binding
to trigger it by, so it runs as a Python adapter or as a folder of what it exported.
"""

from __future__ import annotations

import attrs

from ics_interop.messages import MessageType

from .catalogue import Requirement, requirements
from .registry import TargetKind

__all__ = ["PROFILES", "Profile", "profile"]


@attrs.frozen
class Profile:
    """One profile of the suite."""

    name: str
    title: str
    description: str
    sends: frozenset[MessageType]
    receives: frozenset[MessageType]
    kinds: tuple[TargetKind, ...]

    def requirements(self) -> list[Requirement]:
        """The requirements that bind this profile (not-applicable ones included), in catalogue order."""
        return [r for r in requirements().values() if r.binds(self.name)]


_M = MessageType

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "contactpoint",
            "ContactPoint",
            "The national directory of children: fed one way by local systems (F1–F3), searched by practitioners.",
            sends=frozenset({_M.ACKNOWLEDGEMENT}),
            receives=frozenset(
                {_M.CHILD_IDENTITY_UPDATE, _M.INVOLVEMENT_STARTED, _M.INVOLVEMENT_ENDED, _M.CAF_INDICATOR_UPDATE}
            ),
            kinds=("http", "adapter", "folder"),
        ),
        Profile(
            "ecaf",
            "National eCAF",
            "The national store of CAF episodes (or a local eCAF acting as one): consent, the TAC, F3–F8.",
            sends=frozenset(
                {
                    _M.CAF_INDICATOR_UPDATE,
                    _M.SOCIAL_CARE_REFERRAL,
                    _M.INITIAL_ASSESSMENT_PREPOPULATION,
                    _M.EPISODE_TRANSFER,
                    _M.ACKNOWLEDGEMENT,
                }
            ),
            receives=frozenset(
                {_M.SOCIAL_CARE_REFERRAL_RESPONSE, _M.STEP_DOWN, _M.EPISODE_TRANSFER, _M.MIGRATION_BATCH}
            ),
            kinds=("http", "adapter", "folder"),
        ),
        Profile(
            "ics",
            "ICS system",
            "A local authority's case-management system, with its local eCAF module if it has one: F2, F3, F4–F9.",
            sends=frozenset(
                {
                    _M.CHILD_IDENTITY_UPDATE,
                    _M.CAF_INDICATOR_UPDATE,  # from its local eCAF module (seed §5.3)
                    _M.INVOLVEMENT_STARTED,
                    _M.INVOLVEMENT_ENDED,
                    _M.SOCIAL_CARE_REFERRAL_RESPONSE,
                    _M.STEP_DOWN,
                    _M.EPISODE_TRANSFER,
                    _M.MIGRATION_BATCH,
                    _M.CASE_RECORD_TRANSFER,
                    _M.ACKNOWLEDGEMENT,
                }
            ),
            receives=frozenset({_M.SOCIAL_CARE_REFERRAL, _M.INITIAL_ASSESSMENT_PREPOPULATION, _M.CASE_RECORD_TRANSFER}),
            kinds=("http", "adapter", "folder"),
        ),
        Profile(
            "feed-source",
            "Feed source",
            "Any local system feeding ContactPoint (a school's MIS, health, Connexions, a youth offending team): F1.",
            sends=frozenset({_M.CHILD_IDENTITY_UPDATE, _M.INVOLVEMENT_STARTED, _M.INVOLVEMENT_ENDED}),
            receives=frozenset(),
            kinds=("adapter", "folder"),
        ),
    )
}


def profile(name: str) -> Profile:
    """The profile called `name`; a ValueError naming the profiles otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}: choose one of {', '.join(PROFILES)}") from None
