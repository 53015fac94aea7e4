"""The people, systems and messages the suite plays with: Hannah's story, re-cast afresh for each check.

Each check makes its own `Cast` (a token in every name and ID), so checks never see each
other's children, even on a system that cannot be reset (a vendor's service over HTTP). The
suite plays the systems around the one under test; their identities are fixed, so a vendor
can route what its system sends to the suite's receiver (`SUITE_ROUTES`).
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
import uuid
from collections.abc import Sequence

from ics_interop.examples import HANNAH, MOTHER, example_messages
from ics_interop.messages import (
    SCHEMA_VERSION,
    BatchManifest,
    CafIndicatorUpdate,
    CaseRecordTransfer,
    ChildIdentityUpdate,
    Envelope,
    EpisodeTransfer,
    InitialAssessmentPrepopulation,
    InvolvementEnded,
    InvolvementStarted,
    MessageType,
    MigrationBatch,
    SocialCareReferral,
    SocialCareReferralResponse,
    StepDown,
    StepDownRequest,
    StepUpDecision,
    SystemRef,
)
from ics_interop.model import (
    Address,
    AssessmentDimension,
    CafAssessment,
    CafEpisode,
    CaseRecord,
    Child,
    ChildIdentifiers,
    ChronologyEntry,
    ConsentRecord,
    ContactDetails,
    DimensionFinding,
    IcsContact,
    IcsReferral,
    InitialAssessment,
    Involvement,
    LeadProfessional,
    Organisation,
    PersonName,
    Practitioner,
    Service,
    TacMember,
    Team,
)
from ics_interop.model.codes import (
    AgencyType,
    CafStatus,
    ConsentDecision,
    ConsentGiver,
    PrimaryNeed,
    ReferralSource,
    SensitiveBasis,
    SensitiveService,
    SystemKind,
)
from ics_interop.model.identifiers import nhs_number_check_digit, upn_check_letter

__all__ = [
    "FEEDER_A",
    "FEEDER_B",
    "SUITE_CONTACTPOINT",
    "SUITE_ICS",
    "SUITE_LOCAL_ECAF",
    "SUITE_NATIONAL_ECAF",
    "SUITE_ROUTES",
    "Cast",
    "header",
]

_DCSF = "DCSF"
#: ContactPoint, as the suite plays it.
SUITE_CONTACTPOINT = SystemRef(system=SystemKind.CONTACTPOINT, organisation_id=_DCSF, organisation_name="ContactPoint")
#: National eCAF, as the suite plays it (for an ICS system under test).
SUITE_NATIONAL_ECAF = SystemRef(
    system=SystemKind.NATIONAL_ECAF, organisation_id=_DCSF, organisation_name="National eCAF"
)
#: Another authority's ICS system, as the suite plays it (referrals, case transfers).
SUITE_ICS = SystemRef(
    system=SystemKind.ICS, organisation_id="LA204-CSC", organisation_name="Conformance suite: Hackney ICS"
)
#: Another authority's local eCAF, as the suite plays it (episode transfers, migration).
SUITE_LOCAL_ECAF = SystemRef(
    system=SystemKind.LOCAL_ECAF, organisation_id="LA204", organisation_name="Conformance suite: Hackney local eCAF"
)
#: Two local systems feeding ContactPoint, as the suite plays them.
FEEDER_A = SystemRef(system=SystemKind.FEED_SOURCE, organisation_id="CONF-FEED-A", organisation_name="School MIS")
FEEDER_B = SystemRef(system=SystemKind.FEED_SOURCE, organisation_id="CONF-FEED-B", organisation_name="Health system")

#: The outbox routes a system under test must deliver to the suite's receiver (route_key of each identity).
SUITE_ROUTES = ("contactpoint", "national-ecaf", "ics:LA204-CSC", "local-ecaf:LA204")

_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def header(
    message_type: MessageType,
    sender: SystemRef,
    recipient: SystemRef,
    *,
    created_at: dt.datetime | None = None,
    correlation_id: str | None = None,
) -> Envelope:
    """A fresh envelope (a new message ID)."""
    return Envelope(
        message_id=str(uuid.uuid4()),
        message_type=message_type,
        schema_version=SCHEMA_VERSION,
        sender=sender,
        recipient=recipient,
        created_at=created_at or dt.datetime.now(dt.UTC).replace(microsecond=0),
        correlation_id=correlation_id,
    )


def _years_before(day: dt.date, years: int, days: int = 0) -> dt.date:
    try:
        shifted = day.replace(year=day.year - years)
    except ValueError:
        shifted = dt.date(day.year - years, 3, 1)
    return shifted - dt.timedelta(days=days)


class Cast:
    """A fresh set of children, practitioners and organisations for one check."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token or "".join(secrets.choice(string.ascii_uppercase) for _ in range(6))
        self.today = dt.datetime.now(dt.UTC).date()
        self._serial = 0
        t = self.token
        self.school = Organisation(
            organisation_id=f"SCH-{t}", name="Conformance Park School", agency_type=AgencyType.EDUCATION, la_code="204"
        )
        self.youth_service = Organisation(
            organisation_id=f"YS-{t}", name="Youth service", agency_type=AgencyType.YOUTH_SERVICE, la_code="204"
        )
        self.clinic = Organisation(
            organisation_id=f"SHC-{t}", name="Young people's clinic", agency_type=AgencyType.HEALTH, la_code="204"
        )
        self.social_care = Organisation(
            organisation_id=SUITE_ICS.organisation_id,
            name="Hackney children's social care",
            agency_type=AgencyType.SOCIAL_CARE,
            la_code="204",
        )
        self.mentor = self.practitioner("MENTOR", "Melanie", "Learning mentor", self.school)
        self.youth_worker = self.practitioner("YOUTH", "Lee", "Youth worker", self.youth_service)
        self.nurse = self.practitioner("NURSE", "Nadia", "Nurse", self.clinic)
        self.social_worker = self.practitioner("SW", "John", "Social worker", self.social_care)

    # --- identifiers and names ------------------------------------------------------------------

    def serial(self, prefix: str) -> str:
        """A fresh identifier of this cast, for example 'EP-ABCDEF-3'."""
        self._serial += 1
        return f"{prefix}-{self.token}-{self._serial}"

    @staticmethod
    def nhs_number() -> str:
        """A fresh NHS number with a correct check digit."""
        while True:
            first_nine = "".join(secrets.choice(string.digits) for _ in range(9))
            check = nhs_number_check_digit(first_nine)
            if check is not None:
                return first_nine + check

    @staticmethod
    def upn() -> str:
        """A fresh UPN (Hackney's LA code) with a correct check letter."""
        tail = "204" + "".join(secrets.choice(string.digits) for _ in range(9))
        return upn_check_letter(tail) + tail

    @staticmethod
    def postcode() -> str:
        """A fresh, well-formed London postcode."""
        return f"E{secrets.randbelow(19) + 1} {secrets.randbelow(10)}" + "".join(
            secrets.choice(_POSTCODE_LETTERS) for _ in range(2)
        )

    def family_name(self, extra: str = "") -> str:
        """A family name no other check uses."""
        return f"Mills{self.token.capitalize()}{extra}"

    def practitioner(self, key: str, given: str, role: str, organisation: Organisation) -> Practitioner:
        """A practitioner of this cast."""
        return Practitioner(
            practitioner_id=f"{key}-{self.token}",
            name=PersonName(given_names=given, family_name=f"Worker{self.token.capitalize()}"),
            role=role,
            organisation=organisation,
            contact=ContactDetails(telephone="020 7946 0312", email=f"{key.lower()}.{self.token.lower()}@conf.example"),
        )

    # --- children -------------------------------------------------------------------------------

    def child(
        self,
        *,
        given: str = "Hannah",
        family: str | None = None,
        born: dt.date | None = None,
        postcode: str | None = None,
        nhs_number: str | None = None,
        upn: bool = False,
        identifiers: bool = True,
    ) -> Child:
        """A child of ten (unless `born` says otherwise), at an address with a fresh postcode."""
        ids = ChildIdentifiers(
            nhs_number=(nhs_number or self.nhs_number()) if identifiers else None,
            upn=self.upn() if upn and identifiers else None,
        )
        return HANNAH.model_copy(
            update={
                "identifiers": ids,
                "name": PersonName(given_names=given, family_name=family or self.family_name()),
                "former_names": [],
                "date_of_birth": born or _years_before(self.today, 10, days=40),
                "expected_date_of_birth": None,
                "address": Address(
                    lines=["4 Wren House", "Calverley Street", "London"], postcode=postcode or self.postcode()
                ),
                "last_known_address": None,
                "no_known_address": None,
                "left_england": None,
                "parents_carers": [MOTHER],
            }
        )

    def born_years_ago(self, years: int, days: int = 0) -> dt.date:
        """A date of birth `years` years (and `days` days more) before today."""
        return _years_before(self.today, years, days)

    def years_on(self, years: int) -> dt.date:
        """The day `years` years after today (29 February becomes 1 March, as the law reads birthdays)."""
        return _years_before(self.today, -years)

    # --- F1, F2, F3 messages --------------------------------------------------------------------

    def identity_update(
        self,
        child: Child,
        *,
        sender: SystemRef = FEEDER_A,
        created_at: dt.datetime | None = None,
        died_on: dt.date | None = None,
    ) -> ChildIdentityUpdate:
        """F1: the child's details."""
        return ChildIdentityUpdate(
            header=header(MessageType.CHILD_IDENTITY_UPDATE, sender, SUITE_CONTACTPOINT, created_at=created_at),
            child=child,
            died_on=died_on,
        )

    def involvement(
        self,
        *,
        practitioner: Practitioner | None = None,
        team: Team | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        sensitive: SensitiveService | None = None,
        basis: SensitiveBasis | None = None,
    ) -> Involvement:
        """An involvement of this cast's youth service (or of a sensitive service, at the clinic)."""
        worker = practitioner or (self.nurse if sensitive else self.youth_worker)
        organisation = worker.organisation
        return Involvement(
            involvement_id=self.serial("INV"),
            service=Service(
                service_id=f"SVC-{organisation.organisation_id}",
                name="Sexual health clinic" if sensitive else "Youth service",
                agency_type=organisation.agency_type,
                organisation=organisation,
                sensitive=sensitive,
            ),
            practitioner=None if team is not None else worker,
            team=team,
            start_date=start or self.today - dt.timedelta(days=30),
            end_date=end,
            sensitive_basis=basis,
        )

    def involvement_started(
        self, child: Child, involvement: Involvement, *, sender: SystemRef = FEEDER_A
    ) -> InvolvementStarted:
        """F1: a service starts working with the child."""
        return InvolvementStarted(
            header=header(MessageType.INVOLVEMENT_STARTED, sender, SUITE_CONTACTPOINT),
            child=child,
            involvement=involvement,
        )

    def involvement_ended(
        self, child: Child, involvement: Involvement, end: dt.date, *, sender: SystemRef = FEEDER_A
    ) -> InvolvementEnded:
        """F1: the service stopped working with the child."""
        return InvolvementEnded(
            header=header(MessageType.INVOLVEMENT_ENDED, sender, SUITE_CONTACTPOINT),
            child=child,
            involvement_id=involvement.involvement_id,
            start_date=involvement.start_date,
            end_date=end,
        )

    def caf_indicator(
        self,
        child: Child,
        *,
        exists: bool = True,
        lead: Practitioner | None = None,
        sender: SystemRef = SUITE_NATIONAL_ECAF,
    ) -> CafIndicatorUpdate:
        """F3: a CAF exists (or not), who completed it, the lead professional."""
        return CafIndicatorUpdate(
            header=header(MessageType.CAF_INDICATOR_UPDATE, sender, SUITE_CONTACTPOINT),
            child=child,
            caf_exists=exists,
            updated_on=self.today,
            completed_by=self.mentor,
            lead_professional=lead,
        )

    # --- CAF episodes ---------------------------------------------------------------------------

    def consent(
        self,
        *,
        practitioner: str | None = None,
        organisation: str | None = None,
        decision: ConsentDecision = ConsentDecision.GIVEN,
        store_and_share: bool = True,
        on: dt.date | None = None,
    ) -> ConsentRecord:
        """A consent decision by the child, for a practitioner or an organisation."""
        return ConsentRecord(
            consent_id=self.serial("CON"),
            decision=decision,
            given_by=ConsentGiver.CHILD,
            practitioner_id=practitioner,
            organisation_id=organisation if practitioner is None else None,
            recorded_on=on or self.today - dt.timedelta(days=20),
            store_and_share=store_and_share,
        )

    def assessment(self, assessor: Practitioner | None = None) -> CafAssessment:
        """Hannah's common assessment, re-cast: every domain with its elements."""
        episode = example_messages()[MessageType.SOCIAL_CARE_REFERRAL]
        assert isinstance(episode, SocialCareReferral)
        assert episode.episode.assessment is not None
        return episode.episode.assessment.model_copy(
            update={
                "assessment_id": self.serial("ASM"),
                "assessment_date": self.today - dt.timedelta(days=20),
                "assessor": assessor or self.mentor,
            }
        )

    def episode(
        self,
        child: Child,
        *,
        consents: Sequence[ConsentRecord] | None = None,
        opened_on: dt.date | None = None,
        with_lead: bool = True,
        with_assessment: bool = True,
    ) -> CafEpisode:
        """An open episode: the assessment, the mentor (lead) and the youth worker in the TAC, consent for both."""
        opened = opened_on or self.today - dt.timedelta(days=25)
        joined = max(opened, self.today - dt.timedelta(days=20))
        members = [
            TacMember(practitioner=self.mentor, joined_on=joined),
            TacMember(practitioner=self.youth_worker, joined_on=joined),
        ]
        ledger = (
            list(consents)
            if consents is not None
            else [
                self.consent(practitioner=self.mentor.practitioner_id),
                self.consent(practitioner=self.youth_worker.practitioner_id),
            ]
        )
        return CafEpisode(
            episode_id=self.serial("EP"),
            child=child,
            status=CafStatus.OPEN,
            opened_on=opened,
            assessment=self.assessment() if with_assessment else None,
            consents=ledger,
            tac_members=members,
            lead_professional=LeadProfessional(practitioner_id=self.mentor.practitioner_id, appointed_on=joined)
            if with_lead
            else None,
        )

    # --- F4–F9 messages -------------------------------------------------------------------------

    def social_care_referral(
        self, episode: CafEpisode, to: SystemRef, *, sender: SystemRef = SUITE_NATIONAL_ECAF
    ) -> SocialCareReferral:
        """F4: a referral to the ICS `to`, with the episode (consent for `to` must be on its ledger)."""
        return SocialCareReferral(
            header=header(MessageType.SOCIAL_CARE_REFERRAL, sender, to),
            referral_id=self.serial("NREF"),
            referral_date=self.today,
            referred_by=self.mentor,
            reason="Young carer: the family needs support at home",
            episode=episode,
        )

    def prepopulation(
        self, episode: CafEpisode, to: SystemRef, requested_by: Practitioner, *, sender: SystemRef = SUITE_NATIONAL_ECAF
    ) -> InitialAssessmentPrepopulation:
        """F5: the episode's assessment offered to the ICS `to`, with consent for its organisation."""
        assert episode.assessment is not None
        return InitialAssessmentPrepopulation(
            header=header(MessageType.INITIAL_ASSESSMENT_PREPOPULATION, sender, to),
            episode_id=episode.episode_id,
            child=episode.child,
            assessment=episode.assessment,
            consents=[self.consent(organisation=to.organisation_id)],
            requested_by=requested_by,
        )

    def referral_response(
        self,
        episode_id: str,
        referral_id: str,
        to: SystemRef,
        *,
        decision: StepUpDecision = StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE,
        member: Practitioner | None = None,
        correlation_id: str | None = None,
    ) -> SocialCareReferralResponse:
        """F4: the suite's ICS answers a referral the eCAF `to` sent."""
        joining = member if member is not None else self.social_worker
        return SocialCareReferralResponse(
            header=header(MessageType.SOCIAL_CARE_REFERRAL_RESPONSE, SUITE_ICS, to, correlation_id=correlation_id),
            episode_id=episode_id,
            referral_id=referral_id,
            ics_referral_id=self.serial("IREF"),
            joining_member=None
            if decision is StepUpDecision.NOT_ACCEPTED
            else TacMember(practitioner=joining, joined_on=self.today),
            decision=decision,
            decided_on=self.today,
        )

    def step_down(self, episode: CafEpisode, to: SystemRef, *, request: StepDownRequest) -> StepDown:
        """F6: the suite's ICS hands needs back to the episode held by `to`."""
        return StepDown(
            header=header(MessageType.STEP_DOWN, SUITE_ICS, to),
            episode_id=episode.episode_id,
            child=episode.child,
            social_worker=self.social_worker,
            social_care_ended_on=self.today,
            outstanding_needs=[f"Help with homework deadlines ({self.token})", "A young carers' group"],
            request=request,
        )

    def episode_transfer(
        self,
        episode: CafEpisode,
        to: SystemRef,
        *,
        sender: SystemRef = SUITE_LOCAL_ECAF,
        from_la: str = "204",
        to_la: str = "206",
    ) -> EpisodeTransfer:
        """F7: an episode moving to the eCAF `to`."""
        return EpisodeTransfer(
            header=header(MessageType.EPISODE_TRANSFER, sender, to),
            from_la=from_la,
            to_la=to_la,
            reason="The family moved",
            episode=episode,
        )

    def migration_batch(
        self, episodes: Sequence[CafEpisode], to: SystemRef, *, sender: SystemRef = SUITE_LOCAL_ECAF
    ) -> MigrationBatch:
        """F8: local episodes migrated into National eCAF, with a true manifest."""
        listed = list(episodes)
        return MigrationBatch(
            header=header(MessageType.MIGRATION_BATCH, sender, to),
            manifest=BatchManifest.for_episodes(self.serial("BATCH"), listed),
            episodes=listed,
        )

    def case_record(self, child: Child) -> CaseRecord:
        """A case record of the suite's ICS for `child`: a contact, a referral, an initial assessment, a chronology."""
        start = self.today - dt.timedelta(days=60)
        return CaseRecord(
            case_id=self.serial("CASE"),
            child=child,
            allocated_worker=self.social_worker,
            contacts=[
                IcsContact(
                    contact_id=self.serial("CON"),
                    contact_date=start,
                    source=ReferralSource.SCHOOLS,
                    summary="The school is worried about a young carer",
                )
            ],
            referrals=[
                IcsReferral(
                    referral_id=self.serial("REF"),
                    referral_date=start + dt.timedelta(days=2),
                    source=ReferralSource.SCHOOLS,
                    primary_need=PrimaryNeed.PARENTAL_DISABILITY_OR_ILLNESS,
                    reason="Young carer for a parent who is ill",
                )
            ],
            initial_assessments=[
                InitialAssessment(
                    assessment_id=self.serial("IA"),
                    started_on=start + dt.timedelta(days=3),
                    completed_on=start + dt.timedelta(days=10),
                    findings=[
                        DimensionFinding(dimension=AssessmentDimension.EDUCATION, finding="Attendance is falling")
                    ],
                    summary="Services to support the family at home",
                )
            ],
            chronology=[
                ChronologyEntry(entry_date=start, event="Contact from the school"),
                ChronologyEntry(entry_date=start + dt.timedelta(days=2), event="Referral"),
            ],
        )

    def case_record_transfer(self, child: Child, to: SystemRef, *, to_la: str) -> CaseRecordTransfer:
        """F9: the suite's ICS sends a case record to the ICS `to`."""
        return CaseRecordTransfer(
            header=header(MessageType.CASE_RECORD_TRANSFER, SUITE_ICS, to),
            from_la="204",
            to_la=to_la,
            reason="The family moved",
            case_record=self.case_record(child),
        )
