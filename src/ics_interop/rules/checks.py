"""The checks of the business rules, one function per catalogue rule.

Each check receives a decoded message and its `MessageIndex` (one walk, shared by every
rule) and yields a `Violation` (a path in JSON member names, and what is wrong there) for
every place the message breaks its rule. Checks that are about a kind of value wherever it
appears (identifiers, children, start and end dates) read the index, so a new message type
is covered at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import cache
from typing import Any

from ..messages import (
    Acknowledgement,
    AcknowledgementStatus,
    CaseRecordTransfer,
    EpisodeTransfer,
    InitialAssessmentPrepopulation,
    InvolvementStarted,
    Message,
    MessageType,
    MigrationBatch,
    SocialCareReferral,
    SocialCareReferralResponse,
    StepUpDecision,
    episodes_checksum,
)
from ..model._base import IcsModel
from ..model.caf import CafEpisode, ConsentRecord, TacMember
from ..model.codes import CafStatus, ConsentDecision, SystemKind
from ..model.identifiers import (
    is_known_la_code,
    is_valid_contactpoint_id,
    is_valid_nhs_number,
    is_valid_upn,
)
from ..model.people import Child
from ..shape import format_path, shape_of
from .engine import Violation, check
from .index import MessageIndex, Parts

__all__ = ["DIRECTORY_MESSAGE_TYPES", "consent_holders"]

#: The message types ContactPoint may receive: the only ones with no place for case information.
DIRECTORY_MESSAGE_TYPES = frozenset(
    {
        MessageType.CHILD_IDENTITY_UPDATE,
        MessageType.INVOLVEMENT_STARTED,
        MessageType.INVOLVEMENT_ENDED,
        MessageType.CAF_INDICATOR_UPDATE,
        MessageType.ACKNOWLEDGEMENT,
    }
)


def _values(index: MessageIndex, type_name: str) -> list[tuple[Parts, Any]]:
    # Locations stay tuples; a check formats one only when it reports a violation there.
    return index.of_type(type_name)


def _episodes(message: Message) -> Iterator[tuple[str, CafEpisode]]:
    if isinstance(message, SocialCareReferral | EpisodeTransfer):
        yield "episode", message.episode
    elif isinstance(message, MigrationBatch):
        for i, episode in enumerate(message.episodes):
            yield f"episodes[{i}]", episode


# --- envelope and acknowledgements -----------------------------------------------------------


@check("ENV-001")
def _recipient_may_receive(message: Message, index: MessageIndex) -> Iterator[Violation]:
    recipient = message.header.recipient.system
    if recipient not in message.recipients:
        allowed = ", ".join(sorted(k.value for k in message.recipients))
        yield Violation(
            "header.recipient.system",
            f"a {message.message_type.value} may be sent to {allowed}, not to {recipient.value}",
        )


@check("ENV-002")
def _reply_correlates(message: Message, index: MessageIndex) -> Iterator[Violation]:
    assert isinstance(message, Acknowledgement)
    if message.header.correlation_id != message.acknowledged_message_id:
        yield Violation(
            "header.correlationId",
            f"correlationId is {message.header.correlation_id!r} but acknowledgedMessageId is "
            f"{message.acknowledged_message_id!r}",
        )


@check("ACK-001")
def _ack_status_agrees(message: Message, index: MessageIndex) -> Iterator[Violation]:
    assert isinstance(message, Acknowledgement)
    errors = [f for f in message.findings if f.severity == "error"]
    if message.status is AcknowledgementStatus.REJECTED and not errors:
        yield Violation("findings", "the message is rejected but no error finding says why")
    if message.status is AcknowledgementStatus.ACCEPTED and errors:
        yield Violation("status", f"the message is accepted but {len(errors)} error finding(s) are reported")


# --- ContactPoint ----------------------------------------------------------------------------


@check("CP-001")
def _directory_gets_no_case_information(message: Message, index: MessageIndex) -> Iterator[Violation]:
    if (
        message.header.recipient.system is SystemKind.CONTACTPOINT
        and message.message_type not in DIRECTORY_MESSAGE_TYPES
    ):
        yield Violation(
            "header.messageType",
            f"a {message.message_type.value} carries case information and may not be sent to ContactPoint",
        )


_CASE_WORDS = re.compile(
    r"\b(abuse[ds]?|neglect(ed)?|assault(ed)?|allegations?|diagnos\w*|self[- ]harm\w*|overdose\w*|"
    r"suicid\w*|pregnan\w*|convict\w*|offen[cs]es?|arrest(ed)?|case notes?|exam results?|"
    r"disclos\w*|injur\w*|bruis\w*|domestic violence|eating disorder|depress\w*|addict\w*)\b",
    re.IGNORECASE,
)
#: The start of every word _CASE_WORDS matches: a cheap first look before the regular expression.
_CASE_STEMS = (
    "abuse", "neglect", "assault", "allegation", "diagnos", "self", "overdose", "suicid", "pregnan",
    "convict", "offen", "arrest", "case note", "exam result", "disclos", "injur", "bruis", "domestic",
    "eating", "depress", "addict",
)  # fmt: skip


@check("CP-002")
def _directory_text_is_not_case_text(message: Message, index: MessageIndex) -> Iterator[Violation]:
    texts = [*index.of_type("ShortText"), *index.of_type("Text")]
    # One look over all the text first: nearly every message has no hit, and then we are done.
    joined = "\n".join([value for _, value in texts]).lower()
    if not any(stem in joined for stem in _CASE_STEMS) or _CASE_WORDS.search(joined) is None:
        return
    for parts, value in texts:
        match = _CASE_WORDS.search(value)
        if match:
            yield Violation(
                format_path(parts), f"{match.group(0)!r} in {value[:60]!r} describes the child's circumstances"
            )


# --- children --------------------------------------------------------------------------------


def _eighteenth_birthday(born: date) -> date:
    try:
        return born.replace(year=born.year + 18)
    except ValueError:  # born on 29 February: the birthday falls on 1 March
        return date(born.year + 18, 3, 1)


@check("CHILD-001")
def _child_under_18(message: Message, index: MessageIndex) -> Iterator[Violation]:
    on = message.effective_date
    for parts, child in index.of_class(Child):
        path = format_path(parts)
        if child.date_of_birth is not None and _eighteenth_birthday(child.date_of_birth) <= on:
            yield Violation(
                f"{path}.dateOfBirth",
                f"born {child.date_of_birth.isoformat()}, the child is 18 or over on {on.isoformat()}",
            )


@check("CHILD-002")
def _born_in_the_past(message: Message, index: MessageIndex) -> Iterator[Violation]:
    on = message.effective_date
    for parts, child in index.of_class(Child):
        path = format_path(parts)
        if child.date_of_birth is not None and child.date_of_birth > on:
            yield Violation(
                f"{path}.dateOfBirth",
                f"{child.date_of_birth.isoformat()} is after the message's date {on.isoformat()}",
            )


# --- dates -----------------------------------------------------------------------------------

#: (start field, end field) pairs, wherever a model has both.
_PERIODS = (
    ("start_date", "end_date"),
    ("joined_on", "left_on"),
    ("opened_on", "closed_on"),
    ("started_on", "completed_on"),
)


@cache
def _periods_of(cls: type[IcsModel]) -> tuple[tuple[str, str, str], ...]:
    names = {s.name: s.json for s in shape_of(cls)}
    return tuple((start, end, names[end]) for start, end in _PERIODS if start in names and end in names)


@check("DATE-001")
def _ends_after_starts(message: Message, index: MessageIndex) -> Iterator[Violation]:
    for parts, model in index.models:
        for start_name, end_name, end_json in _periods_of(type(model)):
            start, end = getattr(model, start_name), getattr(model, end_name)
            if start is not None and end is not None and end < start:
                yield Violation(
                    format_path((*parts, end_json)), f"{end.isoformat()} is before the start {start.isoformat()}"
                )


# --- involvements ----------------------------------------------------------------------------


@check("INV-001")
def _sensitive_service_has_basis(message: Message, index: MessageIndex) -> Iterator[Violation]:
    assert isinstance(message, InvolvementStarted)
    involvement = message.involvement
    if involvement.service.sensitive is not None and involvement.sensitive_basis is None:
        yield Violation(
            "involvement.sensitiveBasis",
            f"the service is a {involvement.service.sensitive.label.lower()} service and no basis is given",
        )


# --- CAF episodes ----------------------------------------------------------------------------


def _current_members(episode: CafEpisode) -> dict[str, TacMember]:
    return {m.practitioner.practitioner_id: m for m in episode.tac_members if m.left_on is None}


def consent_holders(consents: list[ConsentRecord]) -> set[tuple[str, str]]:
    """('practitioner' or 'organisation', ID) pairs whose latest consent decision is 'given'."""
    latest: dict[tuple[str, str], ConsentRecord] = {}
    for record in sorted(consents, key=lambda c: c.recorded_on):  # stable: same-day order is ledger order
        if record.practitioner_id is not None:
            latest["practitioner", record.practitioner_id] = record
        elif record.organisation_id is not None:
            latest["organisation", record.organisation_id] = record
    return {key for key, record in latest.items() if record.decision is ConsentDecision.GIVEN}


@check("CAF-001")
def _lead_in_tac(message: Message, index: MessageIndex) -> Iterator[Violation]:
    for path, episode in _episodes(message):
        lead = episode.lead_professional
        if lead is None:
            continue
        # An open episode's lead is a current member; a closed episode keeps the lead it had at closure.
        members = (
            _current_members(episode)
            if episode.status is CafStatus.OPEN
            else {m.practitioner.practitioner_id: m for m in episode.tac_members}
        )
        if lead.practitioner_id not in members:
            which = "a current" if episode.status is CafStatus.OPEN else "a"
            yield Violation(
                f"{path}.leadProfessional.practitionerId",
                f"{lead.practitioner_id} is not {which} member of the TAC",
            )


def _organisation_of(episode: CafEpisode, practitioner_id: str) -> str | None:
    for member in episode.tac_members:
        if member.practitioner.practitioner_id == practitioner_id:
            organisation: str = member.practitioner.organisation.organisation_id
            return organisation
    return None


@check("CAF-002")
def _shared_with_consent(message: Message, index: MessageIndex) -> Iterator[Violation]:
    for path, episode in _episodes(message):
        holders = consent_holders(episode.consents)
        for i, practitioner_id in enumerate(episode.shared_with):
            organisation = _organisation_of(episode, practitioner_id)
            if ("practitioner", practitioner_id) not in holders and ("organisation", organisation) not in holders:
                yield Violation(
                    f"{path}.sharedWith[{i}]",
                    f"no consent is on record for {practitioner_id}" + (f" or {organisation}" if organisation else ""),
                )
    recipient = message.header.recipient.organisation_id
    if isinstance(message, SocialCareReferral):
        if ("organisation", recipient) not in consent_holders(message.episode.consents):
            yield Violation(
                "episode.consents",
                f"the CAF is sent to {recipient} but no consent is on record for that organisation",
            )
    elif isinstance(message, InitialAssessmentPrepopulation):
        holders = consent_holders(message.consents)
        requester = message.requested_by.practitioner_id
        if ("organisation", recipient) not in holders and ("practitioner", requester) not in holders:
            yield Violation(
                "consents",
                f"the CAF is shared with {requester} of {recipient} but no consent is on record for either",
            )


@check("CAF-003")
def _closed_has_reason(message: Message, index: MessageIndex) -> Iterator[Violation]:
    for path, episode in _episodes(message):
        if episode.status is CafStatus.CLOSED and episode.closure_reason is None:
            yield Violation(f"{path}.closureReason", "the episode is closed and gives no reason")


@check("CAF-004")
def _reason_has_date(message: Message, index: MessageIndex) -> Iterator[Violation]:
    for path, episode in _episodes(message):
        if episode.closure_reason is not None and episode.closed_on is None:
            yield Violation(f"{path}.closedOn", f"closure reason {episode.closure_reason.value!r} but no closure date")
        if episode.closure_reason is not None and episode.status is not CafStatus.CLOSED:
            yield Violation(
                f"{path}.status", f"closure reason {episode.closure_reason.value!r} but the episode is open"
            )


@check("CAF-005")
def _actions_owned_by_members(message: Message, index: MessageIndex) -> Iterator[Violation]:
    for path, episode in _episodes(message):
        members = {m.practitioner.practitioner_id for m in episode.tac_members}
        for i, action in enumerate(episode.actions):
            if action.owner_id not in members:
                yield Violation(f"{path}.actions[{i}].ownerId", f"{action.owner_id} is not a member of the TAC")


@check("CAF-006")
def _stored_with_consent(message: Message, index: MessageIndex) -> Iterator[Violation]:
    for path, episode in _episodes(message):
        if episode.assessment is None:
            continue
        stored = [c for c in episode.consents if c.decision is ConsentDecision.GIVEN and c.store_and_share]
        if not stored:
            yield Violation(f"{path}.consents", "the episode holds an assessment but no consent to store and share it")


# --- stepping up -----------------------------------------------------------------------------


@check("STEP-001")
def _social_care_joins(message: Message, index: MessageIndex) -> Iterator[Violation]:
    assert isinstance(message, SocialCareReferralResponse)
    if message.decision is not StepUpDecision.NOT_ACCEPTED and message.joining_member is None:
        yield Violation(
            "joiningMember", f"decision {message.decision.value!r} but nobody from social care joins the TAC"
        )


# --- migration batches -----------------------------------------------------------------------


@check("MIG-001")
def _episode_count(message: Message, index: MessageIndex) -> Iterator[Violation]:
    assert isinstance(message, MigrationBatch)
    if message.manifest.episode_count != len(message.episodes):
        yield Violation(
            "manifest.episodeCount",
            f"the manifest says {message.manifest.episode_count} episodes, the batch holds {len(message.episodes)}",
        )


@check("MIG-002")
def _consent_count(message: Message, index: MessageIndex) -> Iterator[Violation]:
    assert isinstance(message, MigrationBatch)
    held = sum(len(e.consents) for e in message.episodes)
    if message.manifest.consent_count != held:
        yield Violation(
            "manifest.consentCount",
            f"the manifest says {message.manifest.consent_count} consent records, the batch holds {held}",
        )


@check("MIG-003")
def _checksum(message: Message, index: MessageIndex) -> Iterator[Violation]:
    assert isinstance(message, MigrationBatch)
    actual = episodes_checksum(message.episodes)
    if message.manifest.checksum != actual:
        yield Violation("manifest.checksum", f"the episodes' checksum is {actual}")


@check("MIG-004")
def _unique_episodes(message: Message, index: MessageIndex) -> Iterator[Violation]:
    assert isinstance(message, MigrationBatch)
    seen: dict[str, int] = {}
    for i, episode in enumerate(message.episodes):
        if episode.episode_id in seen:
            yield Violation(
                f"episodes[{i}].episodeId",
                f"{episode.episode_id} is also the ID of episodes[{seen[episode.episode_id]}]",
            )
        else:
            seen[episode.episode_id] = i


# --- transfers -------------------------------------------------------------------------------


@check("XFER-001")
def _between_two_authorities(message: Message, index: MessageIndex) -> Iterator[Violation]:
    assert isinstance(message, EpisodeTransfer | CaseRecordTransfer)
    if message.from_la == message.to_la:
        yield Violation("toLa", f"the sending and receiving authority are both {message.to_la}")


# --- identifiers -----------------------------------------------------------------------------


@check("ID-001")
def _nhs_numbers(message: Message, index: MessageIndex) -> Iterator[Violation]:
    for parts, value in _values(index, "NhsNumber"):
        if not is_valid_nhs_number(value):
            yield Violation(format_path(parts), f"{value} fails the modulus-11 check")


@check("ID-002")
def _upns(message: Message, index: MessageIndex) -> Iterator[Violation]:
    for parts, value in _values(index, "Upn"):
        if not is_valid_upn(value):
            yield Violation(format_path(parts), f"{value} does not start with its check letter")


@check("ID-003")
def _la_codes(message: Message, index: MessageIndex) -> Iterator[Violation]:
    for parts, value in _values(index, "LaCode"):
        if not is_known_la_code(value):
            yield Violation(format_path(parts), f"{value} is not a DfE local authority code")
    for parts, value in _values(index, "Upn"):
        if not is_known_la_code(value[1:4]):
            yield Violation(
                format_path(parts), f"characters 2-4 of {value} ({value[1:4]}) are not a DfE local authority code"
            )


@check("ID-004")
def _contactpoint_ids(message: Message, index: MessageIndex) -> Iterator[Violation]:
    for parts, value in _values(index, "ContactPointId"):
        if not is_valid_contactpoint_id(value):
            yield Violation(format_path(parts), f"{value} fails the Luhn check")
