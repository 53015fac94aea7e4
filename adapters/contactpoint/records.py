"""Finding children and showing their records, under the directory's disclosure rules.

What a user sees of a record depends on who they are (SI 2007/2182, DOMAIN.md):

- **Shielding** (SI 2007/2182 reg. 6(5)–(6)). A shielded child's record shows only the
  names and former names, gender, date of birth and the directory's ID (Sch. 1 paras 1, 3–5),
  and the names of the people with parental responsibility or care: no address or its
  absence, no contact details of parents or carers, no involvement and no CAF indicator or
  lead professional. Each of those names a place: a telephone number's area code, an e-mail
  domain naming a school or an authority, a GP practice, a sender's involvement ID carrying its
  authority's code. A search on a location field (the postcode) never finds a shielded child;
  a search on name, date of birth or an identifier finds the record, shown so. A
  child-protection user may override with a stated reason: the whole record is then shown to
  them, and the override raises an audit alert. Everyone else, data managers included, sees
  the record shielded. The field-by-field table is in docs/contactpoint.md.
- **Sensitive services** (sexual health, mental health, substance misuse): shown only to users
  of the service's own organisation; to everyone else the involvement does not exist.
- **Ended involvements** are shown, with their contact, for one year after their end (seed §3.1).
- Archived records are neither found nor shown.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import attrs
from sqlalchemy import Select, or_, select
from sqlalchemy.engine import Connection

from ics_interop.model import Child, ContactDetails, Involvement, Practitioner
from ics_interop.model.identifiers import is_valid_contactpoint_id, is_valid_nhs_number, is_valid_upn

from .access import Viewer
from .errors import DirectoryError
from .matching import name_key, postcode_key
from .retention import involvement_visible, visible_until
from .tables import DirectoryTables
from .views import (
    DirectoryCafIndicator,
    DirectoryContact,
    DirectoryInvolvement,
    DirectoryParentCarer,
    DirectoryPractitioner,
    DirectoryRecord,
    DirectoryTeam,
)

__all__ = ["SearchCriteria", "find", "render"]

_POSTCODE_KEY = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}$")


@attrs.frozen
class SearchCriteria:
    """A search, checked: an identifier, or a family name with at least one more detail."""

    family_name: str | None = None
    given_names: str | None = None
    date_of_birth: dt.date | None = None
    postcode: str | None = None
    identifier: tuple[str, str] | None = None  # (scheme, value): cp | nhs | upn

    @classmethod
    def parse(
        cls,
        *,
        family_name: str | None,
        given_names: str | None,
        date_of_birth: dt.date | str | None,
        postcode: str | None,
        identifier: str | None,
    ) -> SearchCriteria:
        """Check a search's criteria; `DirectoryError` (CP-SEARCH-CRITERIA) says what is missing or malformed."""
        family = name_key(family_name) if family_name else None
        given = name_key(given_names) if given_names else None
        born = _date(date_of_birth)
        code = postcode_key(postcode) if postcode else None
        if code is not None and not _POSTCODE_KEY.match(code):
            raise _criteria(f"{postcode!r} is not a UK postcode", "postcode", "give a postcode such as 'N7 6XP'")
        scheme = _identifier(identifier) if identifier else None
        if scheme is None and not family:
            raise _criteria(
                "a search needs an identifier, or a family name with another detail",
                "familyName",
                "give the family name and the date of birth, given names or postcode; or a ContactPoint ID, "
                "NHS number or UPN",
            )
        if scheme is None and not (given or born or code):
            raise _criteria(
                "a family name alone is too broad a search",
                "familyName",
                "add the date of birth, given names or postcode",
            )
        return cls(family or None, given or None, born, code, scheme)

    def as_query(self) -> dict[str, Any]:
        """The criteria as the audit log records them."""
        data: dict[str, Any] = {
            "familyName": self.family_name,
            "givenNames": self.given_names,
            "dateOfBirth": self.date_of_birth.isoformat() if self.date_of_birth else None,
            "postcode": self.postcode,
            "identifier": self.identifier[1] if self.identifier else None,
        }
        return {key: value for key, value in data.items() if value is not None}


