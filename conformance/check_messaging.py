"""Checks every receiving system must pass: accept what is valid, reject what is not (naming the rule),
take a redelivery calmly, refuse hostile XML, answer in the message's own form, and follow the HTTP binding.

Each check works the same on every profile; what differs is how the suite sees a message take
effect (`_probe`): a directory shows the involvement, National eCAF tells ContactPoint about the
episode it now holds, an ICS system lists the referral it received.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from ics_interop import Message, to_json, to_xml, validate_bytes
from ics_interop.messages import Acknowledgement, CafIndicatorUpdate

from .context import CheckContext, CheckFailed
from .generation import breakage_kinds, la_code_of, valid_kinds
from .protocol import DirectoryUnderTest, EcafUnderTest, IcsUnderTest, NotFound, SearchCriteria
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
    """A valid message new to the system, a broken twin of it, and how many times the system has applied it."""

    message: Message
    twin: Message  # valid, and different from `message`
    broken: Message
    broken_rule: str
    effect: Callable[[], int]


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
    return Probe(message, twin, broken, "DATE-001", effect)


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
    return Probe(message, twin, broken, "XFER-001", effect)


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
    referral_id = message.referral_id

    def effect() -> int:
        return sum(1 for r in sut.caf_referrals() if r.ecaf_referral_id == referral_id)

    twin = cast.social_care_referral(episode.model_copy(update={"episode_id": cast.serial("EP")}), identity)
    return Probe(message, twin, broken, "CAF-002", effect)


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
        applied = probe.effect()
        reused = probe.twin.model_copy(update={"header": probe.message.header})
        for wire in ("xml", "json"):
            ack = ctx.acknowledgement(ctx.deliver(reused, wire))
            ctx.expect(ack.status.value == "rejected", f"a different message under a used ID was accepted ({wire})")
            ctx.expect(
                "ENV-003" in _rules(ack),
                f"a different message under a used ID was rejected naming {_rules(ack)}, not ENV-003 ({wire})",
            )
            ctx.expect(probe.effect() == applied, f"a different message under a used ID took effect ({wire})")


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
        ctx.expect(probe.effect() == 0, "the rejected message left something stored")
