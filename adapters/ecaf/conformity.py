"""Checking a change against the standard before it is stored, with the standard's own checks.

The catalogue's CAF rules (CAF-001 lead professional in the TAC, CAF-002 sharing under consent,
CAF-003/004 closure reason and date, CAF-005 action owners, CAF-006 consent to store) are
checked by the core on messages that carry an episode. National eCAF does not restate them:
it puts the changed episode in a message that carries it (a one-episode `MigrationBatch`
addressed to itself, the message whose rules are exactly the episode's) and runs the core
rules, keeping the findings about the episode. So the reference system and a vendor's
message are judged by the same code, and a change that would make an episode the standard
rejects is refused before anything is stored.
"""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import ValidationError

from ics_interop import Finding, Message, MessageType, Severity, SystemRef, run_rules, validate_message
from ics_interop.messages import SCHEMA_VERSION, BatchManifest, Envelope, MigrationBatch
from ics_interop.model import CafEpisode
from ics_interop.model.codes import ConsentDecision, SystemKind

from .errors import ChangeRefused, ConsentRefused, InvalidInput

__all__ = [
    "CARRIER_RULE_PREFIXES",
    "consent_refusal",
    "episode_findings",
    "has_consent_to_store",
    "require_conforming",
    "require_valid_message",
]

#: Rules about the carrying message, not the episode: they say nothing about a change.
CARRIER_RULE_PREFIXES = ("ENV-", "MIG-")

_CARRIER_PATH = "episodes[0]"


def episode_findings(
    episode: CafEpisode, identity: SystemRef, now: dt.datetime, *, path: str = "episode"
) -> list[Finding]:
    """The standard's findings about one episode, as of `now`, with paths under `path`."""
    recipient = SystemRef(system=SystemKind.NATIONAL_ECAF, organisation_id=identity.organisation_id)
    carrier = MigrationBatch(
        header=Envelope(
            message_id=str(uuid.uuid4()),
            message_type=MessageType.MIGRATION_BATCH,
            schema_version=SCHEMA_VERSION,
            sender=identity,
            recipient=recipient,
            created_at=now,
        ),
        manifest=BatchManifest.for_episodes("check", [episode]),
        episodes=[episode],
    )
    findings = []
    for finding in run_rules(carrier):
        if finding.rule_id.startswith(CARRIER_RULE_PREFIXES):
            continue
        where = finding.path.replace(_CARRIER_PATH, path, 1) if finding.path.startswith(_CARRIER_PATH) else finding.path
        findings.append(
            Finding(
                finding.rule_id, finding.severity, finding.message, path=where, hint=finding.hint, source=finding.source
            )
        )
    return findings


def require_conforming(episode: CafEpisode, identity: SystemRef, now: dt.datetime) -> CafEpisode:
    """The episode, checked afresh by its model and by the standard's rules; raise if it breaks either."""
    try:
        # A model_copy skips validation: build the episode again so every constraint is checked.
        checked = CafEpisode.model_validate(episode.model_dump(mode="json", by_alias=True, exclude_none=True))
    except ValidationError as exc:
        raise InvalidInput.from_validation(exc, where="episode") from None
    errors = [f for f in episode_findings(checked, identity, now) if f.severity is Severity.ERROR]
    if errors:
        raise ChangeRefused.from_findings(errors, prefix="the change would break the standard: ")
    return checked


def require_valid_message(message: Message) -> None:
    """Raise `ChangeRefused` if an outgoing message breaks a rule of the standard (warnings pass)."""
    errors = [f for f in validate_message(message) if f.severity is Severity.ERROR]
    if errors:
        raise ChangeRefused.from_findings(errors, prefix=f"the {message.message_type.value} would break the standard: ")


def consent_refusal(
    refused: ChangeRefused, *, episode_id: str, practitioner_id: str | None, organisation_id: str | None, purpose: str
) -> ConsentRefused | None:
    """A CAF-002 failure restated as the consent refusal it is (a PermissionError, audited); None otherwise."""
    consent = [f for f in refused.findings if f.rule_id == "CAF-002"]
    if not consent:
        return None
    return ConsentRefused(
        consent[0].message,
        episode_id=episode_id,
        practitioner_id=practitioner_id,
        organisation_id=organisation_id,
        purpose=purpose,
        where=consent[0].path,
        hint=consent[0].hint,
    )


def has_consent_to_store(episode: CafEpisode) -> bool:
    """Whether the ledger holds a consent given to store and share the CAF (CAF-006, asked of every migrated one)."""
    return any(c.decision is ConsentDecision.GIVEN and c.store_and_share for c in episode.consents)
