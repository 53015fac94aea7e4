"""Hannah's story on National eCAF (seed §3.1, §4.2, §4.3), and the helpers the other eCAF tests share.

The other `test_ecaf_*` modules import the helpers from here: a clock the tests move, a
National eCAF on a fresh store, stand-ins for ContactPoint and an ICS that record what they
receive over an `InProcessTransport` (as real bytes, validated) and accept it, and a snapshot
of every table to prove a refused or failed operation stored nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from ics_interop.adapters.ecaf import NationalEcaf
from ics_interop.adapters.ecaf.users import EcafRole, UserRegistration
from ics_interop.adapters.messaging import acknowledgement_for, route_key
from ics_interop.adapters.transport import InProcessTransport
from sqlalchemy import select

from callers import sender
from ics_interop import Message, from_json, from_xml, to_xml, validate_bytes
from ics_interop.examples import HANNAH_EPISODE_ID, JOHN, LEE, LIBBY, MELANIE, STEVE, example_messages
from ics_interop.messages import (
    CafIndicatorUpdate,
    InitialAssessmentPrepopulation,
    MessageType,
    SocialCareReferral,
    SocialCareReferralResponse,
    StepDown,
    SystemRef,
)
from ics_interop.model import CafAssessment, CafEpisode, Child, ConsentRecord, Practitioner
from ics_interop.model.codes import CafResponsibility, CafStatus, ConsentDecision, ConsentGiver, SystemKind

# --- the clock and the systems ---------------------------------------------------------------

#: National eCAF's service manager: reads the management report and the access audit.
MANAGER = Practitioner.model_validate(
    {
        "practitionerId": "DCSF-NECAF-MGR",
        "name": {"givenNames": "Nadia", "familyName": "Okafor"},
        "role": "National eCAF service manager",
        "organisation": {"organisationId": "DCSF", "name": "DCSF", "agencyType": "other"},
        "contact": {"telephone": "0870 000 2288"},
    }
)


class FakeClock:
    """A clock the test moves."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def on(self, year: int, month: int, day: int, hour: int = 9) -> None:
        self.now = dt.datetime(year, month, day, hour, tzinfo=dt.UTC)

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def moment(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


NATIONAL_ECAF = SystemRef(system=SystemKind.NATIONAL_ECAF, organisation_id="DCSF", organisation_name="DCSF")
#: Islington's ICS, as the examples name it (the sender of the referral response and the step-down).
ISLINGTON_ICS = example_messages()[MessageType.SOCIAL_CARE_REFERRAL_RESPONSE].header.sender
ISLINGTON_LOCAL_ECAF = example_messages()[MessageType.EPISODE_TRANSFER].header.sender
ISLINGTON_CSC = JOHN.organisation.organisation_id


class StandIn:
    """Another system's receiver, reduced to what a test needs: it checks and records the bytes, and accepts."""

    def __init__(self, identity: SystemRef, clock: FakeClock) -> None:
        self.identity = identity
        self.clock = clock
        self.received: list[Message] = []

    def __call__(self, body: bytes, content_type: str, *, client: Any = None) -> tuple[bytes, str]:
        assert client is not None
        assert client.organisation_id == NATIONAL_ECAF.organisation_id
        report = validate_bytes(body)
        assert report.errors == 0, [f.describe() for f in report.findings]
        message = from_xml(body) if "xml" in content_type else from_json(body)
        self.received.append(message)
        ack = acknowledgement_for(message.header.message_id, self.identity, message.header.sender, [], self.clock())
        return to_xml(ack), "application/xml"

    def of_type(self, cls: type[Any]) -> list[Any]:
        return [m for m in self.received if isinstance(m, cls)]


class World:
    """National eCAF with ContactPoint and Islington's ICS standing by over in-process transports."""

    def __init__(self, url: str, clock: FakeClock) -> None:
        self.clock = clock
        self.ecaf = NationalEcaf(url, identity=NATIONAL_ECAF, clock=clock)
        self.ecaf.register_user(UserRegistration(practitioner=MANAGER, role=EcafRole.MANAGER), by=None)
        contactpoint_ref = SystemRef(system=SystemKind.CONTACTPOINT, organisation_id="DCSF")
        self.contactpoint = StandIn(contactpoint_ref, clock)
        self.ics = StandIn(ISLINGTON_ICS, clock)
        self.local_ecaf = StandIn(ISLINGTON_LOCAL_ECAF, clock)
        self.to_contactpoint = InProcessTransport(self.contactpoint, NATIONAL_ECAF)
        self.ecaf.connect("contactpoint", self.to_contactpoint)
        self.ecaf.connect(route_key(ISLINGTON_ICS), InProcessTransport(self.ics, NATIONAL_ECAF))
        self.ecaf.connect(route_key(ISLINGTON_LOCAL_ECAF), InProcessTransport(self.local_ecaf, NATIONAL_ECAF))

    @classmethod
    @contextmanager
    def opened(cls, url: str, clock: FakeClock) -> Iterator[World]:
        """A world on a fresh store, closed after the block."""
        world = cls(url, clock)
        try:
            yield world
        finally:
            world.ecaf.close()

    def pending(self) -> list[dict[str, Any]]:
        return self.ecaf.outbox.pending(self.ecaf.store)

    def pending_types(self) -> list[tuple[str, str]]:
        return [(row["message_type"], row["destination"]) for row in self.pending()]

    def receive(self, message: Message, *, form: str = "xml") -> Any:
        """Deliver a message's bytes to National eCAF; the acknowledgement, decoded."""
        from ics_interop import to_json

        body = to_xml(message) if form == "xml" else to_json(message)
        reply, content_type = self.ecaf.receiver.receive(body, f"application/{form}", client=sender(body))
        return from_xml(reply) if "xml" in content_type else from_json(reply)

    def read(self, episode_id: str = HANNAH_EPISODE_ID, reader: Practitioner = MELANIE) -> CafEpisode:
        return self.ecaf.read_episode(episode_id, reader, "test: check the episode")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(moment(2010, 2, 10))


@pytest.fixture
def world(store_url: str, clock: FakeClock) -> Iterator[World]:
    with World.opened(store_url, clock) as opened:
        yield opened


def snapshot(ecaf: NationalEcaf, *, tables: tuple[str, ...] | None = None) -> dict[str, list[Any]]:
    """Every row of National eCAF's tables (or the named ones), in a comparable form."""
    found = {}
    with ecaf.store.reading() as connection:
        for table in ecaf.tables.metadata.sorted_tables:
            if tables is not None and table.name not in tables:
                continue
            rows = connection.execute(select(table)).mappings().all()
            found[table.name] = sorted(repr(sorted(dict(r).items())) for r in rows)
    return found


# --- Hannah's CAF, as Melanie logs it ----------------------------------------------------------

_EXAMPLE_EPISODE = example_messages()[MessageType.SOCIAL_CARE_REFERRAL].episode  # type: ignore[attr-defined]
HANNAH_AT_NECAF: Child = _EXAMPLE_EPISODE.child
ASSESSMENT: CafAssessment = _EXAMPLE_EPISODE.assessment


def consent(
    consent_id: str,
    *,
    practitioner: Practitioner | None = None,
    organisation_id: str | None = None,
    decision: ConsentDecision = ConsentDecision.GIVEN,
    on: dt.date = dt.date(2010, 2, 10),
    store_and_share: bool = True,
) -> ConsentRecord:
    return ConsentRecord(
        consent_id=consent_id,
        decision=decision,
        given_by=ConsentGiver.CHILD,
        practitioner_id=practitioner.practitioner_id if practitioner else None,
        organisation_id=organisation_id,
        recorded_on=on,
        store_and_share=store_and_share,
    )


def log_hannah(world: World, *, episode_id: str = HANNAH_EPISODE_ID, child: Child = HANNAH_AT_NECAF) -> CafEpisode:
    """Melanie records the common assessment, with Hannah's consent for her (seed §3.1)."""
    return world.ecaf.log_episode(
        child=child,
        assessment=ASSESSMENT,
        consents=[consent(f"{episode_id}-C1", practitioner=MELANIE)],
        by=MELANIE,
        episode_id=episode_id,
        opened_on=dt.date(2010, 2, 10),
    )


def form_the_tac(world: World, episode_id: str = HANNAH_EPISODE_ID) -> CafEpisode:
    """The TAC meeting: Melanie, Lee and Steve join, with Hannah's consent for Lee and Steve; Melanie leads."""
    ecaf = world.ecaf
    ecaf.record_consent(episode_id, consent(f"{episode_id}-C2", practitioner=LEE), by=MELANIE)
    ecaf.record_consent(episode_id, consent(f"{episode_id}-C3", practitioner=STEVE), by=MELANIE)
    for member in (MELANIE, LEE, STEVE):
        ecaf.add_tac_member(episode_id, member, by=MELANIE)
    return ecaf.appoint_lead_professional(episode_id, MELANIE.practitioner_id, by=MELANIE)


# --- the story ---------------------------------------------------------------------------------


def test_hannahs_caf_from_assessment_to_stepping_down(world: World, clock: FakeClock) -> None:
    ecaf = world.ecaf
    # Melanie records the CAF; ContactPoint is told a CAF exists, with Melanie's contact.
    log_hannah(world)
    clock.on(2010, 2, 17)
    form_the_tac(world)
    ecaf.add_action(
        HANNAH_EPISODE_ID,
        owner_id=LEE.practitioner_id,
        description="Contact a young carers' group about a place for Hannah.",
        due_on=dt.date(2010, 3, 5),
        by=MELANIE,
    )
    # With Hannah's consent, Lee can see the CAF and update his own action; Libby joins later.
    ecaf.share_with(HANNAH_EPISODE_ID, LEE.practitioner_id, by=MELANIE)
    clock.on(2010, 3, 3)
    ecaf.record_consent(HANNAH_EPISODE_ID, consent("C-LIBBY", practitioner=LIBBY, on=dt.date(2010, 3, 3)), by=MELANIE)
    ecaf.add_tac_member(HANNAH_EPISODE_ID, LIBBY, by=MELANIE)
    ecaf.share_with(HANNAH_EPISODE_ID, LIBBY.practitioner_id, by=MELANIE)
    assert world.ecaf.read_episode(HANNAH_EPISODE_ID, LIBBY, "update my action").shared_with == [
        LEE.practitioner_id,
        LIBBY.practitioner_id,
    ]

    # Three months on: the review agrees a referral to social care, with Hannah's consent for it.
    clock.on(2010, 5, 17)
    ecaf.record_review(HANNAH_EPISODE_ID, summary="Hannah still does most of the housework.", by=MELANIE)
    ecaf.record_consent(
        HANNAH_EPISODE_ID, consent("C-CSC", organisation_id=ISLINGTON_CSC, on=dt.date(2010, 5, 17)), by=MELANIE
    )
    clock.on(2010, 5, 19)
    referral_id = ecaf.refer_to_social_care(
        HANNAH_EPISODE_ID, MELANIE, "A specialist young carer's assessment.", ISLINGTON_ICS
    )
    world.ecaf.deliver()
    [referral] = world.ics.of_type(SocialCareReferral)
    assert referral.referral_id == referral_id
    assert referral.episode.episode_id == HANNAH_EPISODE_ID

    # John joins the TAC; the episode stays open as social care's responsibility (seed §4.2).
    clock.on(2010, 5, 24)
    response = example_messages()[MessageType.SOCIAL_CARE_REFERRAL_RESPONSE]
    assert isinstance(response, SocialCareReferralResponse)
    ack = world.receive(response.model_copy(update={"referral_id": referral_id}))
    assert ack.status.value == "accepted", ack.findings
    episode = world.read()
    assert episode.responsibility is CafResponsibility.SOCIAL_CARE
    assert episode.status is CafStatus.OPEN
    assert JOHN.practitioner_id in [m.practitioner.practitioner_id for m in episode.tac_members]

    # John asks for the CAF as a head start on his initial assessment (F5).
    ecaf.offer_to_initial_assessment(HANNAH_EPISODE_ID, JOHN, ISLINGTON_ICS)
    world.ecaf.deliver()
    [offer] = world.ics.of_type(InitialAssessmentPrepopulation)
    assert offer.assessment == ASSESSMENT
    assert [c.organisation_id for c in offer.consents] == [ISLINGTON_CSC]

    # Social care steps down with needs outstanding: the CAF lead is responsible again (seed §4.3).
    clock.on(2010, 10, 1)
    step_down = example_messages()[MessageType.STEP_DOWN]
    assert isinstance(step_down, StepDown)
    assert world.receive(step_down, form="json").status.value == "accepted"
    episode = world.read()
    assert episode.responsibility is CafResponsibility.CAF_LEAD
    assert all(need in episode.reviews[-1].summary for need in step_down.outstanding_needs)

    # ContactPoint heard of the CAF when it was logged and when Melanie became lead professional: never its content.
    world.ecaf.deliver()
    updates = world.contactpoint.of_type(CafIndicatorUpdate)
    assert [(u.caf_exists, u.completed_by.practitioner_id) for u in updates] == [
        (True, MELANIE.practitioner_id),
        (True, MELANIE.practitioner_id),
    ]
    assert updates[0].lead_professional is None
    assert updates[1].lead_professional == MELANIE

    # Every access is on the audit: Libby's read, with her reason.
    log = ecaf.access_log(HANNAH_EPISODE_ID, by=MANAGER)
    assert any(
        r.action == "read" and r.practitioner_id == LIBBY.practitioner_id and r.reason == "update my action"
        for r in log
    )


def test_the_export_list_is_complete() -> None:
    import ics_interop.adapters.ecaf as ecaf

    for name in ecaf.__all__:
        assert hasattr(ecaf, name), name
    assert {"NationalEcaf", "ConsentRefused", "MigrationReport"} <= set(ecaf.__all__)
