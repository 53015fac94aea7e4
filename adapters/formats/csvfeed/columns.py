"""The documented column layouts of a spreadsheet feed, one per kind of file.

A spreadsheet feed (seed §5.1: some local systems are "structured spreadsheets") is a CSV
file in one of two layouts:

- `children`: one row per child, each sent to ContactPoint as an F1 `ChildIdentityUpdate`;
- `involvements`: one row per involvement of a service with a child, sent as an F1
  `InvolvementStarted`, or an `InvolvementEnded` when the row has an end date. The child's
  details are on the row too, because both messages carry them (the directory matches on them).

Each `Column` says whether it is required, the form of its values, an example, the message
field it fills, and how its cells are read (`cells`). docs/csv-feeds.md shows the same tables,
generated from these by `columns_table` (a test keeps the two equal).
"""

from __future__ import annotations

import enum

import attrs

from ics_interop.model.codes import AgencyType, Gender, Relationship, SensitiveBasis, SensitiveService

from .cells import (
    ADDRESS_STATUSES,
    DATE_FORM,
    NAME,
    SHORT_TEXT,
    Parser,
    address_status,
    code,
    codes,
    contactpoint_id,
    date,
    email,
    identifier,
    la_code,
    nhs_number,
    postcode,
    telephone,
    upn,
    yes_no,
)

__all__ = [
    "CHILDREN_COLUMNS",
    "INVOLVEMENT_COLUMNS",
    "PARENT_SLOTS",
    "Column",
    "FeedKind",
    "columns_for",
    "columns_table",
    "example_row",
]


class FeedKind(enum.StrEnum):
    """The two layouts of a spreadsheet feed."""

    #: One row per child: a ChildIdentityUpdate each.
    CHILDREN = "children"
    #: One row per involvement: an InvolvementStarted, or an InvolvementEnded when it has an end date.
    INVOLVEMENTS = "involvements"


# --- the columns ---------------------------------------------------------------------------------


@attrs.frozen
class Column:
    """One column of a layout: what it holds, in what form, and where it goes in the message."""

    name: str
    #: The value must be given on every row (when the column is in the file, and it must be).
    required: bool
    #: The form of the value, for people.
    format: str
    example: str
    #: The message field it fills, as the documentation names it.
    field: str
    parse: Parser = attrs.field(repr=False)
    #: For an optional column: when it is needed after all (documentation).
    required_when: str = ""
    #: Paths (JSON member names) of message fields filled from this column, as rule findings name them.
    paths: tuple[str, ...] = ()
    #: Whether the example goes into the example row of `csv template --example`.
    in_example_row: bool = True


def _parent_columns(slot: int) -> list[Column]:
    prefix = f"parent{slot}"
    base = f"child.parentsCarers[{slot - 1}]"
    when = f"when any {prefix}_ column is given"
    example = slot == 1
    return [
        Column(
            f"{prefix}_given_names",
            False,
            "text, up to 100 characters",
            "Julie" if example else "",
            f"{base}.name.givenNames",
            NAME,
            when,
            (f"{base}.name.givenNames",),
        ),
        Column(
            f"{prefix}_family_name",
            False,
            "text, up to 100 characters",
            "Khan" if example else "",
            f"{base}.name.familyName",
            NAME,
            when,
            (f"{base}.name.familyName",),
        ),
        Column(
            f"{prefix}_relationship",
            False,
            f"one of: {codes(Relationship)}",
            "mother" if example else "",
            f"{base}.relationship",
            code(Relationship),
            when,
            (f"{base}.relationship",),
        ),
        Column(
            f"{prefix}_parental_responsibility",
            False,
            "yes or no",
            "yes" if example else "",
            f"{base}.hasParentalResponsibility",
            yes_no,
            when,
            (f"{base}.hasParentalResponsibility",),
        ),
        Column(
            f"{prefix}_telephone",
            False,
            "UK telephone number, starting 0 or +44",
            "07700 900461" if example else "",
            f"{base}.contact.telephone",
            telephone,
            "",
            (f"{base}.contact.telephone",),
        ),
        Column(
            f"{prefix}_email",
            False,
            "e-mail address",
            "",
            f"{base}.contact.email",
            email,
            "",
            (f"{base}.contact.email",),
        ),
    ]


