"""Why the ICS system refuses a change: its own rules, and the exceptions that carry them.

::

    ServiceError (adapters.errors; an IcsInteropError, so a ValueError)
    ├── ChangeRefused            a change was refused; nothing was stored (HTTP 422)
    │   ├── RecordNotFound       the case, record, draft, referral or episode does not exist (NotFound; 404)
    │   ├── StateConflict        the change does not fit the record's state: a closed case, a confirmed draft (409)
    │   └── AccessRefused        the user does not work for this authority (Forbidden; 403)

Every refusal names a rule (`rule_id`), where the problem is (`where`, a JSON-style path in
the request), what is wrong (`message`) and how to fix it (`hint`). The rules of the standard's
catalogue (DATE-001, STEP-001, CAF-006, ...) are reported with their catalogue IDs; the rules
below are this system's own, about the state of its case records, which no message-level
check can see.
"""

from __future__ import annotations

import attrs

from ics_interop import Finding

from ..errors import Conflict, Forbidden, NotFound, ServiceError

__all__ = [
    "ICS_RULES",
    "AccessRefused",
    "ChangeRefused",
    "IcsRule",
    "RecordNotFound",
    "StateConflict",
    "refusal",
    "refusal_from",
]


@attrs.frozen
class IcsRule:
    """One of the ICS system's own rules: what it requires, how to put a refusal right, and its HTTP status."""

    id: str
    title: str
    hint: str
    status: int = 422


#: The ICS system's own rules, by ID. IDs are stable; a withdrawn ID is not reused.
ICS_RULES: dict[str, IcsRule] = {
    rule.id: rule
    for rule in (
        IcsRule("ICS-001", "The case exists", "Check the case ID (GET /cases lists the cases).", 404),
        IcsRule(
            "ICS-002",
            "A closed case takes no new records",
            "Open a new case for a new referral; only manual chronology entries may be added to a closed case.",
            409,
        ),
        IcsRule(
            "ICS-003",
            "A record's ID is unique within its case",
            "Leave the ID out to have the system assign one, or use an ID not yet used in this case.",
            409,
        ),
        IcsRule("ICS-004", "A record's dates are not in the future", "Record an event once it has happened."),
        IcsRule(
            "ICS-005",
            "A record's dates are not before the child was born",
            "Correct the date, or the child's date of birth.",
        ),
        IcsRule(
            "ICS-006",
            "A child protection plan names its category of abuse, and only it does",
            "Set abuseCategory on a child protection plan ('cp'); leave it out of any other plan.",
        ),
        IcsRule(
            "ICS-007",
            "A plan named by a review or an end is a plan of the case",
            "Record the plan first, or name one of the case's plans (GET /cases/{caseId}).",
            404,
        ),
        IcsRule(
            "ICS-008",
            "Every plan has ended before the case closes",
            "End each open plan (POST /cases/{caseId}/plans/{planId}/end) on or before the closure date.",
            409,
        ),
        IcsRule(
            "ICS-009",
            "A draft initial assessment is confirmed once",
            "Edit or confirm a draft that is still a draft; a confirmed assessment is part of the case record.",
            409,
        ),
        IcsRule(
            "ICS-010",
            "Assessments and plans follow a referral",
            "Record the referral first (POST /cases/{caseId}/referrals).",
            409,
        ),
        IcsRule(
            "ICS-011",
            "A referral from a CAF is answered once it is decided",
            "Answer with 'pending' until the decision is made; a final decision cannot be changed here.",
            409,
        ),
        IcsRule(
            "ICS-012",
            "Stepping down follows the end of social care's involvement",
            "Close the case first (its closure date is the date social care's involvement ended), then step down.",
            409,
        ),
        IcsRule(
            "ICS-013",
            "A case record moves to another authority's system",
            "Name the receiving authority's ICS system and its LA code; configure this system's own LA code "
            "(IcsSettings.la_code) if it cannot be read from its organisation ID.",
        ),
        IcsRule(
            "ICS-014",
            "A local CAF episode is exported once",
            "The episode has already left this local eCAF module (transferred or migrated); there is nothing to send.",
            409,
        ),
        IcsRule(
            "ICS-015",
            "A local CAF episode's ID is unique",
            "Give the new episode an ID not yet used in this local eCAF module, or leave it to the system.",
            409,
        ),
        IcsRule(
            "ICS-016",
            "A migration batch holds at least one episode with consent to store",
            "Capture the child's (or parent's) consent to store and share for the episodes to migrate "
            "(POST /local-ecaf/episodes/{episodeId}/consents), then export the batch.",
            409,
        ),
        IcsRule(
            "ICS-017",
            "CAF content is offered for a child with an open case",
            "Send the SocialCareReferral (F4) first, or have a practitioner open a case for the child.",
            409,
        ),
        IcsRule(
            "ICS-018",
            "A message is addressed to this system",
            "Address the message to this authority's ICS system (its organisation ID and LA code).",
        ),
        IcsRule("ICS-019", "The record exists", "Check the ID (GET /cases/{caseId} shows the case's records).", 404),
        IcsRule(
            "ICS-020",
            "A plan ends once",
            "The plan has already ended; record a new plan if another one starts.",
            409,
        ),
        IcsRule(
            "ICS-021",
            "A migration batch's ID is used once",
            "Give the new batch an ID not used before.",
            409,
        ),
        IcsRule(
            "ICS-022",
            "The request is well formed",
            "Send the fields the route's schema asks for (see /docs or /openapi.json), with values of the right form.",
        ),
        IcsRule(
            "ICS-024",
            "A user of the system works for its authority",
            "Use a token from this authority's own organisation: an ICS serves its own staff only.",
            403,
        ),
        IcsRule(
            "ICS-023",
            "A consent record's ID is unique within its episode",
            "Give the consent record an ID not yet used in the episode's consent ledger.",
            409,
        ),
    )
}


class ChangeRefused(ServiceError):
    """Raised when the ICS system refuses a change because a rule fails; nothing of the change was stored."""


class RecordNotFound(ChangeRefused, NotFound):
    """Raised when a case, record, draft, CAF referral or local episode named by a call does not exist."""


class StateConflict(ChangeRefused, Conflict):
    """Raised when a change does not fit the state of the record it touches (a closed case, a confirmed draft)."""


class AccessRefused(ChangeRefused, Forbidden):
    """Raised when the user acting does not work for the authority whose system this is."""


def refusal(rule_id: str, detail: str, *, where: str = "") -> ChangeRefused:
    """The exception for a failure of one of the system's own rules (`ICS_RULES`)."""
    rule = ICS_RULES[rule_id]
    kinds: dict[int, type[ChangeRefused]] = {403: AccessRefused, 404: RecordNotFound, 409: StateConflict}
    cls = kinds.get(rule.status, ChangeRefused)
    return cls(rule_id, f"{rule.title}: {detail}", where=where, hint=rule.hint)


def refusal_from(finding: Finding) -> ChangeRefused:
    """The exception for a finding of the standard's rule catalogue (on a record, or a message about to be sent)."""
    return ChangeRefused(finding.rule_id, finding.message, where=finding.path, hint=finding.hint)
