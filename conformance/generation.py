"""Hypothesis strategies for the suite: valid messages a system must accept, and invalid ones it must reject.

Valid messages start from the project's own shape-driven strategies (`ics_interop.testing`),
so any text, name, identifier or address the schemas allow can come up, and are then made
true to the business rules (a child under 18 on the message's date, an end after its start,
a sensitive service with its basis, consent for whoever receives a CAF). Everything about a
message is drawn from the check's seed, so a failure replays with the same children, texts
and dates, except what makes it new to the system under test: message, episode, involvement
and case IDs and NHS numbers are fresh on every example and every run, because a system
keeps what it was sent and must not take a replay for a redelivery.

Invalid messages are valid ones with one thing broken the way a sender might break it, each
paired with the rule the receiver must name: a child of 18, an NHS number mistyped, a lead
professional outside the TAC, a manifest that does not add up...
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import strategies as st

from ics_interop.messages import (
    BatchManifest,
    CafIndicatorUpdate,
    ChildIdentityUpdate,
    InvolvementStarted,
    Message,
    MessageType,
    StepDownRequest,
    SystemRef,
)
from ics_interop.model import (
    CafAction,
    CafEpisode,
    Child,
    ChildIdentifiers,
    ChildPlan,
    Involvement,
    LeadProfessional,
    Practitioner,
)
from ics_interop.model.codes import CafClosureReason, CafStatus, PlanType, SensitiveBasis, SensitiveService, SystemKind
from ics_interop.testing import models, upns

from .scenarios import FEEDER_A, FEEDER_B, SUITE_NATIONAL_ECAF, Cast, header

__all__ = [
    "WIRES",
    "Delivery",
    "Kinds",
    "breakage_kinds",
    "invalid_messages",
    "la_code_of",
    "valid_kinds",
    "valid_messages",
]

T = TypeVar("T")

#: One test case: the messages to deliver in order, and the wire form ("xml" or "json").
Delivery = tuple[list[Message], str]
#: Strategies by the name of the kind of case they draw: a property check runs every kind in every run.
Kinds = dict[str, st.SearchStrategy[T]]

_LA_IN_ID = re.compile(r"^LA([0-9]{3})(?![0-9])")
#: The two wire forms of the standard: every property check runs each kind in both.
WIRES = ("xml", "json")
_WIRES = st.sampled_from(WIRES)


def la_code_of(identity: SystemRef, options: dict[str, str] | None = None) -> str:
    """The LA code of the system under test: `--option la-code=`, else read from 'LA206-...', else 206."""
    if options and options.get("la-code"):
        return options["la-code"]
    match = _LA_IN_ID.match(identity.organisation_id)
    return match.group(1) if match else "206"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _fresh_token() -> str:
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(8))


def _tokens() -> st.SearchStrategy[str]:
    # Fresh on every example, not drawn: a system under test keeps what it was sent, so IDs made
    # from a token must never repeat between examples (or between a run and its replay). All the
    # rest of a message is drawn, and replays exactly.
    return st.builds(_fresh_token)


def _message_ids() -> st.SearchStrategy[str]:
    return st.builds(lambda: str(uuid.uuid4()))


def _renamed(message: Message, message_id: str) -> Message:
    return message.model_copy(update={"header": message.header.model_copy(update={"message_id": message_id})})


# --- children, involvements ------------------------------------------------------------------------


def _child_under_18(child: Child, age_days: int, has_upn: bool, upn: str) -> Child:
    today = _now().date()
    # A fresh NHS number, so that no two examples are taken for the same child.
    identifiers = ChildIdentifiers(nhs_number=Cast.nhs_number(), upn=upn if has_upn else None)
    update: dict[str, Any] = {"identifiers": identifiers}
    if child.expected_date_of_birth is None or child.expected_date_of_birth < today:
        update.update(date_of_birth=today - dt.timedelta(days=age_days), expected_date_of_birth=None)
    return child.model_copy(update=update)


def children(min_age_days: int = 0) -> st.SearchStrategy[Child]:
    """Children the directory may hold: any names, address or its absence, parents; under 18 today.

    `min_age_days` keeps the child older than the records a message holds about them (an ICS
    refuses a record dated before the child was born).
    """
    ages = st.integers(min_age_days, 17 * 365)
    return st.builds(_child_under_18, models(Child), ages, st.booleans(), upns())


_OLD_ENOUGH = 400  # days: older than every record the suite's case records and episodes hold


def _lawful_involvement(
    involvement: Involvement, sensitive: SensitiveService | None, length: int | None
) -> Involvement:
    basis = involvement.sensitive_basis
    service = involvement.service.model_copy(update={"sensitive": sensitive})
    if sensitive is not None and basis is None:
        basis = SensitiveBasis.CONSENT
    end = None if length is None else involvement.start_date + dt.timedelta(days=length)
    fresh = f"{involvement.involvement_id[:40]}-{_fresh_token()}"
    return involvement.model_copy(
        update={"involvement_id": fresh, "service": service, "sensitive_basis": basis, "end_date": end}
    )


def involvements() -> st.SearchStrategy[Involvement]:
    """Involvements true to the rules: an end after the start, a sensitive service with its basis."""
    return st.builds(
        _lawful_involvement,
        models(Involvement),
        st.one_of(st.none(), st.sampled_from(list(SensitiveService))),
        st.one_of(st.none(), st.integers(0, 3000)),
    )


# --- valid messages, by the profile that receives them -------------------------------------------------


def _directory_messages(recipient: SystemRef) -> Kinds[list[Message]]:
    sender = st.sampled_from([FEEDER_A, FEEDER_B])

    def identity_update(child: Child, frm: SystemRef, mid: str) -> list[Message]:
        message = ChildIdentityUpdate(
            header=header(MessageType.CHILD_IDENTITY_UPDATE, frm, recipient), child=child, died_on=None
        )
        return [_renamed(message, mid)]

    def started(
        child: Child, involvement: Involvement, frm: SystemRef, mids: tuple[str, str], end: bool
    ) -> list[Message]:
        message = InvolvementStarted(
            header=header(MessageType.INVOLVEMENT_STARTED, frm, recipient), child=child, involvement=involvement
        )
        sent: list[Message] = [_renamed(message, mids[0])]
        if end:
            cast = Cast("GEN")
            ended = cast.involvement_ended(
                child, involvement, involvement.start_date + dt.timedelta(days=7), sender=frm
            )
            ended = ended.model_copy(update={"header": ended.header.model_copy(update={"recipient": recipient})})
            sent.append(_renamed(ended, mids[1]))
        return sent

    def caf(
        child: Child, completed_by: Practitioner, lead: Practitioner | None, exists: bool, mid: str
    ) -> list[Message]:
        message = CafIndicatorUpdate(
            header=header(MessageType.CAF_INDICATOR_UPDATE, SUITE_NATIONAL_ECAF, recipient),
            child=child,
            caf_exists=exists,
            updated_on=_now().date(),
            completed_by=completed_by,
            lead_professional=lead,
        )
        return [_renamed(message, mid)]

    practitioners = models(Practitioner)
    mids = st.tuples(_message_ids(), _message_ids())
    return {
        "ChildIdentityUpdate": st.builds(identity_update, children(), sender, _message_ids()),
        "InvolvementStarted": st.builds(started, children(), involvements(), sender, mids, st.just(False)),
        "InvolvementStarted then InvolvementEnded": st.builds(
            started, children(), involvements(), sender, mids, st.just(True)
        ),
        "CafIndicatorUpdate": st.builds(
            caf, children(), practitioners, st.one_of(st.none(), practitioners), st.booleans(), _message_ids()
        ),
    }


def _episode(token: str, child: Child, *, consent_for: str | None = None) -> CafEpisode:
    cast = Cast(token)
    consents = [
        cast.consent(practitioner=cast.mentor.practitioner_id),
        cast.consent(practitioner=cast.youth_worker.practitioner_id),
    ]
    if consent_for is not None:
        consents.append(cast.consent(organisation=consent_for))
    return cast.episode(child, consents=consents)


def _ecaf_messages(recipient: SystemRef) -> Kinds[list[Message]]:
    def transfer(token: str, child: Child, mid: str) -> list[Message]:
        cast = Cast(token)
        return [_renamed(cast.episode_transfer(_episode(token, child), recipient), mid)]

    def batch(tokens: list[str], kids: list[Child], mid: str) -> list[Message]:
        episodes = [_episode(t, c) for t, c in zip(tokens, kids, strict=False)]
        return [_renamed(Cast(tokens[0]).migration_batch(episodes, recipient), mid)]

    return {
        "EpisodeTransfer": st.builds(transfer, _tokens(), children(_OLD_ENOUGH), _message_ids()),
        "MigrationBatch": st.builds(
            batch,
            st.lists(_tokens(), min_size=1, max_size=3, unique=True),
            st.lists(children(_OLD_ENOUGH), min_size=3, max_size=3),
            _message_ids(),
        ),
    }


def _ics_messages(recipient: SystemRef, la_code: str) -> Kinds[list[Message]]:
    def referral(token: str, child: Child, mid: str) -> list[Message]:
        cast = Cast(token)
        episode = _episode(token, child, consent_for=recipient.organisation_id)
        return [_renamed(cast.social_care_referral(episode, recipient), mid)]

    def case_transfer(token: str, child: Child, mid: str) -> list[Message]:
        return [_renamed(Cast(token).case_record_transfer(child, recipient, to_la=la_code), mid)]

    return {
        "SocialCareReferral": st.builds(referral, _tokens(), children(_OLD_ENOUGH), _message_ids()),
        "CaseRecordTransfer": st.builds(case_transfer, _tokens(), children(_OLD_ENOUGH), _message_ids()),
    }


def valid_kinds(profile: str, recipient: SystemRef, la_code: str = "206") -> Kinds[list[Message]]:
    """Each kind of valid delivery `profile` receives (by name): messages new to the system, to send in order."""
    if profile == "contactpoint":
        return _directory_messages(recipient)
    if profile == "ecaf":
        return _ecaf_messages(recipient)
    if profile == "ics":
        return _ics_messages(recipient, la_code)
    raise ValueError(f"the {profile} profile receives no messages")


def valid_messages(profile: str, recipient: SystemRef, la_code: str = "206") -> st.SearchStrategy[Delivery]:
    """Valid messages of the types `profile` receives, new to the system, with the wire form to send them in."""
    return st.tuples(st.one_of(*valid_kinds(profile, recipient, la_code).values()), _WIRES)


# --- invalid messages ----------------------------------------------------------------------------------

#: A broken message and the rule a receiver must name when it rejects it.
Broken = tuple[str, Message, str]

_Mutation = Callable[..., tuple[str, Message]]


def _with_child(message: Message, child: Child) -> Message:
    return message.model_copy(update={"child": child})


def _bad_nhs(child: Child) -> Child:
    nhs = child.identifiers.nhs_number or "9434765919"
    wrong = nhs[:9] + str((int(nhs[9]) + 1) % 10)
    return child.model_copy(update={"identifiers": child.identifiers.model_copy(update={"nhs_number": wrong})})


def _bad_contactpoint_id(child: Child) -> Child:
    good = "CP4801720956"
    wrong = good[:-1] + str((int(good[-1]) + 3) % 10)
    return child.model_copy(update={"identifiers": child.identifiers.model_copy(update={"contactpoint_id": wrong})})


def _directory_breakages(recipient: SystemRef) -> Kinds[tuple[str, Message]]:
    cast = Cast("BROKEN")
    now = _now()

    def base(child: Child) -> Message:
        return cast.identity_update(child).model_copy(
            update={"header": header(MessageType.CHILD_IDENTITY_UPDATE, FEEDER_A, recipient)}
        )

    def started(child: Child, involvement: Involvement) -> InvolvementStarted:
        message = cast.involvement_started(child, involvement)
        return message.model_copy(update={"header": header(MessageType.INVOLVEMENT_STARTED, FEEDER_A, recipient)})

    def adult(child: Child, extra: int) -> tuple[str, Message]:
        born = now.date().replace(year=now.date().year - 19) - dt.timedelta(days=extra)
        return "CHILD-001", _with_child(
            base(child), child.model_copy(update={"date_of_birth": born, "expected_date_of_birth": None})
        )

    def unborn(child: Child, extra: int) -> tuple[str, Message]:
        born = now.date() + dt.timedelta(days=extra + 1)
        return "CHILD-002", _with_child(
            base(child), child.model_copy(update={"date_of_birth": born, "expected_date_of_birth": None})
        )

    def backwards(child: Child, involvement: Involvement, extra: int) -> tuple[str, Message]:
        bad = involvement.model_copy(update={"end_date": involvement.start_date - dt.timedelta(days=extra + 1)})
        return "DATE-001", started(child, bad)

    def no_basis(child: Child, involvement: Involvement, service: SensitiveService) -> tuple[str, Message]:
        bad = involvement.model_copy(
            update={"service": involvement.service.model_copy(update={"sensitive": service}), "sensitive_basis": None}
        )
        return "INV-001", started(child, bad)

    def mistyped_nhs(child: Child) -> tuple[str, Message]:
        return "ID-001", _with_child(base(child), _bad_nhs(child))

    def mistyped_cp_id(child: Child) -> tuple[str, Message]:
        return "ID-004", _with_child(base(child), _bad_contactpoint_id(child))

    def misaddressed(child: Child) -> tuple[str, Message]:
        wrong = recipient.model_copy(update={"system": SystemKind.ICS})
        message = base(child)
        return "ENV-001", message.model_copy(update={"header": message.header.model_copy(update={"recipient": wrong})})

    kids, invs, days = children(), involvements(), st.integers(0, 2000)
    return {
        "a child of 18 or over": st.builds(adult, kids, days),
        "a child born after the message": st.builds(unborn, kids, days),
        "an involvement that ends before it starts": st.builds(backwards, kids, invs, days),
        "a sensitive service with no basis": st.builds(no_basis, kids, invs, st.sampled_from(list(SensitiveService))),
        "an NHS number mistyped": st.builds(mistyped_nhs, kids),
        "a ContactPoint ID mistyped": st.builds(mistyped_cp_id, kids),
        "addressed to an ICS system": st.builds(misaddressed, kids),
    }


def _episode_breakages(wrap: Callable[[str, CafEpisode], Message]) -> Kinds[tuple[str, Message]]:
    """Breakages of the episode a message carries (F4 referral, F7 transfer, F8 batch)."""

    def lead_outside(token: str, child: Child) -> tuple[str, Message]:
        episode = _episode(token, child)
        lead = LeadProfessional(practitioner_id=f"OUTSIDER-{token}", appointed_on=episode.opened_on)
        return "CAF-001", wrap(token, episode.model_copy(update={"lead_professional": lead}))

    def shared_without_consent(token: str, child: Child) -> tuple[str, Message]:
        episode = _episode(token, child)
        return "CAF-002", wrap(token, episode.model_copy(update={"shared_with": [f"STRANGER-{token}"]}))

    def closed_without_reason(token: str, child: Child) -> tuple[str, Message]:
        episode = _episode(token, child)
        closed = episode.model_copy(update={"status": CafStatus.CLOSED, "closed_on": _now().date()})
        return "CAF-003", wrap(token, closed)

    def reason_but_open(token: str, child: Child, reason: CafClosureReason) -> tuple[str, Message]:
        episode = _episode(token, child)
        return "CAF-004", wrap(token, episode.model_copy(update={"closure_reason": reason}))

    def action_without_owner(token: str, child: Child) -> tuple[str, Message]:
        episode = _episode(token, child)
        action = CafAction(
            action_id=f"ACT-{token}", owner_id=f"NOBODY-{token}", description="Call the family", due_on=_now().date()
        )
        return "CAF-005", wrap(token, episode.model_copy(update={"actions": [action]}))

    def stored_without_consent(token: str, child: Child) -> tuple[str, Message]:
        episode = _episode(token, child)
        unconsented = [c.model_copy(update={"store_and_share": False}) for c in episode.consents]
        return "CAF-006", wrap(token, episode.model_copy(update={"consents": unconsented}))

    kids = children(_OLD_ENOUGH)
    return {
        "a lead professional outside the TAC": st.builds(lead_outside, _tokens(), kids),
        "shared with someone without consent": st.builds(shared_without_consent, _tokens(), kids),
        "closed without a reason": st.builds(closed_without_reason, _tokens(), kids),
        "a closure reason on an open episode": st.builds(
            reason_but_open, _tokens(), kids, st.sampled_from(list(CafClosureReason))
        ),
        "an action owned by nobody in the TAC": st.builds(action_without_owner, _tokens(), kids),
        "no consent to store and share": st.builds(stored_without_consent, _tokens(), kids),
    }


def _ecaf_breakages(recipient: SystemRef) -> Kinds[tuple[str, Message]]:
    kids_old = children(_OLD_ENOUGH)

    def as_transfer(token: str, episode: CafEpisode) -> Message:
        return Cast(token).episode_transfer(episode, recipient)

    def same_la(token: str, child: Child) -> tuple[str, Message]:
        message = Cast(token).episode_transfer(_episode(token, child), recipient, from_la="206", to_la="206")
        return "XFER-001", message

    def batch(token: str, kids: list[Child]) -> Any:
        episodes = [_episode(f"{token}{i}", c) for i, c in enumerate(kids)]
        return Cast(token).migration_batch(episodes, recipient)

    def miscounted(token: str, kids: list[Child], which: int) -> tuple[str, Message]:
        message = batch(token, kids)
        manifest: BatchManifest = message.manifest
        if which == 0:
            return "MIG-001", message.model_copy(
                update={"manifest": manifest.model_copy(update={"episode_count": manifest.episode_count + 1})}
            )
        if which == 1:
            return "MIG-002", message.model_copy(
                update={"manifest": manifest.model_copy(update={"consent_count": manifest.consent_count + 1})}
            )
        return "MIG-003", message.model_copy(update={"manifest": manifest.model_copy(update={"checksum": "0" * 64})})

    batches = st.lists(kids_old, min_size=1, max_size=2)

    def duplicated(token: str, child: Child) -> tuple[str, Message]:
        episode = _episode(token, child)
        cast = Cast(token)
        message = cast.migration_batch([episode, episode], recipient)
        return "MIG-004", message

    def response_without_member(token: str) -> tuple[str, Message]:
        cast = Cast(token)
        message = cast.referral_response(f"EP-{token}", f"REF-{token}", recipient)
        return "STEP-001", message.model_copy(update={"joining_member": None})

    def adult_step_down(token: str, child: Child) -> tuple[str, Message]:
        cast = Cast(token)
        born = _now().date().replace(year=_now().date().year - 19)
        episode = _episode(token, child.model_copy(update={"date_of_birth": born, "expected_date_of_birth": None}))
        return "CHILD-001", cast.step_down(episode, recipient, request=StepDownRequest.REOPEN)

    kids = kids_old
    return {
        **{f"EpisodeTransfer with {k}": v for k, v in _episode_breakages(as_transfer).items()},
        "EpisodeTransfer within one authority": st.builds(same_la, _tokens(), kids),
        "MigrationBatch with a wrong episode count": st.builds(miscounted, _tokens(), batches, st.just(0)),
        "MigrationBatch with a wrong consent count": st.builds(miscounted, _tokens(), batches, st.just(1)),
        "MigrationBatch with a wrong checksum": st.builds(miscounted, _tokens(), batches, st.just(2)),
        "MigrationBatch with an episode twice": st.builds(duplicated, _tokens(), kids),
        "SocialCareReferralResponse accepting with nobody joining": st.builds(response_without_member, _tokens()),
        "StepDown for a young person of 19": st.builds(adult_step_down, _tokens(), kids),
    }


def _ics_breakages(recipient: SystemRef, la_code: str) -> Kinds[tuple[str, Message]]:
    def as_referral(token: str, episode: CafEpisode) -> Message:
        # Consent for the ICS, of the same kind as the rest of the ledger (CAF-006 breaks it all).
        store = any(c.store_and_share for c in episode.consents)
        consent = Cast(token).consent(organisation=recipient.organisation_id, store_and_share=store)
        with_consent = episode.model_copy(update={"consents": [*episode.consents, consent]})
        return Cast(token).social_care_referral(with_consent, recipient)

    def referral_without_consent(token: str, child: Child) -> tuple[str, Message]:
        return "CAF-002", Cast(token).social_care_referral(_episode(token, child), recipient)

    def transfer_same_la(token: str, child: Child) -> tuple[str, Message]:
        message = Cast(token).case_record_transfer(child, recipient, to_la=la_code)
        return "XFER-001", message.model_copy(update={"from_la": la_code})

    def plan_backwards(token: str, child: Child, extra: int) -> tuple[str, Message]:
        message = Cast(token).case_record_transfer(child, recipient, to_la=la_code)
        start = _now().date() - dt.timedelta(days=30)
        plan = ChildPlan(
            plan_id=f"PLAN-{token}",
            plan_type=PlanType.CHILD_IN_NEED,
            start_date=start,
            end_date=start - dt.timedelta(days=extra + 1),
            summary="Support at home",
        )
        record = message.case_record.model_copy(update={"plans": [plan]})
        return "DATE-001", message.model_copy(update={"case_record": record})

    def misaddressed(token: str, child: Child) -> tuple[str, Message]:
        message = Cast(token).case_record_transfer(child, recipient, to_la=la_code)
        wrong = recipient.model_copy(update={"system": SystemKind.NATIONAL_ECAF})
        return "ENV-001", message.model_copy(update={"header": message.header.model_copy(update={"recipient": wrong})})

    kids = children(_OLD_ENOUGH)
    return {
        **{f"SocialCareReferral with {k}": v for k, v in _episode_breakages(as_referral).items()},
        "SocialCareReferral without consent for the ICS": st.builds(referral_without_consent, _tokens(), kids),
        "CaseRecordTransfer within one authority": st.builds(transfer_same_la, _tokens(), kids),
        "CaseRecordTransfer with a plan that ends before it starts": st.builds(
            plan_backwards, _tokens(), kids, st.integers(0, 300)
        ),
        "CaseRecordTransfer addressed to National eCAF": st.builds(misaddressed, _tokens(), kids),
    }


def breakage_kinds(profile: str, recipient: SystemRef, la_code: str = "206") -> Kinds[tuple[str, Message]]:
    """Each kind of breakage `profile` must reject (by name): (the rule to name, the message), under a fresh ID."""
    if profile == "contactpoint":
        breakages = _directory_breakages(recipient)
    elif profile == "ecaf":
        breakages = _ecaf_breakages(recipient)
    elif profile == "ics":
        breakages = _ics_breakages(recipient, la_code)
    else:
        raise ValueError(f"the {profile} profile receives no messages")
    return {
        name: st.tuples(strategy, _message_ids()).map(lambda drawn: (drawn[0][0], _renamed(drawn[0][1], drawn[1])))
        for name, strategy in breakages.items()
    }


def invalid_messages(profile: str, recipient: SystemRef, la_code: str = "206") -> st.SearchStrategy[Broken]:
    """Messages with one thing broken, each with the rule a receiver must name, and the wire form."""
    kinds = breakage_kinds(profile, recipient, la_code)
    return st.tuples(st.one_of(*kinds.values()), _WIRES).map(lambda drawn: (drawn[0][0], drawn[0][1], drawn[1]))
