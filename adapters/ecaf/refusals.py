"""The rules National eCAF refuses with beyond the standard's catalogue: they need its own state.

The catalogue's rules (CAF-001..006 and the rest) are checked on every change by running the
standard's own checks (see `conformity`). What only the holder of the episodes can know — that
an episode exists, that its ID is taken, that it is closed, that a referral was sent — is
checked here, each with a stable ID of its own, so a refusal always names a rule. These are
candidates for the catalogue as `checked_by = "receiver"` rules.
"""

from __future__ import annotations

import attrs

from .errors import ChangeRefused, EcafError, EpisodeConflict, UnknownEpisode, UnknownRecord

__all__ = ["HOUSE_RULES", "HouseRule", "refusal"]


@attrs.frozen
class HouseRule:
    """A rule of National eCAF's own: an ID, what it requires, how to put a refusal right."""

    id: str
    title: str
    hint: str
    kind: type[EcafError] = ChangeRefused


HOUSE_RULES: dict[str, HouseRule] = {
    rule.id: rule
    for rule in (
        HouseRule(
            "NECAF-001",
            "An episode is named by an ID National eCAF holds",
            "Check the episode ID; an episode held elsewhere must first be transferred (EpisodeTransfer).",
            UnknownEpisode,
        ),
        HouseRule(
            "NECAF-002",
            "An episode ID names one episode, from one source",
            "Do not reuse an episode ID: an episode held here is changed through National eCAF, not replaced; "
            "if it truly is the same episode, transfer it out of the system that holds it first.",
            EpisodeConflict,
        ),
        HouseRule(
            "NECAF-003",
            "A closed episode is not changed, except its consent ledger",
            "Re-open the episode first (a step-down from social care re-opens it), or start a new episode.",
        ),
        HouseRule(
            "NECAF-004",
            "A response answers a referral National eCAF sent, for the same episode",
            "Answer with the referralId and episodeId of the SocialCareReferral received.",
        ),
        HouseRule(
            "NECAF-005",
            "A practitioner is a current member of the TAC once",
            "The practitioner is a member already; nothing needs adding.",
        ),
        HouseRule(
            "NECAF-006",
            "Only an episode with an assessment has content to offer",
            "Record the common assessment on the episode before offering it to an initial assessment.",
        ),
        HouseRule(
            "NECAF-007",
            "A change to an action names one of the episode's actions",
            "Use an actionId listed in the episode's actions.",
        ),
        HouseRule(
            "NECAF-008",
            "A transfer names the authority the episode leaves",
            "Give fromLa: the DfE code of the authority the child moved from.",
        ),
        HouseRule(
            "NECAF-009",
            "A change applies to the episode as it was read",
            "Someone else changed the episode at the same moment: read it again and repeat the change.",
            EpisodeConflict,
        ),
        HouseRule(
            "NECAF-010",
            "A message about an episode is about the episode's child",
            "Send the episode ID of this child's CAF, or correct the child's identifiers.",
        ),
        HouseRule(
            "NECAF-011",
            "A migration report names a batch imported here",
            "Use the batchId of a batch's manifest that was sent to POST /migrations or POST /messages.",
            UnknownRecord,
        ),
        HouseRule(
            "NECAF-012",
            "The nightly run is as of National eCAF's own clock",
            "Leave asOf out; only a National eCAF started with its test clock (serve --test-clock, for "
            "accreditation runs only) runs its maintenance as of another day.",
        ),
    )
}


def refusal(rule_id: str, message: str, *, where: str = "") -> EcafError:
    """The exception for a failure of one of National eCAF's own rules."""
    rule = HOUSE_RULES[rule_id]
    return rule.kind(rule_id, f"{rule.title}: {message}", where=where, hint=rule.hint)
