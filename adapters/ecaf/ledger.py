"""The consent ledger: who may see an episode, and what withdrawing consent takes away.

Access to a CAF needs the explicit consent of the child or young person, or of a parent or
carer, practitioner by practitioner or for a whole organisation (seed §2.2). The ledger is
read as the standard reads it (`consent_holders`: the latest decision for each practitioner
or organisation counts), so National eCAF and the rule CAF-002 never disagree about who
holds consent.
"""

from __future__ import annotations

from ics_interop.model import CafEpisode, Practitioner
from ics_interop.rules.checks import consent_holders

from .errors import ConsentRefused

__all__ = ["may_access", "require_access", "without_lapsed_shares"]


def may_access(episode: CafEpisode, practitioner_id: str | None, organisation_id: str | None) -> bool:
    """Whether consent given, and not since withdrawn, is on record for the practitioner or their organisation."""
    holders = consent_holders(episode.consents)
    return ("practitioner", practitioner_id) in holders or ("organisation", organisation_id) in holders


def require_access(episode: CafEpisode, practitioner: Practitioner, purpose: str) -> None:
    """Raise `ConsentRefused` unless the practitioner, or their organisation, holds consent."""
    practitioner_id = practitioner.practitioner_id
    organisation_id = practitioner.organisation.organisation_id
    if not may_access(episode, practitioner_id, organisation_id):
        raise ConsentRefused(
            f"no consent is on record for {practitioner_id} or {organisation_id} to {purpose} "
            f"episode {episode.episode_id}",
            episode_id=episode.episode_id,
            practitioner_id=practitioner_id,
            organisation_id=organisation_id,
            purpose=purpose,
        )


def without_lapsed_shares(episode: CafEpisode) -> CafEpisode:
    """The episode shared only with those who still hold consent: withdrawing consent ends the sharing."""
    holders = consent_holders(episode.consents)
    organisations = {
        m.practitioner.practitioner_id: m.practitioner.organisation.organisation_id for m in episode.tac_members
    }
    kept = [
        practitioner_id
        for practitioner_id in episode.shared_with
        if ("practitioner", practitioner_id) in holders
        or ("organisation", organisations.get(practitioner_id)) in holders
    ]
    return episode.model_copy(update={"shared_with": kept})
