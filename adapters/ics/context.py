"""What every room of the ICS system shares: its settings, its identity, its tables, and how it sends.

`IcsSettings` is what a deployment configures (the central team ContactPoint shows, the LA
code, the national systems' addresses). `IcsContext` is the settings resolved against the
system's identity, plus the tables, the outbox and the clock, handed to each room.

Sending goes through `IcsContext.send`: a message is checked against the standard's rules
before it is written to the outbox, in the caller's transaction, so a message the standard
would reject is never sent, and the change that caused it is refused with it.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any, TypeVar

import attrs
from pydantic import ValidationError
from sqlalchemy import Connection

from ics_interop import Severity, SystemRef, run_rules
from ics_interop.messages import Message
from ics_interop.model import ContactDetails, IcsModel, Organisation, Team, json_name
from ics_interop.model.codes import AgencyType, ReferralSource, SystemKind

from ..messaging import Clock, Outbox, route_key
from .errors import ChangeRefused, refusal, refusal_from
from .tables import IcsTables

__all__ = [
    "DCSF_CONTACTPOINT",
    "DCSF_NATIONAL_ECAF",
    "REFERRAL_SOURCE_BY_AGENCY",
    "IcsContext",
    "IcsSettings",
    "build",
    "document",
    "require_addressed_here",
]

_DCSF = "DCSF"
_DCSF_NAME = "Department for Children, Schools and Families"
#: ContactPoint, as the ICS system addresses it unless configured otherwise.
DCSF_CONTACTPOINT = SystemRef(system=SystemKind.CONTACTPOINT, organisation_id=_DCSF, organisation_name=_DCSF_NAME)
#: National eCAF, as the ICS system addresses it unless configured otherwise.
DCSF_NATIONAL_ECAF = SystemRef(system=SystemKind.NATIONAL_ECAF, organisation_id=_DCSF, organisation_name=_DCSF_NAME)

M = TypeVar("M", bound=IcsModel)


@attrs.frozen
class IcsSettings:
    """How one authority's ICS system is configured.

    - `central_team`: the social work team whose number ContactPoint shows for a child with no
      allocated social worker (seed §5.2). Configure it: without it the system names a team
      of its own organisation with no contact details, which helps nobody who looks the child up.
    - `la_code`: the authority's DfE code, for transfers (F7, F9); read from an organisation ID
      like 'LA206-CSC' when not given.
    - `contactpoint`, `national_ecaf`: the national systems' addresses.
    - `caf_referral_source`: the CIN referral source given to every referral from a CAF (F4),
      for example '5D' (early help); when not set, it follows the referrer's agency.
    - `local_ecaf`: the identity of the ICS's local eCAF module (F7, F8); by default the
      authority's organisation, as a local eCAF system.
    """

    central_team: Team | None = None
    la_code: str | None = None
    contactpoint: SystemRef = DCSF_CONTACTPOINT
    national_ecaf: SystemRef = DCSF_NATIONAL_ECAF
    caf_referral_source: ReferralSource | None = None
    local_ecaf: SystemRef | None = None


#: The CIN referral source of a referral from a CAF, by the agency of the practitioner who made it.
REFERRAL_SOURCE_BY_AGENCY: dict[AgencyType, ReferralSource] = {
    AgencyType.EDUCATION: ReferralSource.SCHOOLS,
    AgencyType.GP: ReferralSource.GP,
    AgencyType.HEALTH: ReferralSource.OTHER_PRIMARY_HEALTH,
    AgencyType.HOUSING: ReferralSource.HOUSING,
    AgencyType.SOCIAL_CARE: ReferralSource.LA_SOCIAL_CARE,
    AgencyType.YOUTH_SERVICE: ReferralSource.LA_EARLY_HELP,
    AgencyType.CONNEXIONS: ReferralSource.LA_EARLY_HELP,
    AgencyType.YOUTH_OFFENDING: ReferralSource.LA_OTHER_INTERNAL,
    AgencyType.VOLUNTARY: ReferralSource.OTHER,
    AgencyType.OTHER: ReferralSource.OTHER,
}

_LA_IN_ORGANISATION_ID = re.compile(r"^LA([0-9]{3})(?![0-9])")


def la_code_in(organisation_id: str) -> str | None:
    """The LA code an organisation ID starts with ('LA206-CSC' -> '206'), or None."""
    match = _LA_IN_ORGANISATION_ID.match(organisation_id)
    return match.group(1) if match else None


@attrs.frozen
class IcsContext:
    """The settings resolved for one system, with its tables, outbox and clock."""

    identity: SystemRef
    settings: IcsSettings
    tables: IcsTables
    outbox: Outbox
    clock: Clock

    @property
    def organisation(self) -> Organisation:
        """The authority's children's social care, as it appears on the involvements it sends."""
        if self.settings.central_team is not None:
            return self.settings.central_team.organisation
        return Organisation(
            organisation_id=self.identity.organisation_id,
            name=self.identity.organisation_name or self.identity.organisation_id,
            agency_type=AgencyType.SOCIAL_CARE,
            la_code=self.la_code,
        )

    @property
    def la_code(self) -> str | None:
        """The authority's LA code: configured, or read from its organisation ID ('LA206-CSC' -> '206')."""
        if self.settings.la_code is not None:
            return self.settings.la_code
        if self.settings.central_team is not None and self.settings.central_team.organisation.la_code:
            code: str = self.settings.central_team.organisation.la_code
            return code
        return la_code_in(self.identity.organisation_id)

    @property
    def central_team(self) -> Team:
        """The team ContactPoint shows when no social worker is allocated (see `IcsSettings`)."""
        if self.settings.central_team is not None:
            return self.settings.central_team
        organisation = self.organisation
        return Team(
            team_id=f"{_prefix(organisation.organisation_id)}-CSC-TEAM",
            name="Children's social care",
            organisation=organisation,
            contact=ContactDetails(),
        )

    @property
    def local_ecaf(self) -> SystemRef:
        """The local eCAF module's identity as a sender (F7, F8)."""
        if self.settings.local_ecaf is not None:
            return self.settings.local_ecaf
        return SystemRef(
            system=SystemKind.LOCAL_ECAF,
            organisation_id=self.identity.organisation_id,
            organisation_name=self.identity.organisation_name,
        )

    def today(self) -> date:
        """Today, by the system's clock."""
        return self.clock().date()

    def new_id(self, kind: str) -> str:
        """A fresh identifier for a record of this system, for example 'LA206-CSC-REF-3F9A2C71B0'."""
        return f"{_prefix(self.identity.organisation_id)}-{kind}-{uuid.uuid4().hex[:10].upper()}"

    def new_case_id(self) -> str:
        """A fresh case ID, which is also the child's local ID: letters and digits only, at most 20
        characters, because the Children in Need census takes it as the LAchildID (rules 1570, 1580)."""
        prefix = re.sub(r"[^A-Za-z0-9]", "", _prefix(self.identity.organisation_id))[:10]
        return f"{prefix}{uuid.uuid4().hex[:10].upper()}"

    def send(self, connection: Connection, message: Message, destination: str | None = None) -> None:
        """Check `message` against the standard's rules and write it to the outbox in the caller's transaction.

        An error finding refuses the change that caused the message. So does any sign of case
        information in a message bound for ContactPoint (CP-002 is a warning for a receiver,
        but this system never sends one: seed §5.2).
        """
        to_directory = message.header.recipient.system is SystemKind.CONTACTPOINT
        for finding in run_rules(message):
            if finding.severity is Severity.ERROR or (to_directory and finding.rule_id == "CP-002"):
                raise refusal_from(finding)
        self.outbox.enqueue(connection, message, destination or route_key(message.header.recipient))