def _criteria(message: str, where: str, hint: str) -> DirectoryError:
    return DirectoryError("CP-SEARCH-CRITERIA", message, where=where, hint=hint)


def _date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise _criteria(f"{value!r} is not a date", "dateOfBirth", "write the date as YYYY-MM-DD") from None


def _identifier(value: str) -> tuple[str, str]:
    compact = "".join(value.split()).upper()
    if compact.startswith("CP"):
        if is_valid_contactpoint_id(compact):
            return ("cp", compact)
        raise _criteria(
            f"{value!r} is not a valid ContactPoint ID", "identifier", "copy the ID again: 'CP' and ten digits"
        )
    if compact.isdigit() and len(compact) == 10:
        if is_valid_nhs_number(compact):
            return ("nhs", compact)
        raise _criteria(f"{value!r} fails the NHS number check", "identifier", "re-key the NHS number")
    if len(compact) == 13:
        if is_valid_upn(compact):
            return ("upn", compact)
        raise _criteria(f"{value!r} fails the UPN check", "identifier", "re-key the UPN")
    raise _criteria(
        f"{value!r} is not a ContactPoint ID, NHS number or UPN", "identifier", "give one of those three identifiers"
    )


def find(tables: DirectoryTables, criteria: SearchCriteria, limit: int) -> Select[Any]:
    """The query for the live records a search finds (one more than `limit`, to tell when there are more)."""
    child = tables.child
    query = select(child.c.contactpoint_id).where(child.c.status == "live")
    if criteria.identifier is not None:
        scheme, value = criteria.identifier
        if scheme == "cp":
            query = query.where(child.c.contactpoint_id == value)
        else:
            ident = tables.identifier
            query = query.where(
                child.c.contactpoint_id.in_(
                    select(ident.c.contactpoint_id).where(
                        ident.c.scheme == scheme, ident.c.scope == "", ident.c.value == value
                    )
                )
            )
    if criteria.family_name is not None:
        names = tables.name
        by_name = select(names.c.contactpoint_id).where(names.c.family_key == criteria.family_name)
        if criteria.date_of_birth is not None:
            # The names index by birth date and family: the most selective way in.
            by_name = by_name.where(names.c.date_of_birth == criteria.date_of_birth)
        if criteria.given_names is not None:
            # "Hannah" finds "Hannah Louise": the given names searched for are the first ones.
            given = criteria.given_names
            by_name = by_name.where(
                or_(names.c.given_key == given, names.c.given_key.startswith(given + " ", autoescape=True))
            )
        query = query.where(child.c.contactpoint_id.in_(by_name))
    if criteria.date_of_birth is not None:
        query = query.where(child.c.date_of_birth == criteria.date_of_birth)
    if criteria.postcode is not None:
        # A location field: a shielded child is never found by it.
        query = query.where(child.c.postcode_key == criteria.postcode, child.c.shielded.is_(False))
    return query.order_by(child.c.contactpoint_id).limit(limit + 1)


# --- showing a record ------------------------------------------------------------------------


def _contact(contact: ContactDetails | None, hide: bool) -> DirectoryContact | None:
    if contact is None:
        return None
    return DirectoryContact(telephone=contact.telephone, email=contact.email, address=None if hide else contact.address)


def _practitioner(data: Any, hide: bool) -> DirectoryPractitioner:
    practitioner = Practitioner.model_validate(data)
    return DirectoryPractitioner(
        practitioner_id=practitioner.practitioner_id,
        name=practitioner.name,
        role=practitioner.role,
        organisation_name=None if hide else practitioner.organisation.name,
        contact=_contact(practitioner.contact, hide) or DirectoryContact(),
    )


