"""Checks every receiving system must pass: accept what is valid, reject what is not (naming the rule),
take a redelivery calmly, refuse hostile XML, answer in the message's own form, follow the HTTP binding,
and apply a batch message by message.

Each check works the same on every profile; what differs is how the suite sees a message take
effect (`_probe`): a directory shows the involvement, National eCAF tells ContactPoint about the
episode it now holds, an ICS system lists the referral it received.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable

import attrs

from ics_interop import Message, batch_to_json, batch_to_xml, to_json, to_xml, validate_bytes
from ics_interop.messages import Acknowledgement, CafIndicatorUpdate
from ics_interop.validate import read_messages_from_bytes

from .check_feed import _trigger_a_send
from .context import CheckContext, CheckFailed
from .generation import breakage_kinds, la_code_of, valid_kinds
from .protocol import BatchReceiving, DirectoryUnderTest, EcafUnderTest, IcsUnderTest, NotFound, SearchCriteria, Sending
from .registry import check
from .scenarios import Cast

__all__ = ["Probe", "message_probe"]

RECEIVERS = ("contactpoint", "ecaf", "ics", "feed-source")


def _rules(ack: Acknowledgement) -> list[str]:
    return [f.rule_id for f in ack.findings]


def _rejected(
    ctx: CheckContext, body: Message | bytes, wire: str = "xml", content_type: str | None = None
) -> Acknowledgement:
    ack = ctx.acknowledgement(ctx.deliver(body, wire, content_type))
    ctx.expect(
        ack.status.value == "rejected", f"the delivery was accepted; it must be rejected (findings: {_rules(ack)})"
    )
    return ack


def _no_feed_source(ctx: CheckContext) -> None:
    if ctx.profile == "feed-source":
        ctx.skip("a feed source receives no messages")


# --- how a message is seen to take effect, by profile ------------------------------------------------


@attrs.frozen
class Probe:
    """A valid message new to the system, a broken twin of it, and how many times the system has applied each."""

    message: Message
    twin: Message  # valid, and different from `message`
    broken: Message
    broken_rule: str
    effect: Callable[[], int]
    #: How many times the system has stored `broken` (it must never).
    broken_effect: Callable[[], int]
    #: How many times the system has applied `twin` (0 when it came under `message`'s ID).
    twin_effect: Callable[[], int]
    #: Valid, but one the system may refuse for what it holds once `message` is applied (the reference
    #: systems do): it must be answered on its own, whatever the answer, and stop nothing.
    contentious: Message


def _directory_probe(ctx: CheckContext, sut: DirectoryUnderTest, cast: Cast) -> Probe:
    user = f"PROBE-{cast.token}"
    sut.register_user(user, "practitioner", cast.youth_service.organisation_id, by=sut.data_manager())
    child = cast.child()
    involvement = cast.involvement()
    message = cast.involvement_started(child, involvement)
    broken = message.model_copy(
        update={"involvement": involvement.model_copy(update={"end_date": involvement.start_date.replace(year=1990)})}
    )
    nhs = child.identifiers.nhs_number

    def effect() -> int:
        # Every involvement the (new) child has: a system that applied the message twice shows two.
        found = sut.search(SearchCriteria(identifier=nhs), user_id=user, reason="conformance: redelivery")
        return sum(len(r.involvements) for r in found)

    twin = cast.involvement_started(child, cast.involvement())
    never_started = cast.involvement_ended(child, cast.involvement(), cast.today)
    return Probe(message, twin, _new_id(broken), "DATE-001", effect, effect, effect, never_started)


def _ecaf_probe(ctx: CheckContext, sut: EcafUnderTest, cast: Cast) -> Probe:
    child = cast.child()
    episode = cast.episode(child)
    message = cast.episode_transfer(episode, sut.identity())
    broken = message.model_copy(update={"from_la": message.to_la})
    nhs = child.identifiers.nhs_number

    def effect() -> int:
        try:
            sut.read_episode(episode.episode_id, reader=cast.mentor, reason="conformance: redelivery")
        except NotFound:
            return 0
        told = ctx.sent(
            lambda m: isinstance(m, CafIndicatorUpdate) and m.child.identifiers.nhs_number == nhs, at_least=2, wait=1.0
        )
        return max(1, len(told))

    twin = cast.episode_transfer(cast.episode(child), sut.identity())
    # The same episode again, opened a day earlier: not the episode it now holds.
    other = cast.episode_transfer(
        episode.model_copy(update={"opened_on": episode.opened_on - dt.timedelta(days=1)}), sut.identity()
    )
    return Probe(message, twin, _new_id(broken), "XFER-001", effect, effect, effect, other)


def _ics_probe(ctx: CheckContext, sut: IcsUnderTest, cast: Cast) -> Probe:
    child = cast.child()
    identity = sut.identity()
    episode = cast.episode(
        child,
        consents=[
            cast.consent(practitioner=cast.mentor.practitioner_id),
            cast.consent(organisation=identity.organisation_id),
        ],
    )
    message = cast.social_care_referral(episode, identity)
    broken = cast.social_care_referral(cast.episode(child), identity)  # no consent for the ICS: CAF-002

    def referrals(referral_id: str) -> Callable[[], int]:
        return lambda: sum(1 for r in sut.caf_referrals() if r.ecaf_referral_id == referral_id)

    twin = cast.social_care_referral(episode.model_copy(update={"episode_id": cast.serial("EP")}), identity)
    # A referral addressed to another authority's ICS (with consent for it): not for this system to apply.
    elsewhere = identity.model_copy(update={"organisation_id": f"{identity.organisation_id}-ELSEWHERE"})
    consents = [*episode.consents, cast.consent(organisation=elsewhere.organisation_id)]
    misaddressed = cast.social_care_referral(episode.model_copy(update={"consents": consents}), elsewhere)
    return Probe(
        message,
        twin,
        broken,
        "CAF-002",
        referrals(message.referral_id),
        referrals(broken.referral_id),
        referrals(twin.referral_id),
        misaddressed,
    )


def _new_id(message: Message) -> Message:
    """The message under an ID of its own (a broken twin is a different message, so it has its own ID)."""
    return message.model_copy(update={"header": message.header.model_copy(update={"message_id": str(uuid.uuid4())})})


def message_probe(ctx: CheckContext) -> Probe:
    cast = Cast()
    sut = ctx.sut
    if ctx.profile == "contactpoint" and isinstance(sut, DirectoryUnderTest):
        return _directory_probe(ctx, sut, cast)
    if ctx.profile == "ecaf" and isinstance(sut, EcafUnderTest):
        return _ecaf_probe(ctx, sut, cast)
    if ctx.profile == "ics" and isinstance(sut, IcsUnderTest):
        return _ics_probe(ctx, sut, cast)
    raise CheckFailed(f"the system under test does not implement the {ctx.profile} profile's adapter Protocol")


# --- the checks ---------------------------------------------------------------------------------------


@check(
    "msg.accepts-valid",
    "Every valid message of a type the system receives is accepted (Hypothesis-generated)",
    requirements=["MSG-R01"],
    profiles=RECEIVERS,
)
def accepts_valid(ctx: CheckContext) -> None:
    _no_feed_source(ctx)
    identity = ctx.receiving().identity()
    kinds = valid_kinds(ctx.profile, identity, la_code_of(identity, ctx.options))

    def test(messages: list[Message], wire: str) -> None:
        for message in messages:
            ctx.accepted(message, wire)

    with ctx.verifying("MSG-R01"):
        ctx.for_every_kind(kinds, test)


@check(
    "msg.rejects-invalid",
    "Every message with a rule broken is rejected, naming the rule (Hypothesis-generated)",
    requirements=["MSG-R02"],
    profiles=RECEIVERS,
)
def rejects_invalid(ctx: CheckContext) -> None:
    _no_feed_source(ctx)
    identity = ctx.receiving().identity()
    kinds = breakage_kinds(ctx.profile, identity, la_code_of(identity, ctx.options))

    def test(broken: tuple[str, Message], wire: str) -> None:
        rule, message = broken
        ack = ctx.acknowledgement(ctx.deliver(message, wire))
        if ack.status.value != "rejected":
            raise CheckFailed(f"a {message.message_type.value} breaking {rule} was accepted")
        if rule not in _rules(ack):
            raise CheckFailed(
                f"a {message.message_type.value} breaking {rule} was rejected naming {_rules(ack)}, not {rule}"
            )

    with ctx.verifying("MSG-R02"):
        ctx.for_every_kind(kinds, test)


@check(
    "msg.rejects-unusable",
    "Deliveries that are not one usable message are rejected with INPUT-001",
    requirements=["MSG-R03"],
    profiles=RECEIVERS,
)
def rejects_unusable(ctx: CheckContext) -> None:
    _no_feed_source(ctx)
    probe = message_probe(ctx)
    one = to_json(probe.message).decode("utf-8")
    deliveries: list[tuple[str, bytes, str]] = [
        ("bytes that are neither XML nor JSON", b"\x00\x01 this is not a message", "application/xml"),
        ("XML cut short", to_xml(probe.message)[:120], "application/xml"),
        ("two messages in one delivery", f"[{one},{one}]".encode(), "application/json"),
    ]
    with ctx.verifying("MSG-R03"):
        for what, body, content_type in deliveries:
            ack = _rejected(ctx, body, content_type=content_type)
            ctx.expect("INPUT-001" in _rules(ack), f"{what}: rejected naming {_rules(ack)}, not INPUT-001")
        ctx.expect(probe.effect() == 0, "a delivery of two messages was rejected, yet its message took effect")


_DTD = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE {root} [ <!ENTITY who "Entity{token}"> ]>
"""