def _prefix(organisation_id: str) -> str:
    # Identifiers are at most 64 characters; leave room for the kind and the random part.
    return organisation_id[:40]


def document(model: IcsModel) -> dict[str, Any]:
    """A model as stored: the standard's own JSON."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def build(cls: type[M], where: str = "", **fields: Any) -> M:
    """Build a model, turning a constraint it fails into a refusal that says where and how to fix it."""
    try:
        return cls(**fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = ""
        for part in error["loc"]:  # the request's own (JSON) names, as every other refusal says where
            path += f"[{part}]" if isinstance(part, int) else ("." if path else "") + json_name(str(part))
        raise ChangeRefused(
            "ICS-022",
            f"{error['msg']} ({len(exc.errors())} problem(s) in all)",
            where=".".join(p for p in (where, path) if p),
            hint="Correct the value: see the standard's schema for the field's form.",
        ) from exc


def require_addressed_here(ctx: IcsContext, recipient: SystemRef) -> None:
    """ICS-018: a message for another authority's system is not applied here."""
    if recipient.organisation_id != ctx.identity.organisation_id:
        raise refusal(
            "ICS-018",
            f"the message is for {recipient.organisation_id}, this system is {ctx.identity.organisation_id}",
            where="header.recipient.organisationId",
        )
