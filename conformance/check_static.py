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
from ics_interop.messages import InvolvementEnded, InvolvementStarted, MigrationBatch
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
    "Messages sent to ContactPoint read like a directory entry, not like case information (CP-002)",
    requirements=["ICS-R02", "FEED-R02"],
    profiles=("ics", "feed-source"),
    kinds=("folder",),
    phase=2,
    skip_reasons=_FOLDER_ONLY,
)
def directory_text(ctx: CheckContext) -> None:
    _no_messages(ctx)
    requirement = "ICS-R02" if ctx.profile == "ics" else "FEED-R02"
    with ctx.verifying(requirement):
        for name, message in _messages(ctx):
            if message.header.recipient.system is not SystemKind.CONTACTPOINT:
                continue
            for finding in run_rules(message):
                if finding.rule_id == "CP-002":
                    ctx.warn(requirement, f"{name}: {finding.message} at {finding.path}")


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
    ended: list[tuple[str, InvolvementEnded]] = []
    for name, message in _messages(ctx):
        if isinstance(message, InvolvementStarted):
            started[message.header.sender.organisation_id, message.involvement.involvement_id] = message
        elif isinstance(message, InvolvementEnded):
            ended.append((name, message))
    # Only an end whose start is in the folder can be compared: an export may hold either alone.
    pairs = [(name, end, started.get((end.header.sender.organisation_id, end.involvement_id))) for name, end in ended]
    comparable = [(name, end, start) for name, end, start in pairs if start is not None]
    if not comparable:
        ctx.skip("the folder holds no involvement that both starts and ends")
    with ctx.verifying(requirement):
        for name, end, start in comparable:
            ctx.expect(
                start.involvement.start_date == end.start_date,
                f"{name}: involvement {end.involvement_id} ends with start date {end.start_date}, "
                f"it started on {start.involvement.start_date}",
            )


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