@check(
    "msg.refuses-dtd",
    "XML declaring a DTD or entities is refused with INPUT-001, and nothing of it is applied",
    requirements=["MSG-R04"],
    profiles=RECEIVERS,
)
def refuses_dtd(ctx: CheckContext) -> None:
    _no_feed_source(ctx)
    probe = message_probe(ctx)
    xml = to_xml(probe.message)
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    root = probe.message.message_type.value.encode()
    prolog = _DTD.replace(b"{root}", root).replace(b"{token}", ctx.token().encode())
    hostile = prolog + body.replace(b"<Reason>", b"<Reason>&who; ", 1).replace(b"<FamilyName>", b"<FamilyName>&who;", 1)
    with ctx.verifying("MSG-R04"):
        ack = _rejected(ctx, hostile)
        ctx.expect("INPUT-001" in _rules(ack), f"rejected naming {_rules(ack)}, not INPUT-001")
        ctx.expect(probe.effect() == 0, "the message with a DTD took effect")


@check(
    "msg.redelivery",
    "A redelivered message changes nothing; an ID reused for a different message is rejected (ENV-003)",
    requirements=["MSG-R05", "MSG-R06"],
    profiles=RECEIVERS,
)
def redelivery(ctx: CheckContext) -> None:
    _no_feed_source(ctx)
    probe = message_probe(ctx)
    first = ctx.accepted(probe.message)
    applied = probe.effect()
    with ctx.verifying("MSG-R05"):
        ctx.expect(applied >= 1, "the message was accepted but the suite cannot see it applied")
        # The same message again: the same bytes, then the same content in the other wire form.
        for again_as in ("the same XML again", "the same message in JSON"):
            wire = "xml" if "XML" in again_as else "json"
            again = ctx.acknowledgement(ctx.deliver(probe.message, wire))
            ctx.expect(
                again.status == first.status,
                f"{again_as} was answered {again.status.value}, first {first.status.value}: {_rules(again)}",
            )
            ctx.expect(
                _rules(again) == _rules(first), f"{again_as} was answered with other findings than the first time"
            )
            now = probe.effect()
            ctx.expect(now == applied, f"{again_as} was applied again ({applied} -> {now})")
    with ctx.verifying("MSG-R06"):
        applied, twins = probe.effect(), probe.twin_effect()
        reused = probe.twin.model_copy(update={"header": probe.message.header})
        for wire in ("xml", "json"):
            ack = ctx.acknowledgement(ctx.deliver(reused, wire))
            ctx.expect(ack.status.value == "rejected", f"a different message under a used ID was accepted ({wire})")
            ctx.expect(
                "ENV-003" in _rules(ack),
                f"a different message under a used ID was rejected naming {_rules(ack)}, not ENV-003 ({wire})",
            )
            ctx.expect(
                (probe.effect(), probe.twin_effect()) == (applied, twins),
                f"a different message under a used ID took effect ({wire})",
            )