#: The parents and carers a row can name.
PARENT_SLOTS = (1, 2)

_LOCATIONS = ("child.address", "child.lastKnownAddress")


def _address_line(number: int) -> Column:
    return Column(
        f"address_line_{number}",
        False,
        "text, up to 200 characters",
        {1: "Flat 4, Wren House", 2: "Calverley Street", 3: "London"}.get(number, ""),
        f"child.address.lines[{number - 1}] (lastKnownAddress for a last-known one)",
        SHORT_TEXT,
        "unless address_status is no-known-address or left-england" if number == 1 else "",
        tuple(f"{where}.lines[{number - 1}]" for where in _LOCATIONS),
    )


_CHILD_COLUMNS: list[Column] = [
    Column(
        "local_id",
        True,
        "your own identifier for the child: letters, digits, - _ . : (no spaces), up to 64",
        "YS-0031544",
        "child.identifiers.localId",
        identifier,
        paths=("child.identifiers.localId",),
    ),
    Column(
        "nhs_number",
        False,
        "10 digits (spaces allowed) with a valid check digit",
        "999 100 0127",
        "child.identifiers.nhsNumber",
        nhs_number,
        paths=("child.identifiers.nhsNumber",),
    ),
    Column(
        "upn",
        False,
        "Unique Pupil Number: 13 characters with a valid check letter",
        "Q206205119014",
        "child.identifiers.upn",
        upn,
        paths=("child.identifiers.upn",),
    ),
    Column(
        "contactpoint_id",
        False,
        "'CP' and 10 digits, as the directory gave it",
        "",
        "child.identifiers.contactpointId",
        contactpoint_id,
        paths=("child.identifiers.contactpointId",),
    ),
    Column(
        "given_names",
        True,
        "text, up to 100 characters",
        "Amira",
        "child.name.givenNames",
        NAME,
        paths=("child.name.givenNames",),
    ),
    Column(
        "family_name",
        True,
        "text, up to 100 characters",
        "Khan",
        "child.name.familyName",
        NAME,
        paths=("child.name.familyName",),
    ),
    Column(
        "former_given_names",
        False,
        "text, up to 100 characters",
        "",
        "child.formerNames[0].givenNames",
        NAME,
        "with former_family_name",
        ("child.formerNames[0].givenNames",),
    ),
    Column(
        "former_family_name",
        False,
        "text, up to 100 characters",
        "",
        "child.formerNames[0].familyName",
        NAME,
        "with former_given_names",
        ("child.formerNames[0].familyName",),
    ),
    Column(
        "date_of_birth",
        False,
        DATE_FORM,
        "14/06/2016",
        "child.dateOfBirth",
        date,
        "unless expected_date_of_birth is given",
        ("child.dateOfBirth",),
    ),
    Column(
        "expected_date_of_birth",
        False,
        DATE_FORM,
        "2027-03-01",
        "child.expectedDateOfBirth",
        date,
        "for an unborn child, instead of date_of_birth",
        ("child.expectedDateOfBirth",),
        in_example_row=False,
    ),
    Column(
        "gender",
        True,
        "1 or male, 2 or female, 0 or not known, 9 or not specified",
        "2",
        "child.gender",
        code(Gender, {"m": "1", "f": "2", "u": "0", "unknown": "0", "not known": "0", "indeterminate": "9"}),
        paths=("child.gender",),
    ),
    Column(
        "address_status",
        False,
        f"one of: {', '.join(ADDRESS_STATUSES)} (empty: current)",
        "current",
        "which of child.address, lastKnownAddress, noKnownAddress, leftEngland",
        address_status,
    ),
    *(_address_line(n) for n in range(1, 6)),
    Column(
        "postcode",
        False,
        "UK postcode (any case and spacing)",
        "n7 6xp",
        "child.address.postcode (lastKnownAddress for a last-known one)",
        postcode,
        paths=tuple(f"{where}.postcode" for where in _LOCATIONS),
    ),
    Column(
        "address_status_date",
        False,
        DATE_FORM,
        "",
        "child.noKnownAddress.recordedOn (empty: the day of the import), or child.leftEngland.leftOn",
        date,
        "",
        ("child.noKnownAddress.recordedOn", "child.leftEngland.leftOn"),
    ),
    Column(
        "left_england_destination",
        False,
        "text, up to 200 characters",
        "",
        "child.leftEngland.destination",
        SHORT_TEXT,
        "",
        ("child.leftEngland.destination",),
    ),
    *(column for slot in PARENT_SLOTS for column in _parent_columns(slot)),
]

