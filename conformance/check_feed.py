"""Checks of every system that feeds ContactPoint (the feed-source profile), and of retrying a failed delivery.

A feed source is triggered through its adapter (an involvement starts, ends); what it sends is
received by the suite in ContactPoint's place. The practitioner's note about why the service
got involved is planted with a token: it must never reach the directory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import time
from collections.abc import Callable

from ics_interop import to_json, to_xml
from ics_interop.messages import InvolvementEnded, InvolvementStarted, Message
from ics_interop.model import Child
from ics_interop.model.codes import SystemKind

from .context import CheckContext, CheckFailed
from .protocol import EcafUnderTest, FeedSourceUnderTest, IcsUnderTest, Sending
from .registry import check
from .scenarios import SUITE_ICS, Cast

__all__: list[str] = []

FEED = ("feed-source",)
_NOT_OVER_HTTP = {
    "http": "the HTTP binding defines no way to make a feed source start or end an involvement: use its Python adapter"
}


def _feed(ctx: CheckContext) -> FeedSourceUnderTest:
    if not isinstance(ctx.sut, FeedSourceUnderTest):
        raise CheckFailed("the system under test does not implement the feed-source adapter Protocol")
    return ctx.sut


def _about(child: Child, kind: type[Message]) -> Callable[[Message], bool]:
    def match(m: Message) -> bool:
        if not isinstance(m, kind) or m.header.recipient.system is not SystemKind.CONTACTPOINT:
            return False
        sent = getattr(m, "child", None)
        if sent is None:
            return False
        nhs = child.identifiers.nhs_number
        return bool(sent.identifiers.nhs_number == nhs or sent.name.family_name == child.name.family_name)

    return match


@check(
    "feed.involvement-starts",
    "An involvement that starts is sent to ContactPoint, with a contact and the child's identifiers, and no case notes",
    requirements=["FEED-R01", "FEED-R02", "FEED-R04"],
    profiles=FEED,
    kinds=("adapter",),
    skip_reasons=_NOT_OVER_HTTP,
)
def involvement_starts(ctx: CheckContext) -> None:
    feed = _feed(ctx)
    cast = Cast()
    child = cast.child(upn=True)
    planted = ctx.token(10)  # a word only the case note holds
    note = f"Case note {planted}: mother unwell, the rent is unpaid and Hannah is missing school"
    feed.start_involvement(child, worker=cast.youth_worker, case_details=note, started_on=cast.today)
    started = [m for m in ctx.sent(_about(child, InvolvementStarted)) if isinstance(m, InvolvementStarted)]
    with ctx.verifying("FEED-R01"):
        ctx.expect(started, "no InvolvementStarted about the child reached ContactPoint")
        involvement = started[0].involvement
        contact = (
            involvement.practitioner.contact
            if involvement.practitioner
            else (involvement.team.contact if involvement.team else None)
        )
        ctx.expect(
            contact is not None and (contact.telephone or contact.email or contact.address),
            "the involvement gives no way to contact the practitioner or team",
        )
        ctx.expect(started[0].child.date_of_birth == child.date_of_birth, "the child's date of birth is not sent")
    with ctx.verifying("FEED-R02"):
        for message in ctx.sent(lambda m: m.header.recipient.system is SystemKind.CONTACTPOINT, wait=0.2):
            text = to_xml(message).decode("utf-8")
            ctx.expect(
                planted not in text,
                f"the practitioner's case note reached ContactPoint in a {message.message_type.value}",
            )
    with ctx.verifying("FEED-R04"):
        if started:
            ids = started[0].child.identifiers
            missing = [name for name, value in (("NHS number", ids.nhs_number), ("UPN", ids.upn)) if value is None]
            if missing:
                ctx.warn("FEED-R04", f"the feed leaves out the child's {' and '.join(missing)}, which the system holds")


@check(
    "feed.involvement-ends",
    "An involvement that ends is sent under the involvement ID and start date first sent",
    requirements=["FEED-R03"],
    profiles=FEED,
    kinds=("adapter",),
    skip_reasons=_NOT_OVER_HTTP,
)
def involvement_ends(ctx: CheckContext) -> None:
    feed = _feed(ctx)
    cast = Cast()
    child = cast.child()
    start = cast.today - dt.timedelta(days=10)
    feed.start_involvement(child, worker=cast.youth_worker, case_details="Support at school", started_on=start)
    started = [m for m in ctx.sent(_about(child, InvolvementStarted)) if isinstance(m, InvolvementStarted)]
    ended_on = cast.today - dt.timedelta(days=2)  # recorded two days after the service stopped
    feed.end_involvement(child, ended_on=ended_on)
    with ctx.verifying("FEED-R03"):
        ended = [m for m in ctx.sent(_about(child, InvolvementEnded)) if isinstance(m, InvolvementEnded)]
        ctx.expect(ended, "no InvolvementEnded reached ContactPoint")
        ctx.expect(started, "no InvolvementStarted was sent before the end")
        first = started[0].involvement
        ctx.expect(
            ended[0].involvement_id == first.involvement_id, "the involvement ended under another ID than it started"
        )
        ctx.expect(ended[0].start_date == first.start_date, "the end gives another start date than was first sent")
        ctx.expect(ended[0].end_date == ended_on, f"the end date sent is {ended[0].end_date}, not {ended_on}")


def _trigger_a_send(ctx: CheckContext, cast: Cast) -> None:
    """Make the system send something (by profile)."""
    sut = ctx.sut
    if isinstance(sut, FeedSourceUnderTest) and ctx.profile == "feed-source":
        sut.start_involvement(cast.child(), worker=cast.youth_worker, case_details="Support", started_on=cast.today)
    elif isinstance(sut, IcsUnderTest) and ctx.profile == "ics":
        # A case record transfer (F9): a send of its own, whatever the system tells ContactPoint.
        case_id = sut.open_case(cast.child())
        sut.transfer_case(case_id, to=SUITE_ICS, to_la="204", reason="The family moved")
    elif isinstance(sut, EcafUnderTest) and ctx.profile == "ecaf":
        sut.log_episode(
            child=cast.child(),
            assessment=cast.assessment(),
            consents=[cast.consent(practitioner=cast.mentor.practitioner_id)],
            by=cast.mentor,
            episode_id=cast.serial("EP"),
            opened_on=cast.today - dt.timedelta(days=21),
        )
    else:
        raise CheckFailed(f"the system under test does not implement the {ctx.profile} adapter Protocol")


def _digest(message: Message) -> str:
    return hashlib.sha256(to_json(message)).hexdigest()


@check(
    "msg.retry-same-id",
    "A delivery that failed is retried, under the same message ID, with the same content, until it is accepted",
    requirements=["MSG-R13"],
    profiles=("ecaf", "ics", "feed-source"),
    kinds=("http", "adapter"),
    skip_reasons={"http": "over HTTP only when the system feeds the suite's receiver"},
)
def retry_same_id(ctx: CheckContext) -> None:
    if ctx.kind == "http" and ctx.profile == "feed-source":
        ctx.skip(_NOT_OVER_HTTP["http"])
    if isinstance(ctx.sut, Sending) and ctx.kind == "adapter":
        ctx.sut.flush_outbox(ctx.capture.receive)  # nothing older may be refused in its place
    seen = len(ctx.capture.messages())
    ctx.capture.refuse_next = 1
    try:
        _trigger_a_send(ctx, Cast())
        deadline = time.monotonic() + ctx.wait_seconds
        with ctx.verifying("MSG-R13"):
            while True:
                if isinstance(ctx.sut, Sending) and ctx.kind == "adapter":
                    with contextlib.suppress(ConnectionError):
                        ctx.sut.flush_outbox(ctx.capture.receive)
                latest = ctx.capture.messages()[seen:]
                refused = [c for c in latest if c.refused_as_down and c.message is not None]
                retried = [
                    c
                    for c in latest
                    if not c.refused_as_down
                    and c.message is not None
                    and any(r.message_id == c.message_id for r in refused)
                ]
                if refused and retried:
                    break
                if time.monotonic() > deadline:
                    ctx.expect(refused, "the system sent nothing the suite could refuse")
                    ids = ", ".join(str(r.message_id) for r in refused)
                    raise CheckFailed(
                        f"the delivery refused as if the receiver were down ({ids}) was not retried under the same ID"
                    )
                time.sleep(0.25)
            first = next(r for r in refused if r.message_id == retried[0].message_id)
            assert first.message is not None
            assert retried[0].message is not None
            ctx.expect(
                _digest(first.message) == _digest(retried[0].message),
                "the retried message differs from the first attempt",
            )
            # Once the retry is acknowledged, the message is delivered: it is not sent again.
            if isinstance(ctx.sut, Sending) and ctx.kind == "adapter":
                ctx.sut.flush_outbox(ctx.capture.receive)
            else:
                time.sleep(1.0)
            mid = retried[0].message_id
            delivered = [c for c in ctx.capture.messages()[seen:] if not c.refused_as_down and c.message_id == mid]
            ctx.expect(len(delivered) == 1, f"the message {mid} was sent {len(delivered)} times after it was accepted")
    finally:
        ctx.capture.refuse_next = 0  # the receiver is up again, whatever happened