@check(
    "msg.acknowledgement-form",
    "The acknowledgement is valid, in the message's own form, and names the message",
    requirements=["MSG-R07"],
    profiles=RECEIVERS,
)
def acknowledgement_form(ctx: CheckContext) -> None:
    _no_feed_source(ctx)
    with ctx.verifying("MSG-R07"):
        for body, kind in ((b"<Nothing", "application/xml"), (b'{"header": ', "application/json")):
            reply = ctx.deliver(body, content_type=kind)
            wire = "json" if "json" in kind else "xml"
            starts_xml = reply.body.lstrip().startswith(b"<")
            ctx.expect(starts_xml == (wire == "xml"), f"an unreadable {wire} delivery was answered in the other form")
            ctx.acknowledgement(reply)
        for wire in ("xml", "json"):
            probe = message_probe(ctx)
            for message in (probe.message, probe.broken):
                reply = ctx.deliver(message, wire)
                starts_xml = reply.body.lstrip().startswith(b"<")
                ctx.expect(starts_xml == (wire == "xml"), f"a message sent as {wire} was answered in the other form")
                report = validate_bytes(reply.body)
                ctx.expect(
                    not report.unusable and report.errors == 0,
                    f"the acknowledgement is not valid: {report.to_dict()['findings'][:3]}",
                )
                ack = ctx.acknowledgement(reply)
                mid = message.header.message_id
                ctx.expect(
                    ack.acknowledged_message_id == mid,
                    f"acknowledgedMessageId {ack.acknowledged_message_id} is not {mid}",
                )
                ctx.expect(
                    ack.header.correlation_id == mid, f"the correlation ID {ack.header.correlation_id} is not {mid}"
                )