#: The layout of a children file: one ChildIdentityUpdate per row.
CHILDREN_COLUMNS: tuple[Column, ...] = (
    *_CHILD_COLUMNS,
    Column(
        "died_on",
        False,
        DATE_FORM,
        "",
        "diedOn",
        date,
        "",
        ("diedOn",),
    ),
)

_INVOLVEMENT_ONLY: list[Column] = [
    Column(
        "involvement_id",
        True,
        "your own identifier for the involvement, the same on every run: letters, digits, - _ . :",
        "YS-INV-0031544",
        "involvement.involvementId; InvolvementEnded: involvementId",
        identifier,
        paths=("involvement.involvementId", "involvementId"),
    ),
    Column(
        "start_date",
        True,
        DATE_FORM,
        "2024-09-02",
        "involvement.startDate; InvolvementEnded: startDate",
        date,
        paths=("involvement.startDate", "startDate"),
    ),
    Column(
        "end_date",
        False,
        DATE_FORM + " (given: the row is an InvolvementEnded)",
        "2025-03-31",
        "InvolvementEnded: endDate",
        date,
        "once the involvement has ended",
        ("endDate", "involvement.endDate"),
        in_example_row=False,
    ),
    Column(
        "service_id",
        True,
        "your identifier for the service: letters, digits, - _ . :",
        "YS-YW",
        "involvement.service.serviceId",
        identifier,
        paths=("involvement.service.serviceId",),
    ),
    Column(
        "service_name",
        True,
        "text, up to 200 characters: the service's name only, never the child's circumstances",
        "Youth service",
        "involvement.service.name",
        SHORT_TEXT,
        paths=("involvement.service.name",),
    ),
    Column(
        "agency_type",
        True,
        f"one of: {codes(AgencyType)}",
        "youth-service",
        "involvement.service.agencyType (and its organisation's)",
        code(AgencyType),
        paths=("involvement.service.agencyType", "involvement.service.organisation.agencyType"),
    ),
    Column(
        "sensitive_service",
        False,
        f"one of: {codes(SensitiveService)}",
        "",
        "involvement.service.sensitive",
        code(SensitiveService),
        "for a sexual health, mental health or substance misuse service",
        ("involvement.service.sensitive",),
    ),
    Column(
        "sensitive_basis",
        False,
        f"one of: {codes(SensitiveBasis)}",
        "",
        "involvement.sensitiveBasis",
        code(SensitiveBasis),
        "with sensitive_service (rule INV-001)",
        ("involvement.sensitiveBasis",),
    ),
    Column(
        "organisation_id",
        False,
        "the service's organisation: letters, digits, - _ . : (empty: --organisation)",
        "",
        "involvement.service.organisation.organisationId (and the practitioner's or team's)",
        identifier,
        "",
        tuple(f"involvement.{who}.organisation.organisationId" for who in ("service", "practitioner", "team")),
    ),
    Column(
        "organisation_name",
        False,
        "text, up to 200 characters (empty: --organisation-name, else the organisation ID)",
        "",
        "involvement.service.organisation.name (and the practitioner's or team's)",
        SHORT_TEXT,
        "",
        tuple(f"involvement.{who}.organisation.name" for who in ("service", "practitioner", "team")),
    ),
    Column(
        "la_code",
        False,
        "the organisation's local authority: 3-digit DfE code",
        "206",
        "involvement.service.organisation.laCode (and the practitioner's or team's)",
        la_code,
        "",
        tuple(f"involvement.{who}.organisation.laCode" for who in ("service", "practitioner", "team")),
    ),
    Column(
        "practitioner_id",
        False,
        "the practitioner to contact: letters, digits, - _ . :",
        "LA206-LROBINSON",
        "involvement.practitioner.practitionerId",
        identifier,
        "unless team_id is given (exactly one of the two)",
        ("involvement.practitioner.practitionerId",),
    ),
    Column(
        "practitioner_given_names",
        False,
        "text, up to 100 characters",
        "Lee",
        "involvement.practitioner.name.givenNames",
        NAME,
        "with practitioner_id",
        ("involvement.practitioner.name.givenNames",),
    ),
    Column(
        "practitioner_family_name",
        False,
        "text, up to 100 characters",
        "Robinson",
        "involvement.practitioner.name.familyName",
        NAME,
        "with practitioner_id",
        ("involvement.practitioner.name.familyName",),
    ),
    Column(
        "practitioner_role",
        False,
        "text, up to 200 characters",
        "Youth worker",
        "involvement.practitioner.role",
        SHORT_TEXT,
        "with practitioner_id",
        ("involvement.practitioner.role",),
    ),
    Column(
        "team_id",
        False,
        "the team to contact: letters, digits, - _ . :",
        "YS-DUTY",
        "involvement.team.teamId",
        identifier,
        "unless practitioner_id is given (exactly one of the two)",
        ("involvement.team.teamId",),
        in_example_row=False,
    ),
    Column(
        "team_name",
        False,
        "text, up to 200 characters",
        "Youth service duty team",
        "involvement.team.name",
        SHORT_TEXT,
        "with team_id",
        ("involvement.team.name",),
        in_example_row=False,
    ),
    Column(
        "contact_telephone",
        False,
        "UK telephone number, starting 0 or +44",
        "020 7946 0528",
        "involvement.practitioner.contact.telephone (or the team's)",
        telephone,
        "unless contact_email is given (at least one of the two)",
        ("involvement.practitioner.contact.telephone", "involvement.team.contact.telephone"),
    ),
    Column(
        "contact_email",
        False,
        "e-mail address",
        "lee.robinson@islington.gov.example",
        "involvement.practitioner.contact.email (or the team's)",
        email,
        "unless contact_telephone is given",
        ("involvement.practitioner.contact.email", "involvement.team.contact.email"),
    ),
]

#: The layout of an involvements file: the child's columns, then the involvement's.
INVOLVEMENT_COLUMNS: tuple[Column, ...] = (*_CHILD_COLUMNS, *_INVOLVEMENT_ONLY)


def columns_for(kind: FeedKind) -> tuple[Column, ...]:
    """The layout of a kind of file, in template order."""
    return CHILDREN_COLUMNS if kind is FeedKind.CHILDREN else INVOLVEMENT_COLUMNS


def example_row(kind: FeedKind) -> list[str]:
    """The example row `csv template --example` writes: a valid row, from the documented examples."""
    return [column.example if column.in_example_row else "" for column in columns_for(kind)]


def columns_table(kind: FeedKind) -> str:
    """The layout as the Markdown table docs/csv-feeds.md shows."""
    lines = ["| column | required | format | example | maps to |", "|---|---|---|---|---|"]
    for column in columns_for(kind):
        required = "yes" if column.required else (column.required_when or "no")
        example = f"`{column.example}`" if column.example else ""
        cells = [f"`{column.name}`", required, column.format, example, column.field]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
