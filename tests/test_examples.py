"""The shipped examples: one per message type, valid everywhere, current, and true to Hannah's story."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, TypeVar

import pytest
import xmlschema
from jsonschema import Draft202012Validator
from lxml import etree

from ics_interop import MESSAGE_CLASSES, MessageType, from_json, from_xml, run_rules, validate_path
from ics_interop.examples import (
    CAMDEN,
    HACKNEY,
    HANNAH,
    HANNAH_EPISODE_ID,
    ISLINGTON,
    JOHN,
    LEE,
    LIBBY,
    MELANIE,
    SOCIAL_CARE_DUTY_TEAM,
    SOCIAL_CARE_INVOLVEMENT,
    STEVE,
    example_files,
    example_messages,
    social_care_involvement_started,
)
from ics_interop.messages import (
    Acknowledgement,
    AcknowledgementStatus,
    BatchManifest,
    CafIndicatorUpdate,
    CaseRecordTransfer,
    ChildIdentityUpdate,
    EpisodeTransfer,
    InitialAssessmentPrepopulation,
    InvolvementEnded,
    InvolvementStarted,
    Message,
    MigrationBatch,
    SocialCareReferral,
    SocialCareReferralResponse,
    StepDown,
    StepDownRequest,
    StepUpDecision,
)
from ics_interop.model.codes import AgencyType, CafStatus, CinClosureReason, PlanType, SystemKind
from ics_interop.model.identifiers import (
    is_known_la_code,
    is_valid_contactpoint_id,
    is_valid_nhs_number,
    is_valid_upn,
)
from ics_interop.rules.checks import consent_holders
from ics_interop.schemagen import EXAMPLES_FOLDER, XSD_FILE, check_schemas, json_schema_validator, version_folder
from ics_interop.schemas_path import schemas_root

TYPES = list(MESSAGE_CLASSES)
VERSION_DIR = schemas_root() / version_folder()
EXAMPLES_DIR = VERSION_DIR / EXAMPLES_FOLDER

M = TypeVar("M", bound=Message)
UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"  # canonical, lower case


def example(kind: type[M]) -> M:
    message = example_messages()[kind.message_type]
    assert isinstance(message, kind)
    return message


def age_on(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@pytest.fixture(scope="module")
def xsd() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(VERSION_DIR / XSD_FILE))


@pytest.fixture(scope="module")
def lxml_xsd() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(VERSION_DIR / XSD_FILE)))


def json_validator(message_type: MessageType) -> Draft202012Validator:
    validator: Draft202012Validator = json_schema_validator(message_type, VERSION_DIR / "json")
    return validator


# --- every message type: shipped, valid, and the same model in both formats -----------------------


def test_there_is_one_example_per_message_type() -> None:
    messages = example_messages()
    assert list(messages) == TYPES
    for message_type, message in messages.items():
        assert type(message) is MESSAGE_CLASSES[message_type]
    assert set(example_files()) == {f"{t.value}.{ext}" for t in TYPES for ext in ("xml", "json")}


@pytest.mark.parametrize("message_type", TYPES, ids=str)
def test_both_files_are_shipped_as_generated(message_type: MessageType) -> None:
    files = example_files()
    for ext in ("xml", "json"):
        path = EXAMPLES_DIR / f"{message_type.value}.{ext}"
        assert path.is_file(), f"{path} is missing: run `ics-interop schema generate`"
        assert path.read_bytes() == files[path.name], f"{path} is stale: run `ics-interop schema generate`"


@pytest.mark.parametrize("message_type", TYPES, ids=str)
def test_the_xml_is_valid_against_the_xsd(
    message_type: MessageType, xsd: xmlschema.XMLSchema, lxml_xsd: etree.XMLSchema
) -> None:
    path = EXAMPLES_DIR / f"{message_type.value}.xml"
    xsd.validate(str(path))
    document = etree.parse(str(path))
    assert lxml_xsd.validate(document), lxml_xsd.error_log


@pytest.mark.parametrize("message_type", TYPES, ids=str)
def test_the_json_is_valid_against_its_json_schema(message_type: MessageType) -> None:
    data = json.loads((EXAMPLES_DIR / f"{message_type.value}.json").read_bytes())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in json_validator(message_type).iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize("message_type", TYPES, ids=str)
@pytest.mark.parametrize("ext", ["xml", "json"])
def test_the_validator_finds_nothing(message_type: MessageType, ext: str) -> None:
    report = validate_path(EXAMPLES_DIR / f"{message_type.value}.{ext}")
    assert report.unusable is None
    assert report.records == 1
    assert [f.to_dict() for f in report.findings] == []


@pytest.mark.parametrize("message_type", TYPES, ids=str)
def test_xml_and_json_decode_to_the_example(message_type: MessageType) -> None:
    expected = example_messages()[message_type]
    from_xml_file = from_xml((EXAMPLES_DIR / f"{message_type.value}.xml").read_bytes())
    from_json_file = from_json((EXAMPLES_DIR / f"{message_type.value}.json").read_bytes())
    assert from_xml_file == expected
    assert from_json_file == expected
    assert from_xml_file == from_json_file


@pytest.mark.parametrize("message_type", TYPES, ids=str)
def test_the_example_breaks_no_rule_and_goes_where_its_type_may(message_type: MessageType) -> None:
    message = example_messages()[message_type]
    assert list(run_rules(message)) == []  # no errors and no warnings
    assert message.header.recipient.system in message.recipients


def test_the_schemas_and_examples_are_current() -> None:
    assert check_schemas(schemas_root()) == []


def test_a_stray_or_changed_example_is_reported(tmp_path: Path) -> None:
    from ics_interop.schemagen import write_schemas

    write_schemas(tmp_path)
    assert check_schemas(tmp_path) == []
    folder = tmp_path / version_folder() / EXAMPLES_FOLDER
    (folder / "Obsolete.xml").write_bytes(b"<Obsolete/>")
    (folder / ".gitkeep").write_bytes(b"")
    (folder / "StepDown.json").write_bytes(b"{}\n")
    (folder / "Acknowledgement.xml").unlink()
    problems = check_schemas(tmp_path)
    assert sorted(problems) == sorted(
        [
            f"{version_folder()}/examples/Obsolete.xml: no example generates it (stale)",
            f"{version_folder()}/examples/StepDown.json: differs from what the models generate",
            f"{version_folder()}/examples/Acknowledgement.xml: missing",
        ]
    )


# --- deterministic, independent, well-formed identifiers -------------------------------------------


def test_the_examples_are_deterministic_and_independent() -> None:
    assert example_files() == example_files()
    changed = example(ChildIdentityUpdate)
    changed.child.name.given_names = "Changed"
    assert example(ChildIdentityUpdate).child.name.given_names == "Hannah Louise"
    assert HANNAH.name.given_names == "Hannah Louise"


def test_headers_are_fixed_uuids_and_utc_times_in_2009_and_2010() -> None:
    messages = [*example_messages().values(), social_care_involvement_started()]
    ids = [m.header.message_id for m in messages]
    assert len(set(ids)) == len(ids)
    for message in messages:
        assert re.fullmatch(UUID4, message.header.message_id)
        assert message.header.created_at.utcoffset() == dt.timedelta(0)
        assert message.header.created_at.year in (2009, 2010)


def _values(data: Any, key: str) -> list[str]:
    if isinstance(data, dict):
        found = [v for k, v in data.items() if k == key and isinstance(v, str)]
        return found + [x for v in data.values() for x in _values(v, key)]
    if isinstance(data, list):
        return [x for v in data for x in _values(v, key)]
    return []


def test_every_identifier_is_valid() -> None:
    every = [json.loads(data) for name, data in example_files().items() if name.endswith(".json")]
    nhs = {v for d in every for v in _values(d, "nhsNumber")}
    upns = {v for d in every for v in _values(d, "upn")}
    cp_ids = {v for d in every for v in _values(d, "contactpointId")}
    las = {v for d in every for v in [*_values(d, "laCode"), *_values(d, "fromLa"), *_values(d, "toLa")]}
    assert nhs
    assert upns
    assert cp_ids
    assert las
    assert all(is_valid_nhs_number(v) and v.startswith("999") for v in nhs)  # the NHS test range
    assert all(is_valid_upn(v) and is_known_la_code(v[1:4]) for v in upns)
    assert all(is_valid_contactpoint_id(v) for v in cp_ids)
    assert all(is_known_la_code(v) for v in las)
    assert las == {CAMDEN, ISLINGTON, HACKNEY}


# --- the story holds together -------------------------------------------------------------------------


def test_hannah_is_15_in_autumn_2009_and_lives_in_the_neighbouring_borough() -> None:
    assert HANNAH.date_of_birth is not None
    assert age_on(HANNAH.date_of_birth, dt.date(2009, 10, 1)) == 15
    assert HANNAH.identifiers.upn is not None
    assert HANNAH.identifiers.upn[1:4] == ISLINGTON
    assert MELANIE.organisation.la_code == CAMDEN
    for practitioner in (JOHN, LEE, STEVE, LIBBY):
        assert practitioner.organisation.la_code == ISLINGTON
    assert [p.relationship.value for p in HANNAH.parents_carers] == ["mother"]
    assert HANNAH.parents_carers[0].has_parental_responsibility
    agencies = {p.organisation.agency_type for p in (MELANIE, JOHN, LEE, STEVE, LIBBY)}
    assert agencies == {
        AgencyType.EDUCATION,
        AgencyType.SOCIAL_CARE,
        AgencyType.YOUTH_SERVICE,
        AgencyType.HOUSING,
        AgencyType.VOLUNTARY,
    }


def test_the_directory_feeds_come_from_local_systems() -> None:
    identity = example(ChildIdentityUpdate)
    assert identity.header.sender.system is SystemKind.FEED_SOURCE
    assert identity.header.sender.organisation_id == MELANIE.organisation.organisation_id
    assert identity.child.identifiers.nhs_number
    assert identity.child.identifiers.upn
    started = example(InvolvementStarted)
    assert started.header.sender.system is SystemKind.FEED_SOURCE
    assert started.involvement.practitioner == LEE
    assert started.involvement.service.agency_type is AgencyType.YOUTH_SERVICE
    for message in (identity, started, example(InvolvementEnded), example(CafIndicatorUpdate)):
        assert message.header.recipient.system is SystemKind.CONTACTPOINT


def test_johns_involvement_ended_in_2009_and_was_still_visible_when_melanie_looked() -> None:
    ended = example(InvolvementEnded)
    f2 = social_care_involvement_started()
    assert list(run_rules(f2)) == []
    assert f2.header.sender.system is SystemKind.ICS
    assert f2.involvement == SOCIAL_CARE_INVOLVEMENT
    assert f2.involvement.team == SOCIAL_CARE_DUTY_TEAM  # the central team number, not John (seed §5.2)
    assert f2.involvement.service.agency_type is AgencyType.SOCIAL_CARE
    assert ended.header.sender.system is SystemKind.ICS
    assert ended.header.sender.organisation_id == JOHN.organisation.organisation_id
    assert ended.involvement_id == f2.involvement.involvement_id
    assert ended.start_date == f2.involvement.start_date
    assert ended.end_date.year == 2009
    # Melanie looks Hannah up before the CAF: the team's contact is still shown (a year after the end, seed §3.1).
    looked = example(SocialCareReferral).episode.consents[0].recorded_on
    assert ended.end_date < looked < ended.end_date.replace(year=ended.end_date.year + 1)


def test_lee_had_known_hannah_for_nearly_a_year_at_the_caf() -> None:
    started = example(InvolvementStarted).involvement.start_date
    assessment = example(SocialCareReferral).episode.assessment
    assert assessment is not None
    assert 270 <= (assessment.assessment_date - started).days < 365


def test_the_caf_indicator_shows_melanie_as_lead_professional() -> None:
    indicator = example(CafIndicatorUpdate)
    assert indicator.caf_exists
    assert indicator.completed_by == MELANIE
    assert indicator.lead_professional == MELANIE
    assert indicator.header.sender.system is SystemKind.NATIONAL_ECAF
    episode = example(SocialCareReferral).episode
    assert episode.lead_professional is not None
    assert indicator.updated_on == episode.lead_professional.appointed_on


def test_contactpoint_acknowledges_the_caf_indicator() -> None:
    indicator = example(CafIndicatorUpdate)
    ack = example(Acknowledgement)
    assert ack.status is AcknowledgementStatus.ACCEPTED
    assert ack.findings == []
    assert ack.acknowledged_message_id == ack.header.correlation_id == indicator.header.message_id
    assert ack.header.sender == indicator.header.recipient
    assert ack.header.recipient == indicator.header.sender
    assert ack.header.created_at >= indicator.header.created_at


def test_the_referral_carries_the_whole_episode_under_consent() -> None:
    referral = example(SocialCareReferral)
    episode = referral.episode
    assert referral.header.sender.system is SystemKind.NATIONAL_ECAF
    assert referral.header.recipient.organisation_id == JOHN.organisation.organisation_id
    assert referral.referred_by == MELANIE
    assert episode.episode_id == HANNAH_EPISODE_ID
    assert episode.status is CafStatus.OPEN
    assert [m.practitioner for m in episode.tac_members] == [MELANIE, LEE, STEVE, LIBBY]
    assert episode.lead_professional is not None
    assert episode.lead_professional.practitioner_id == MELANIE.practitioner_id
    # Lee and Libby are given access, each with Hannah's consent; so is the social care team that receives it.
    assert episode.shared_with == [LEE.practitioner_id, LIBBY.practitioner_id]
    holders = consent_holders(episode.consents)
    assert {("practitioner", p) for p in episode.shared_with} <= holders
    assert ("organisation", referral.header.recipient.organisation_id) in holders
    # Every domain of the assessment has material from the story.
    assessment = episode.assessment
    assert assessment is not None
    assert assessment.assessor == MELANIE
    for domain in (assessment.development, assessment.parents_carers, assessment.family_environment):
        assert any(e.strengths or e.needs for e in dict(domain).values())
    text = json.dumps(assessment.model_dump(mode="json")).lower()
    for fact in ("young carer", "fell ill", "rent arrears", "missing lessons"):
        assert fact in text, fact
    # Actions say who, what and by when; the review is three months after the TAC meeting.
    owners = {a.owner_id for a in episode.actions}
    assert owners == {p.practitioner_id for p in (MELANIE, LEE, STEVE, LIBBY)}
    (review,) = episode.reviews
    assert 89 <= (review.review_date - episode.lead_professional.appointed_on).days <= 92
    assert review.review_date <= referral.referral_date


def test_social_care_joins_the_tac_and_takes_responsibility() -> None:
    referral = example(SocialCareReferral)
    response = example(SocialCareReferralResponse)
    assert response.header.correlation_id == referral.header.message_id
    assert response.header.sender == referral.header.recipient
    assert response.referral_id == referral.referral_id
    assert response.episode_id == referral.episode.episode_id
    assert response.joining_member is not None
    assert response.joining_member.practitioner == JOHN
    assert not response.joining_member.social_care_representative
    assert response.decision is StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE


def test_the_caf_is_offered_to_john_as_a_draft_initial_assessment() -> None:
    referral = example(SocialCareReferral)
    prepopulation = example(InitialAssessmentPrepopulation)
    assert prepopulation.requested_by == JOHN
    assert prepopulation.episode_id == referral.episode.episode_id
    assert prepopulation.assessment == referral.episode.assessment
    assert ("organisation", JOHN.organisation.organisation_id) in consent_holders(prepopulation.consents)
    assert prepopulation.header.recipient.organisation_id == JOHN.organisation.organisation_id


def test_stepping_down_hands_the_outstanding_needs_back_to_the_caf() -> None:
    step_down = example(StepDown)
    record = example(CaseRecordTransfer).case_record
    assert step_down.episode_id == HANNAH_EPISODE_ID
    assert step_down.social_worker == JOHN
    assert step_down.request is StepDownRequest.REASSESS
    assert record.closure is not None
    assert step_down.social_care_ended_on == record.closure.closure_date
    assert step_down.header.created_at.date() >= step_down.social_care_ended_on


def test_the_case_record_follows_hannah_to_hackney() -> None:
    transfer = example(CaseRecordTransfer)
    record = transfer.case_record
    response = example(SocialCareReferralResponse)
    assert (transfer.from_la, transfer.to_la) == (ISLINGTON, HACKNEY)
    assert transfer.header.sender.system is transfer.header.recipient.system is SystemKind.ICS
    assert record.allocated_worker == JOHN
    assert record.contacts
    assert record.chronology
    referral = next(r for r in record.referrals if r.caf_episode_id == HANNAH_EPISODE_ID)
    assert referral.referral_id == response.ics_referral_id
    (assessment,) = record.initial_assessments
    assert assessment.caf_episode_id == HANNAH_EPISODE_ID
    assert assessment.findings
    assert [p.plan_type for p in record.plans] == [PlanType.CHILD_IN_NEED]
    assert record.reviews
    assert record.reviews[0].plan_id == record.plans[0].plan_id
    assert record.closure is not None
    assert record.closure.reason is CinClosureReason.RC7
    dates = [e.entry_date for e in record.chronology]
    assert dates == sorted(dates)
    assert record.child.identifiers.nhs_number == HANNAH.identifiers.nhs_number


def test_chloes_episode_moves_with_the_family() -> None:
    transfer = example(EpisodeTransfer)
    record_transfer = example(CaseRecordTransfer)
    assert transfer.header.sender.system is SystemKind.LOCAL_ECAF
    assert transfer.header.recipient.system is SystemKind.NATIONAL_ECAF
    assert (transfer.from_la, transfer.to_la) == (record_transfer.from_la, record_transfer.to_la)
    child = transfer.episode.child
    assert child.name.family_name == HANNAH.name.family_name
    assert child.parents_carers == HANNAH.parents_carers
    assert child.address == record_transfer.case_record.child.address  # the new home in Hackney


def test_the_migration_batch_is_described_by_its_manifest() -> None:
    batch = example(MigrationBatch)
    assert batch.header.sender.system is SystemKind.LOCAL_ECAF
    assert 2 <= len(batch.episodes) <= 3
    assert batch.manifest == BatchManifest.for_episodes(batch.manifest.batch_id, batch.episodes)
    for episode in batch.episodes:
        assert episode.consents, "each migrated episode carries its consent"


def test_the_messages_follow_the_story_in_time() -> None:
    order = sorted(example_messages().values(), key=lambda m: m.header.created_at)
    assert [m.message_type for m in order] == [
        MessageType.INVOLVEMENT_ENDED,
        MessageType.INVOLVEMENT_STARTED,
        MessageType.CHILD_IDENTITY_UPDATE,
        MessageType.CAF_INDICATOR_UPDATE,
        MessageType.ACKNOWLEDGEMENT,
        MessageType.SOCIAL_CARE_REFERRAL,
        MessageType.SOCIAL_CARE_REFERRAL_RESPONSE,
        MessageType.INITIAL_ASSESSMENT_PREPOPULATION,
        MessageType.STEP_DOWN,
        MessageType.EPISODE_TRANSFER,
        MessageType.CASE_RECORD_TRANSFER,
        MessageType.MIGRATION_BATCH,
    ]
    assert social_care_involvement_started().header.created_at < order[0].header.created_at