@check(
    "msg.http-binding",
    "POST /messages answers 200 accepted, 422 rejected, 415 for other media types",
    requirements=["MSG-R08"],
    profiles=RECEIVERS,
    kinds=("http",),
    skip_reasons={"adapter": "the HTTP status codes are checked over HTTP only: an adapter has no HTTP binding"},
)
def http_binding(ctx: CheckContext) -> None:
    _no_feed_source(ctx)
    probe = message_probe(ctx)
    with ctx.verifying("MSG-R08"):
        accepted = ctx.deliver(probe.message)
        ctx.expect(accepted.status == 200, f"an accepted message was answered HTTP {accepted.status}")
        rejected = ctx.deliver(probe.broken)
        ctx.expect(rejected.status == 422, f"a rejected message was answered HTTP {rejected.status}")
        ctx.acknowledgement(rejected)
        other = ctx.deliver(to_xml(probe.message), content_type="text/plain")
        ctx.expect(other.status == 415, f"a text/plain body was answered HTTP {other.status}")


@check(
    "msg.rejection-stores-nothing",
    "A rejected message leaves nothing stored",
    requirements=["MSG-R09"],
    profiles=RECEIVERS,
)
def rejection_stores_nothing(ctx: CheckContext) -> None:
    _no_feed_source(ctx)
    probe = message_probe(ctx)
    with ctx.verifying("MSG-R09"):
        ack = _rejected(ctx, probe.broken)
        ctx.expect(probe.broken_rule in _rules(ack), f"rejected naming {_rules(ack)}, not {probe.broken_rule}")
        ctx.expect(probe.broken_effect() == 0, "the rejected message left something stored")


# --- the batch form (POST /messages?batch=true) ---------------------------------------------------------

#: How a batch is written: an XML MessageBatch, a JSON array, JSON Lines (one message a line).
_BATCH_FORMS = {"xml": "application/xml", "json": "application/json", "json-lines": "application/json"}


