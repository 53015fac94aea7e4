"""Static conformance: what a system sent, read after the fact, against the schemas and the rules.

For a folder target these checks are the run: they read every file the vendor's system
exported. For a live target they run last, over everything the system sent during the run
(what the suite's receiver got, and the acknowledgements the system answered with), so the
same tests judge both.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from ics_interop import Message, Severity, to_json, validate_bytes
from ics_interop.codecs import BATCH_ELEMENT, NAMESPACE, element_to_message, from_json_data, parse_xml
from ics_interop.messages import (
    CaseRecordTransfer,
    EpisodeTransfer,
    InvolvementEnded,
    InvolvementStarted,
    MigrationBatch,
    SocialCareReferral,
    StepDown,
)
from ics_interop.model import Child
from ics_interop.model.codes import ConsentDecision, SystemKind
from ics_interop.rules import run_rules
from ics_interop.rules.checks import consent_holders

from .context import CheckContext
from .profiles import PROFILES
from .registry import TargetKind, check

__all__ = ["corpus", "decode_all"]

ALL = ("contactpoint", "ecaf", "ics", "feed-source")
KINDS: tuple[TargetKind, ...] = ("http", "adapter", "folder")
_LIVE = "checked on a live system with a planted case note or by following the flow; this reading is for folders"
_FOLDER_ONLY = {"http": _LIVE, "adapter": _LIVE}


def corpus(ctx: CheckContext) -> list[tuple[str, bytes]]:
    """What the system sent: the folder's files, or what the suite received and the answers the system gave."""
    if ctx.kind == "folder":
        return list(ctx.folder_messages)
    sent = [(c.file_name, c.body) for c in ctx.capture.messages() if not c.refused_as_down]
    answers = [
        (f"reply-{i:04d}.{'json' if 'json' in kind else 'xml'}", body) for i, (kind, body) in enumerate(ctx.replies, 1)
    ]
    return sent + answers


def decode_all(body: bytes) -> list[Message]:
    """Every message of a document (one message, an XML MessageBatch, a JSON array or JSON Lines)."""
    text = body.lstrip()
    if text.startswith(b"<"):
        root = parse_xml(body).getroot()
        if root.tag == "{" + NAMESPACE + "}" + BATCH_ELEMENT:
            return [element_to_message(e) for e in root if isinstance(e.tag, str)]
        return [element_to_message(root)]
    if text.startswith(b"["):
        return [from_json_data(item) for item in json.loads(text)]
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and all(line.lstrip().startswith(b"{") for line in lines):
        try:
            return [from_json_data(json.loads(line)) for line in lines]
        except ValueError:
            pass
    return [from_json_data(json.loads(text))]


def _messages(ctx: CheckContext) -> Iterator[tuple[str, Message]]:
    for name, body in corpus(ctx):
        try:
            decoded = decode_all(body)
        except Exception:  # an unreadable document fails MSG-R10, not these checks
            continue
        for message in decoded:
            yield name, message


def _no_messages(ctx: CheckContext) -> None:
    if not corpus(ctx):
        ctx.skip("the system sent nothing during the run (or the folder holds no message)")


@check(
    "static.sent-valid",
    "Every message the system sent is valid against the schemas and the rules",
    requirements=["MSG-R10"],
    profiles=ALL,
    kinds=KINDS,
    phase=2,
)
def sent_valid(ctx: CheckContext) -> None:
    _no_messages(ctx)
    with ctx.verifying("MSG-R10"):
        for name, body in corpus(ctx):
            report = validate_bytes(body, source=name)
            if report.unusable:
                ctx.evidence(body.decode("utf-8", "replace"))
                ctx.expect(False, f"{name}: not a usable message: {report.unusable}")
            errors = [f for f in report.findings if f.severity is Severity.ERROR]
            if errors:
                ctx.evidence(body.decode("utf-8", "replace"))
            ctx.expect(
                not errors, f"{name}: " + "; ".join(f"{f.rule_id} at {f.path}: {f.message[:200]}" for f in errors[:3])
            )


@check(
    "static.sent-where-allowed",
    "The system sends only its profile's message types, each to a kind of system that may receive it",
    requirements=["MSG-R11"],
    profiles=ALL,
    kinds=KINDS,
    phase=2,
)
def sent_where_allowed(ctx: CheckContext) -> None:
    _no_messages(ctx)
    allowed = PROFILES[ctx.profile].sends
    with ctx.verifying("MSG-R11"):
        for name, message in _messages(ctx):
            kind = message.message_type
            ctx.expect(kind in allowed, f"{name}: the {ctx.profile} profile does not send {kind.value}")
            recipient = message.header.recipient.system
            ctx.expect(
                recipient in type(message).recipients,
                f"{name}: a {kind.value} was sent to {recipient.value}, which does not receive it",
            )


@check(
    "static.unique-ids",
    "No two different messages the system sent share a message ID",
    requirements=["MSG-R12"],
    profiles=ALL,
    kinds=KINDS,
    phase=2,
)
def unique_ids(ctx: CheckContext) -> None:
    _no_messages(ctx)
    seen: dict[str, tuple[str, str]] = {}
    with ctx.verifying("MSG-R12"):
        for name, message in _messages(ctx):
            digest = hashlib.sha256(to_json(message)).hexdigest()
            mid = message.header.message_id
            if mid in seen and seen[mid][0] != digest:
                raise AssertionError(f"{name} and {seen[mid][1]} are different messages under the same ID {mid}")
            seen.setdefault(mid, (digest, name))


