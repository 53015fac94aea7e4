"""Who is who in Hannah's story: the systems' identities, the operators' first users, the token service's clients."""

from __future__ import annotations

from ics_interop.examples import JOHN, LEE, LIBBY, MELANIE
from ics_interop.messages import MessageType, SystemRef
from ics_interop.model import ContactDetails, Organisation, PersonName, Practitioner
from ics_interop.model.codes import AgencyType, SystemKind

from ..contactpoint import CONTACTPOINT_IDENTITY
from ..messaging import route_key
from ..up import ICS_SENDS, NATIONAL_ECAF_SENDS

DCSF = "Department for Children, Schools and Families"
#: National eCAF, run for the DCSF (seed §2.2).
NATIONAL_ECAF_IDENTITY = SystemRef(system=SystemKind.NATIONAL_ECAF, organisation_id="DCSF", organisation_name=DCSF)
#: Islington's ICS, run by the children's social care department John works in.
ISLINGTON_ICS = SystemRef(
    system=SystemKind.ICS,
    organisation_id=JOHN.organisation.organisation_id,
    organisation_name=JOHN.organisation.name,
)
#: The feed sources: the school's management information system and the youth service's system.
SCHOOL_MIS = SystemRef(
    system=SystemKind.FEED_SOURCE,
    organisation_id=MELANIE.organisation.organisation_id,
    organisation_name=MELANIE.organisation.name,
)
YOUTH_SERVICE_SYSTEM = SystemRef(
    system=SystemKind.FEED_SOURCE,
    organisation_id=LEE.organisation.organisation_id,
    organisation_name=LEE.organisation.name,
)

#: ContactPoint's data manager, set up by the operator when the directory goes live.
DATA_MANAGER = "DCSF-DM-0001"
#: What Melanie gives as her reason on ContactPoint (every access needs one, and is audited).
MELANIE_REASON = "Learning mentor: Hannah is falling behind at school; who else is working with her?"

SYSTEM_NAMES = {
    route_key(CONTACTPOINT_IDENTITY): "ContactPoint",
    route_key(NATIONAL_ECAF_IDENTITY): "National eCAF",
    route_key(ISLINGTON_ICS): "Islington's ICS",
}


#: National eCAF's manager, set up by the operator: reads the reports and the access audit.
ECAF_MANAGER = Practitioner(
    practitioner_id="DCSF-NECAF-MGR",
    name=PersonName(given_names="Nadia", family_name="Okafor"),
    role="National eCAF service manager",
    organisation=Organisation(organisation_id="DCSF", name=DCSF, agency_type=AgencyType.OTHER),
    contact=ContactDetails(telephone="0870 000 2288", email="necaf.service@dcsf.example"),
)

#: The connected systems of the story, as the token service registers them: who, and what each may send.
CLIENTS: tuple[tuple[str, SystemRef, tuple[MessageType, ...]], ...] = (
    ("national-ecaf", NATIONAL_ECAF_IDENTITY, NATIONAL_ECAF_SENDS),
    ("islington-ics", ISLINGTON_ICS, ICS_SENDS),
    ("camden-park-mis", SCHOOL_MIS, (MessageType.CHILD_IDENTITY_UPDATE, MessageType.INVOLVEMENT_STARTED)),
    ("islington-youth", YOUTH_SERVICE_SYSTEM, (MessageType.CHILD_IDENTITY_UPDATE, MessageType.INVOLVEMENT_STARTED)),
    (
        "northside-young-carers",
        SystemRef(
            system=SystemKind.FEED_SOURCE,
            organisation_id=LIBBY.organisation.organisation_id,
            organisation_name=LIBBY.organisation.name,
        ),
        (),
    ),
)