def _batch_body(messages: list[Message], form: str) -> bytes:
    if form == "xml":
        return batch_to_xml(messages, pretty=False)
    if form == "json":
        return b"[" + b",".join(to_json(m, indent=None) for m in messages) + b"]"
    return batch_to_json(messages)


def _deliver_batch(ctx: CheckContext, sut: BatchReceiving, messages: list[Message], form: str) -> list[Acknowledgement]:
    """Deliver `messages` as one batch in `form`; the acknowledgements answered, after checking the answer's shape."""
    reply = sut.deliver_batch(_batch_body(messages, form), _BATCH_FORMS[form], ctx.sender_of(messages[0]))
    if reply.status is not None:
        ctx.expect(reply.status == 200, f"a batch ({form}) that could be read was answered HTTP {reply.status}")
    ctx.replies.append((reply.content_type, reply.body))
    ctx.expect(
        reply.body.lstrip().startswith(b"<") == (form == "xml"), f"a batch sent as {form} was answered in another form"
    )
    try:
        answered = read_messages_from_bytes(reply.body)
    except Exception as exc:
        raise CheckFailed(f"the answer to a batch ({form}) is not a batch of messages: {exc}") from None
    acks = [m for m in answered if isinstance(m, Acknowledgement)]
    ctx.expect(len(acks) == len(answered), f"the answer to a batch ({form}) holds other messages than acknowledgements")
    sent = [m.header.message_id for m in messages]
    got = [a.acknowledged_message_id for a in acks]
    ctx.expect(
        got == sent,
        f"a batch of {len(sent)} ({form}) was answered for {got}, not one acknowledgement each in order {sent}",
    )
    return acks


def _applied(probe: Probe) -> tuple[int, int]:
    """How many times the probe's message and its twin have taken effect (one look when one look sees both)."""
    applied = probe.effect()
    return applied, applied if probe.twin_effect is probe.effect else probe.twin_effect()


@check(
    "msg.batch",
    "A batch is applied and acknowledged message by message: a rejected one stores nothing and stops nothing; "
    "resent, it changes nothing",
    requirements=["MSG-R15"],
    profiles=RECEIVERS,
)
def batch(ctx: CheckContext) -> None:
    _no_feed_source(ctx)
    sut = ctx.receiving()
    if not isinstance(sut, BatchReceiving):
        ctx.skip("the adapter offers no batch form (BatchReceiving.deliver_batch): run the suite over HTTP to test it")
    with ctx.verifying("MSG-R15"):
        # The rejected message in the middle, then first; among them one the system may refuse for what it
        # holds by then (answered either way, stopping nothing). Each batch resent as it was, then re-encoded.
        for form, again_as, rejected_at in (("xml", "json-lines", 1), ("json", "xml", 0)):
            applied, refused = [message_probe(ctx) for _ in range(2)], message_probe(ctx)
            messages = [applied[0].message, applied[0].contentious, applied[1].message]
            messages.insert(rejected_at, refused.broken)
            acks = _deliver_batch(ctx, sut, messages, form)
            for i, (message, ack) in enumerate(zip(messages, acks, strict=True)):
                what = f"message {i + 1} of a batch of {len(messages)} ({form})"
                if message is refused.broken:
                    ctx.expect(ack.status.value == "rejected", f"{what}, breaking {refused.broken_rule}, was accepted")
                    ctx.expect(
                        refused.broken_rule in _rules(ack),
                        f"{what} was rejected naming {_rules(ack)}, not {refused.broken_rule}",
                    )
                elif message is not applied[0].contentious:
                    ctx.expect(
                        ack.status.value == "accepted", f"{what}, valid, was answered {ack.status.value}: {_rules(ack)}"
                    )
            effects = [p.effect() for p in applied]
            ctx.expect(
                all(n >= 1 for n in effects),
                f"valid messages of a batch ({form}) were acknowledged but not applied: {effects}",
            )
            ctx.expect(refused.broken_effect() == 0, f"the rejected message of a batch ({form}) left something stored")
            for again in (form, again_as):
                resent = _deliver_batch(ctx, sut, messages, again)
                ctx.expect(
                    [(a.status, _rules(a)) for a in resent] == [(a.status, _rules(a)) for a in acks],
                    f"a batch sent as {form} and resent as {again} was answered otherwise the second time",
                )
            now = [p.effect() for p in applied]
            ctx.expect(
                now == effects,
                f"a batch sent as {form} and resent as it was and as {again_as} was applied again ({effects} -> {now})",
            )
            ctx.expect(refused.broken_effect() == 0, f"the rejected message of a batch resent ({form}) was stored")
            # Each message is de-duplicated on its own: one reusing an ID for other content, beside a new one.
            first = applied[0]
            reused = first.twin.model_copy(update={"header": first.message.header})
            fresh = message_probe(ctx)
            before = _applied(first)
            acks = _deliver_batch(ctx, sut, [reused, fresh.message], form)
            ctx.expect(
                acks[0].status.value == "rejected" and "ENV-003" in _rules(acks[0]),
                f"a batch's message under a used ID, with other content ({form}), was answered "
                f"{acks[0].status.value} {_rules(acks[0])}, not rejected naming ENV-003",
            )
            ctx.expect(
                _applied(first) == before,
                f"a batch's message under a used ID, with other content ({form}), took effect",
            )
            ctx.expect(
                acks[1].status.value == "accepted" and fresh.effect() >= 1,
                f"a valid message after one under a used ID ({form}) was not applied: {_rules(acks[1])}",
            )