@check(
    "static.directory-text",
    "Messages sent to ContactPoint hold no case text the system sent elsewhere (and read like a directory entry)",
    requirements=["ICS-R02", "FEED-R02"],
    profiles=("ics", "feed-source"),
    kinds=("folder",),
    phase=2,
    skip_reasons=_FOLDER_ONLY,
)
def directory_text(ctx: CheckContext) -> None:
    _no_messages(ctx)
    requirement = "ICS-R02" if ctx.profile == "ics" else "FEED-R02"
    messages = list(_messages(ctx))
    case_texts = {text for _name, message in messages for text in _case_texts(message) if len(text) >= 12}
    to_directory = [(n, m) for n, m in messages if m.header.recipient.system is SystemKind.CONTACTPOINT]
    if not to_directory:
        ctx.skip("cannot be checked from files: the folder holds no message sent to ContactPoint")
    with ctx.verifying(requirement):
        for name, message in to_directory:
            text = to_json(message).decode("utf-8")
            leaked = sorted(t for t in case_texts if t in text)
            ctx.expect(
                not leaked,
                f"{name}: case text sent elsewhere reached ContactPoint: {leaked[0][:120]!r}" if leaked else "",
            )
            for finding in run_rules(message):
                if finding.rule_id == "CP-002":
                    ctx.warn(requirement, f"{name}: {finding.message} at {finding.path}")
    verdict = ctx.verdicts.get(requirement)
    if not case_texts and verdict is not None and verdict.state.value == "pass":
        del ctx.verdicts[requirement]  # nothing could have failed it: not a pass
        ctx.skip(
            "cannot be checked from files: the folder holds no case record, step-down or episode whose text could be "
            "looked for in what went to ContactPoint, and no message reads like case information (CP-002)"
        )


def _case_texts(message: Message) -> list[str]:
    """The free text of the case a message carries (what must never reach ContactPoint)."""
    if isinstance(message, CaseRecordTransfer):
        record = message.case_record
        texts = [r.reason for r in record.referrals]
        texts += [c.summary for c in record.contacts if c.summary]
        texts += [a.summary for a in record.initial_assessments if a.summary]
        texts += [f.finding for a in record.initial_assessments for f in a.findings]
        return [t for t in texts if t]
    if isinstance(message, StepDown):
        return list(message.outstanding_needs)
    if isinstance(message, EpisodeTransfer | SocialCareReferral):
        assessment = message.episode.assessment
        return [t for t in ((assessment.reason, assessment.conclusions) if assessment else ()) if t]
    return []


@check(
    "static.involvement-ends-as-started",
    "An involvement ends under the ID and start date it started with",
    requirements=["ICS-R03", "FEED-R03"],
    profiles=("ics", "feed-source"),
    kinds=("folder",),
    phase=2,
    skip_reasons=_FOLDER_ONLY,
)
def involvement_ends_as_started(ctx: CheckContext) -> None:
    _no_messages(ctx)
    requirement = "ICS-R03" if ctx.profile == "ics" else "FEED-R03"
    started: dict[tuple[str, str], InvolvementStarted] = {}
    by_child: dict[tuple[str, str], list[InvolvementStarted]] = {}
    ended: list[tuple[str, InvolvementEnded]] = []
    for name, message in _messages(ctx):
        if isinstance(message, InvolvementStarted):
            sender = message.header.sender.organisation_id
            started[sender, message.involvement.involvement_id] = message
            by_child.setdefault((sender, _child_key(message.child)), []).append(message)
        elif isinstance(message, InvolvementEnded):
            ended.append((name, message))
    # An end is judged against the start of the same ID, or, when none has it, against the starts
    # the same sender sent about the same child (an end under an ID never started is the fault).
    judged = []
    for name, end in ended:
        sender = end.header.sender.organisation_id
        start = started.get((sender, end.involvement_id))
        others = by_child.get((sender, _child_key(end.child)), [])
        if start is not None or others:
            judged.append((name, end, start, others))
    if not judged:
        ctx.skip(
            "cannot be checked from files: no involvement in the folder both starts and ends (an export may hold "
            "either alone)"
        )
    with ctx.verifying(requirement):
        for name, end, start, others in judged:
            ctx.expect(
                start is not None,
                f"{name}: involvement {end.involvement_id} ends under an ID never started; the same sender started "
                f"{sorted(o.involvement.involvement_id for o in others)} for this child",
            )
            assert start is not None
            ctx.expect(
                start.involvement.start_date == end.start_date,
                f"{name}: involvement {end.involvement_id} ends with start date {end.start_date}, "
                f"it started on {start.involvement.start_date}",
            )


def _child_key(child: Child) -> str:
    ids = child.identifiers
    return ids.nhs_number or ids.upn or f"{child.name.family_name}|{child.date_of_birth}"


@check(
    "static.migration-consent",
    "Every episode of a migration batch has consent to store and share on record",
    requirements=["ICS-R09"],
    profiles=("ics",),
    kinds=("folder",),
    phase=2,
    skip_reasons=_FOLDER_ONLY,
)
def migration_consent(ctx: CheckContext) -> None:
    _no_messages(ctx)
    batches = [(n, m) for n, m in _messages(ctx) if isinstance(m, MigrationBatch)]
    if not batches:
        ctx.skip("the folder holds no MigrationBatch")
    with ctx.verifying("ICS-R09"):
        for name, batch in batches:
            for episode in batch.episodes:
                holders = consent_holders(episode.consents)
                stored = [
                    c
                    for c in episode.consents
                    if c.decision is ConsentDecision.GIVEN
                    and c.store_and_share
                    and (
                        ("practitioner", c.practitioner_id) in holders or ("organisation", c.organisation_id) in holders
                    )
                ]
                ctx.expect(stored, f"{name}: episode {episode.episode_id} has no consent to store and share on record")