def _involvement(row: Any, viewer: Viewer, today: dt.date, hide: bool) -> DirectoryInvolvement | None:
    """An involvement as `viewer` may see it today, or None; `hide` leaves out where the service is.

    (`render` never shows a shielded child's involvements without the override, so passes `hide`
    False; the suite's broken directories use it to show them as a careless vendor would.)
    """
    if not involvement_visible(row.end_date, today):
        return None
    # A sensitive service does not exist for anyone outside its own organisation.
    own = viewer.organisation_id == row.organisation_id
    if row.sensitive is not None and not own:
        return None
    involvement = Involvement.model_validate(row.details)
    team = involvement.team
    return DirectoryInvolvement(
        involvement_id=involvement.involvement_id,
        service_name=involvement.service.name,
        agency_type=involvement.service.agency_type,
        organisation_name=None if hide else involvement.service.organisation.name,
        la_code=None if hide else involvement.service.organisation.la_code,
        practitioner=_practitioner(involvement.practitioner, hide) if involvement.practitioner else None,
        team=DirectoryTeam(
            team_id=team.team_id,
            name=team.name,
            organisation_name=None if hide else team.organisation.name,
            contact=_contact(team.contact, hide) or DirectoryContact(),
        )
        if team is not None
        else None,
        start_date=row.start_date,
        end_date=row.end_date,
        visible_until=visible_until(row.end_date) if row.end_date is not None else None,
        sensitive=involvement.service.sensitive if own else None,
    )


def render(
    connection: Connection,
    tables: DirectoryTables,
    contactpoint_id: str,
    viewer: Viewer,
    today: dt.date,
    *,
    reveal_location: bool,
) -> DirectoryRecord:
    """A record as `viewer` may see it today; `reveal_location` only for an authorised override."""
    row = connection.execute(select(tables.child).where(tables.child.c.contactpoint_id == contactpoint_id)).one()
    child = Child.model_validate(row.details)
    hide = bool(row.shielded) and not reveal_location
    parents = [
        DirectoryParentCarer(
            name=p.name,
            relationship=p.relationship,
            has_parental_responsibility=p.has_parental_responsibility,
            contact=None if hide else _contact(p.contact, False),
        )
        for p in child.parents_carers
    ]
    identity = DirectoryRecord(
        contactpoint_id=contactpoint_id,
        name=child.name,
        former_names=child.former_names,
        date_of_birth=child.date_of_birth,
        expected_date_of_birth=child.expected_date_of_birth,
        gender=child.gender,
        shielded=bool(row.shielded),
        location_hidden=hide,
        parents_carers=parents,
    )
    if hide:
        # SI 2007/2182 reg. 6(5)-(6): only the names, gender, date of birth, the ID and the parents' and
        # carers' names. Everything else of the record says where the child is, or whom to ask.
        return identity
    inv = tables.involvement
    involvements = [
        shown
        for r in connection.execute(
            select(inv).where(inv.c.contactpoint_id == contactpoint_id).order_by(inv.c.start_date.desc(), inv.c.row_id)
        )
        if (shown := _involvement(r, viewer, today, False)) is not None
    ]
    caf = tables.caf_indicator
    indicators = [
        DirectoryCafIndicator(
            recorded_by=r.sender,
            updated_on=r.updated_on,
            completed_by=_practitioner(r.completed_by, False),
            lead_professional=_practitioner(r.lead_professional, False) if r.lead_professional else None,
        )
        for r in connection.execute(
            select(caf).where(caf.c.contactpoint_id == contactpoint_id).order_by(caf.c.updated_on.desc(), caf.c.sender)
        )
    ]
    lead = next((i.lead_professional for i in indicators if i.lead_professional is not None), None)
    return identity.model_copy(
        update={
            "address": child.address,
            "last_known_address": child.last_known_address,
            "no_known_address": child.no_known_address,
            "left_england": child.left_england,
            "died_on": row.died_on,
            "involvements": involvements,
            "caf_indicators": indicators,
            "lead_professional": lead,
        }
    )