# --- what a system sends: in its form, however late, once ------------------------------------------------


@check(
    "msg.sent-in-its-form",
    "Every message sent is written in the form its Content-Type names",
    requirements=["MSG-R10"],
    profiles=("ecaf", "ics", "feed-source"),  # ContactPoint sends only its acknowledgements (msg.acknowledgement-form)
    kinds=("http", "adapter"),
    phase=2,
)
def sent_in_its_form(ctx: CheckContext) -> None:
    sent = [c for c in ctx.capture.messages() if not c.refused_as_down]
    if not sent:
        ctx.skip("the system sent nothing during the run")
    with ctx.verifying("MSG-R10"):
        for c in sent:
            first = c.body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
            looks = "XML" if first == b"<" else "JSON" if first in (b"{", b"[") else "neither XML nor JSON"
            declared = "JSON" if "json" in c.content_type else "XML" if "xml" in c.content_type else c.content_type
            ctx.expect(
                looks == declared,
                f"{c.file_name}: the body is {looks} but was sent as {c.content_type!r}: a receiver answers 415",
            )


def _flush(ctx: CheckContext) -> None:
    if isinstance(ctx.sut, Sending) and ctx.kind == "adapter":
        ctx.sut.flush_outbox(ctx.capture.receive)


@check(
    "msg.sent-late-once",
    "A message waiting to be sent goes however late the outbox is flushed, and once accepted is not sent again",
    requirements=["MSG-R13"],
    profiles=("ecaf", "ics", "feed-source"),
    kinds=("http", "adapter"),
)
def sent_late_once(ctx: CheckContext) -> None:
    if ctx.kind == "http" and ctx.profile == "feed-source":
        ctx.skip("the HTTP binding defines no way to make a feed source send: use its Python adapter")
    _flush(ctx)
    seen = len(ctx.capture.messages())

    def sent() -> list[str]:
        return [
            str(c.message_id)
            for c in ctx.capture.messages()[seen:]
            if c.message_id is not None and not c.refused_as_down
        ]

    _trigger_a_send(ctx, Cast())
    with ctx.verifying("MSG-R13"):
        # A second and more after the change: a system that keeps time to the second has moved on.
        time.sleep(1.2)
        _flush(ctx)
        deadline = time.monotonic() + (ctx.wait_seconds if ctx.kind == "http" else 0.0)
        while not sent() and time.monotonic() < deadline:
            time.sleep(0.1)
        ctx.expect(sent(), "a message the system was to send a second before its outbox was flushed was not sent")
        # Past the first retry's back-off of a sender that took the receiver's acceptance for a failure.
        time.sleep(2.5)
        _flush(ctx)
        ids = sent()
        twice = sorted({m for m in ids if ids.count(m) > 1})
        ctx.expect(not twice, f"messages the receiver accepted were sent again: {twice}")
