#!/usr/bin/env python
"""Throughput and memory of the streaming validator on a large `MessageBatch`.

Generates a batch of realistic ContactPoint feed messages (ChildIdentityUpdate,
InvolvementStarted, InvolvementEnded, CafIndicatorUpdate) that pass the schema and every
business rule, then measures, each in a fresh subprocess:

    (a) raw libxml2 schema validation with lxml: ``XMLSchema.validate(etree.parse(file))``;
    (b) the project's full validation: ``ics_interop.validate_path(file)`` (schema + rules);
    (c) decoding into models only: ``iterparse`` + ``element_to_message``, streamed.

With ``--scale`` (the default) it also validates a batch ten times larger with (b) and
compares the peak memory of the two runs. The last line printed is always
``ratio (b)/(a): X.XX``: (b)'s throughput over (a)'s, in MB/s.

Run: ``python benchmarks/validate_throughput.py [--records N] [--out DIR] [--no-scale]``.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from ics_interop import validate_path
from ics_interop.codecs.safe_xml import check_document_start
from ics_interop.codecs.xml import BATCH_ELEMENT, NAMESPACE, element_to_message, message_element
from ics_interop.messages import (
    SCHEMA_VERSION,
    CafIndicatorUpdate,
    ChildIdentityUpdate,
    Envelope,
    InvolvementEnded,
    InvolvementStarted,
    Message,
    MessageType,
    SystemRef,
)
from ics_interop.model import (
    Address,
    Child,
    ChildIdentifiers,
    ContactDetails,
    Involvement,
    LeftEngland,
    NoKnownAddress,
    Organisation,
    ParentCarer,
    PersonName,
    Practitioner,
    Service,
    Team,
)
from ics_interop.model.codes import AgencyType, Gender, Relationship, SensitiveBasis, SensitiveService, SystemKind
from ics_interop.model.identifiers import (
    contactpoint_id_check_digit,
    is_known_la_code,
    nhs_number_check_digit,
    upn_check_letter,
)
from ics_interop.schemagen import XSD_FILE, version_folder
from ics_interop.schemas_path import schemas_root

_NS = "{" + NAMESPACE + "}"
MB = 1_000_000
MIB = 1024 * 1024

# --- realistic data --------------------------------------------------------------------------


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split(sep))


_GIVEN_GIRLS = _words(
    """Amelia Olivia Jessica Emily Lily Ava Sophie Chloé Isla Mia Ruby Grace Evie Hannah Zoë Aisha Fatima Maryam
    Priya Siân Niamh Megan Keira Layla Amira Freya Holly Ellie Poppy Daisy Jasmine Shannon Chantelle Abigail"""
)
_GIVEN_BOYS = _words(
    """Oliver Jack Harry Charlie Thomas George Oscar James William Noah Alfie Joshua Muhammad Mohammed Ali Yusuf
    Rhys Callum Kyle Liam Connor Dylan Reece Kai Tyler Kwame Tomasz Jakub Ravi Arjun Ethan Leo Samuel"""
)
_MIDDLE = _words("Rose Mae Grace Louise James John Lee Alexander Ann Jay")
_FAMILY = _words(
    """Smith, Jones, Williams, Taylor, Brown, Davies, Evans, Wilson, Thomas, Johnson, Roberts, Robinson, Thompson,
    Wright, Walker, White, Edwards, Hughes, Green, Hall, Lewis, Harris, Clarke, Patel, Khan, Begum, Ahmed, Hussain,
    Singh, Kaur, Okafor, Mensah, Nowak, Kowalski, O'Brien, O'Connor, McDonald, Murphy, Smith-Jones, Nuñez, Chen,
    Nguyen, Campbell, Stewart, Morgan, Price, Bennett, Fletcher, Ní Bhriain, da Silva""",
    ",",
)
_STREETS = _words(
    """High Street, Station Road, Church Lane, Park Road, Victoria Road, Green Lane, Manor Road, Kings Road,
    Queens Avenue, Mill Lane, The Crescent, Albert Street, Grove Road, Chestnut Close, Windsor Court, Oak Tree Walk,
    Canal Street, Cedar Drive, Elm Grove, Brook Street""",
    ",",
)
_FLATS = ("Flat 1", "Flat 2", "Flat 3A", "Flat 12", "Ground Floor Flat", "Basement Flat")
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the postcode inward-code alphabet: no C, I, K, M, O, V


def _ascii_word(text: str) -> str:
    """A name as e-mail addresses spell it: Nuñez -> nunez, O'Brien -> obrien, Ní Bhriain -> nibhriain."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(c for c in plain if c.isalnum()).lower() or "contact"


class _Authority:
    """A local authority with its town, postcode districts and telephone prefix."""

    def __init__(self, code: str, name: str, town: str, districts: tuple[str, ...], phone: str, domain: str) -> None:
        self.code = code
        self.name = name
        self.town = town
        self.districts = districts
        self.phone = phone
        self.domain = domain
        self.organisation = Organisation(
            organisation_id=f"LA-{code}", name=name, agency_type=AgencyType.SOCIAL_CARE, la_code=code
        )


#: code | name | town | postcode districts | telephone prefix | e-mail domain
#: Telephone numbers are from Ofcom's ranges reserved for drama (020 7946 0xxx, 0121 496 0xxx, 01632 960xxx,
#: 07700 900xxx) and e-mail domains end in the reserved `.example`, so no generated contact is anyone's.
_AUTHORITY_TABLE = """
202 | London Borough of Camden      | London       | NW1 NW3 NW5 WC1H N19 | 020 7946 0 | camden.example
204 | London Borough of Hackney     | London       | E5 E8 E9 N16         | 020 7946 0 | hackney.example
206 | London Borough of Islington   | London       | N1 N4 N7 EC1V        | 020 7946 0 | islington.example
210 | London Borough of Southwark   | London       | SE1 SE5 SE15 SE22    | 020 7946 0 | southwark.example
330 | Birmingham City Council       | Birmingham   | B5 B12 B23 B44       | 0121 496 0 | birmingham.example
352 | Manchester City Council       | Manchester   | M8 M14 M20 M40       | 0161 496 0 | manchester.example
341 | Liverpool City Council        | Liverpool    | L4 L8 L17 L25        | 0151 496 0 | liverpool.example
383 | Leeds City Council            | Leeds        | LS6 LS8 LS11 LS14    | 0113 496 0 | leeds.example
373 | Sheffield City Council        | Sheffield    | S2 S5 S10 S11        | 0114 496 0 | sheffield.example
801 | Bristol City Council          | Bristol      | BS2 BS5 BS7 BS16     | 0117 496 0 | bristol.example
855 | Leicestershire County Council | Loughborough | LE11 LE12 LE9        | 0116 496 0 | leics.example
926 | Norfolk County Council        | Norwich      | NR1 NR3 NR30 PE30    | 01632 960  | norfolk.example
"""


def _authorities() -> tuple[_Authority, ...]:
    rows = [[cell.strip() for cell in line.split("|")] for line in _AUTHORITY_TABLE.strip().splitlines()]
    return tuple(
        _Authority(code, name, town, tuple(d.split()), phone, domain) for code, name, town, d, phone, domain in rows
    )


_AUTHORITIES = _authorities()

#: (name, agency, sensitive service or None)
_SERVICES: tuple[tuple[str, AgencyType, SensitiveService | None], ...] = (
    ("Children's social care", AgencyType.SOCIAL_CARE, None),
    ("Family support service", AgencyType.SOCIAL_CARE, None),
    ("Primary school", AgencyType.EDUCATION, None),
    ("Secondary school", AgencyType.EDUCATION, None),
    ("Education welfare service", AgencyType.EDUCATION, None),
    ("Health visiting", AgencyType.HEALTH, None),
    ("School nursing", AgencyType.HEALTH, None),
    ("General practice", AgencyType.GP, None),
    ("Youth service", AgencyType.YOUTH_SERVICE, None),
    ("Connexions", AgencyType.CONNEXIONS, None),
    ("Youth offending team", AgencyType.YOUTH_OFFENDING, None),
    ("Housing options", AgencyType.HOUSING, None),
    ("Young carers project", AgencyType.VOLUNTARY, None),
    ("Sexual health clinic", AgencyType.HEALTH, SensitiveService.SEXUAL_HEALTH),
    ("Child and adolescent mental health service", AgencyType.HEALTH, SensitiveService.MENTAL_HEALTH),
    ("Young people's substance misuse service", AgencyType.HEALTH, SensitiveService.SUBSTANCE_MISUSE),
)
_ROLES = {
    AgencyType.SOCIAL_CARE: ("Social worker", "Senior practitioner", "Family support worker"),
    AgencyType.EDUCATION: ("Learning mentor", "Head of year", "Education welfare officer", "SENCO"),
    AgencyType.HEALTH: ("Health visitor", "School nurse", "Clinical nurse specialist", "Community paediatrician"),
    AgencyType.GP: ("General practitioner",),
    AgencyType.YOUTH_SERVICE: ("Youth worker",),
    AgencyType.CONNEXIONS: ("Connexions personal adviser",),
    AgencyType.YOUTH_OFFENDING: ("YOT case manager",),
    AgencyType.HOUSING: ("Housing officer",),
    AgencyType.VOLUNTARY: ("Project worker",),
}
_TEAMS = (
    "Duty and assessment team",
    "Referral and advice team",
    "Locality team North",
    "Locality team South",
    "Early help hub",
    "Central reception",
    "Family support team",
)
_GENDERS = (Gender.MALE, Gender.FEMALE, Gender.MALE, Gender.FEMALE, Gender.NOT_SPECIFIED)
_DESTINATIONS = ("Scotland", "Wales", "Northern Ireland", "Republic of Ireland", "Poland", "Pakistan", None)

# Message mix: roughly what an authority's nightly ContactPoint feed looks like.
_MIX: tuple[tuple[MessageType, int], ...] = (
    (MessageType.CHILD_IDENTITY_UPDATE, 30),
    (MessageType.INVOLVEMENT_STARTED, 35),
    (MessageType.INVOLVEMENT_ENDED, 20),
    (MessageType.CAF_INDICATOR_UPDATE, 15),
)


class BatchGenerator:
    """Builds valid, rule-abiding messages through the models (so pydantic checks every one)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.serial = 0
        self.message_ids: set[int] = set()
        for authority in _AUTHORITIES:
            assert is_known_la_code(authority.code), authority.code
        self.schools = {
            a.code: [
                Organisation(
                    organisation_id=f"URN-{100000 + 37 * i + int(a.code)}",
                    name=f"{name} {kind}",
                    agency_type=AgencyType.EDUCATION,
                    la_code=a.code,
                )
                for i, (name, kind) in enumerate(
                    [
                        ("St Mary's", "Primary School"),
                        ("Hillside", "Primary School"),
                        ("Park View", "Academy"),
                        ("Kingsway", "High School"),
                        ("Riverside", "Community College"),
                    ]
                )
            ]
            for a in _AUTHORITIES
        }

    # -- scalars --
    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def message_id(self) -> str:
        while True:
            value = uuid.UUID(int=self.rng.getrandbits(128), version=4)
            if value.int not in self.message_ids:
                self.message_ids.add(value.int)
                return str(value)

    def nhs_number(self) -> str:
        """A valid NHS number from the 999 range, which NHS England keeps for test data."""
        while True:
            first_nine = f"999{self.rng.randint(0, 999_999):06d}"
            check = nhs_number_check_digit(first_nine)
            if check is not None:
                return first_nine + check

    def upn(self, la: str, born: dt.date) -> str:
        tail = f"{la}{self.rng.randint(1000, 7999):04d}{(born.year + 5) % 100:02d}{self.rng.randint(0, 999):03d}"
        return upn_check_letter(tail) + tail

    def contactpoint_id(self) -> str:
        nine = f"{self.rng.randint(0, 999_999_999):09d}"
        return "CP" + nine + contactpoint_id_check_digit(nine)

    def postcode(self, authority: _Authority) -> str:
        district = self.rng.choice(authority.districts)
        return (
            f"{district} {self.rng.randint(0, 9)}{self.rng.choice(_INWARD_LETTERS)}{self.rng.choice(_INWARD_LETTERS)}"
        )

    def telephone(self, authority: _Authority) -> str:
        if self.rng.random() < 0.3:
            return f"07700 900{self.rng.randint(0, 999):03d}"
        return self.switchboard(authority)

    def switchboard(self, authority: _Authority) -> str:
        return f"{authority.phone}{self.rng.randint(0, 999):03d}"

    def name(self, gender: Gender | None = None) -> PersonName:
        pool = (
            _GIVEN_GIRLS
            if gender is Gender.FEMALE
            else _GIVEN_BOYS
            if gender is Gender.MALE
            else (self.rng.choice((_GIVEN_GIRLS, _GIVEN_BOYS)))
        )
        given = self.rng.choice(pool)
        if self.rng.random() < 0.25:
            given += " " + self.rng.choice(_MIDDLE)
        return PersonName(given_names=given, family_name=self.rng.choice(_FAMILY))

    def address(self, authority: _Authority) -> Address:
        lines = [f"{self.rng.randint(1, 240)} {self.rng.choice(_STREETS)}", authority.town]
        if self.rng.random() < 0.2:
            lines.insert(0, self.rng.choice(_FLATS))
        return Address(lines=lines, postcode=self.postcode(authority))

    def day_before(self, on: dt.date, min_days: int, max_days: int) -> dt.date:
        return on - dt.timedelta(days=self.rng.randint(min_days, max_days))

    # -- people --
    def contact(self, authority: _Authority, name: PersonName | None) -> ContactDetails:
        email = None
        if name is not None and self.rng.random() < 0.7:
            local = ".".join(_ascii_word(part) for part in (name.given_names.split()[0], name.family_name))
            email = f"{local}@{authority.domain}"
        return ContactDetails(telephone=self.telephone(authority), email=email)

    def practitioner(self, authority: _Authority, agency: AgencyType, organisation: Organisation) -> Practitioner:
        name = self.name()
        return Practitioner(
            practitioner_id=f"P{authority.code}-{self.rng.randint(1, 99999):05d}",
            name=name,
            role=self.rng.choice(_ROLES[agency]),
            organisation=organisation,
            contact=self.contact(authority, name),
        )

    def child(self, authority: _Authority, on: dt.date) -> Child:
        unborn = self.rng.random() < 0.01
        gender = Gender.NOT_KNOWN if unborn else self.rng.choice(_GENDERS)
        born = self.day_before(on, 30, 17 * 365)
        at_school = not unborn and on.year - born.year >= 5
        identifiers = ChildIdentifiers(
            nhs_number=None if unborn else self.nhs_number(),
            upn=self.upn(authority.code, born) if at_school and self.rng.random() < 0.6 else None,
            contactpoint_id=self.contactpoint_id() if self.rng.random() < 0.3 else None,
            local_id=f"ICS-{authority.code}-{self._next():07d}" if self.rng.random() < 0.8 or unborn else None,
        )
        name = self.name(gender)
        former = [self.name(gender)] if self.rng.random() < 0.08 else []
        where = self.rng.random()
        place: dict[str, Any]
        if where < 0.94 or unborn:
            place = {"address": self.address(authority)}
        elif where < 0.96:
            place = {"last_known_address": self.address(authority)}
        elif where < 0.98:
            place = {"no_known_address": NoKnownAddress(recorded_on=self.day_before(on, 0, 200))}
        else:
            place = {
                "left_england": LeftEngland(
                    left_on=self.day_before(on, 0, 300), destination=self.rng.choice(_DESTINATIONS)
                )
            }
        carers = []
        for relationship in self.rng.sample(
            (Relationship.MOTHER, Relationship.FATHER, Relationship.GRANDPARENT, Relationship.FOSTER_CARER),
            k=self.rng.choice((0, 1, 1, 2, 2)),
        ):
            carer_name = PersonName(
                given_names=self.rng.choice(_GIVEN_GIRLS if relationship is Relationship.MOTHER else _GIVEN_BOYS),
                family_name=name.family_name if self.rng.random() < 0.7 else self.rng.choice(_FAMILY),
            )
            carers.append(
                ParentCarer(
                    name=carer_name,
                    relationship=relationship,
                    has_parental_responsibility=relationship in (Relationship.MOTHER, Relationship.FATHER),
                    contact=self.contact(authority, None) if self.rng.random() < 0.5 else None,
                )
            )
        return Child(
            identifiers=identifiers,
            name=name,
            former_names=former,
            date_of_birth=None if unborn else born,
            expected_date_of_birth=on + dt.timedelta(days=self.rng.randint(20, 200)) if unborn else None,
            gender=gender,
            parents_carers=carers,
            **place,
        )

    # -- messages --
    def header(self, message_type: MessageType, sender: SystemKind, authority: _Authority) -> Envelope:
        created = dt.datetime(2009, 1, 5, 1, 0, tzinfo=dt.UTC) + dt.timedelta(
            seconds=self.rng.randint(0, 700 * 24 * 3600)
        )
        return Envelope(
            message_id=self.message_id(),
            message_type=message_type,
            schema_version=SCHEMA_VERSION,
            sender=SystemRef(system=sender, organisation_id=f"LA-{authority.code}", organisation_name=authority.name),
            recipient=SystemRef(system=SystemKind.CONTACTPOINT, organisation_id="CP"),
            created_at=created,
        )

    def service_organisation(self, authority: _Authority, agency: AgencyType) -> Organisation:
        if agency is AgencyType.EDUCATION:
            return self.rng.choice(self.schools[authority.code])
        if agency in (AgencyType.HEALTH, AgencyType.GP):
            return Organisation(
                organisation_id=f"NHS-{authority.code}{self.rng.randint(1, 9)}",
                name=authority.town
                + (" Community Health Services" if agency is AgencyType.HEALTH else " Medical Practice"),
                agency_type=agency,
                la_code=authority.code,
            )
        return authority.organisation

    def involvement(self, authority: _Authority, on: dt.date) -> Involvement:
        name, agency, sensitive = self.rng.choice(_SERVICES)
        organisation = self.service_organisation(authority, agency)
        service = Service(
            service_id=f"SVC-{agency.value.upper()}-{_SERVICES.index((name, agency, sensitive)) + 1:02d}",
            name=name,
            agency_type=agency,
            organisation=organisation,
            sensitive=sensitive,
        )
        if self.rng.random() < 0.6:
            contact: dict[str, Any] = {"practitioner": self.practitioner(authority, agency, organisation)}
        else:
            contact = {
                "team": Team(
                    team_id=f"T{authority.code}-{self.rng.randint(1, 40):02d}",
                    name=self.rng.choice(_TEAMS),
                    organisation=organisation,
                    contact=ContactDetails(telephone=self.switchboard(authority)),
                )
            }
        return Involvement(
            involvement_id=f"INV-{authority.code}-{self._next():08d}",
            service=service,
            start_date=self.day_before(on, 0, 60),
            sensitive_basis=(
                None
                if sensitive is None
                else self.rng.choice((SensitiveBasis.CONSENT, SensitiveBasis.SIGNIFICANT_HARM))
            ),
            **contact,
        )

    def message(self) -> Message:
        authority = self.rng.choice(_AUTHORITIES)
        (kind,) = self.rng.choices([t for t, _ in _MIX], weights=[w for _, w in _MIX])
        if kind is MessageType.CAF_INDICATOR_UPDATE:
            header = self.header(kind, self.rng.choice((SystemKind.LOCAL_ECAF, SystemKind.NATIONAL_ECAF)), authority)
        else:
            header = self.header(
                kind, self.rng.choice((SystemKind.ICS, SystemKind.ICS, SystemKind.FEED_SOURCE)), authority
            )
        on = header.created_at.date()
        child = self.child(authority, on)
        if kind is MessageType.CHILD_IDENTITY_UPDATE:
            return ChildIdentityUpdate(header=header, child=child)
        if kind is MessageType.INVOLVEMENT_STARTED:
            return InvolvementStarted(header=header, child=child, involvement=self.involvement(authority, on))
        if kind is MessageType.INVOLVEMENT_ENDED:
            end = self.day_before(on, 0, 30)
            return InvolvementEnded(
                header=header,
                child=child,
                involvement_id=f"INV-{authority.code}-{self._next():08d}",
                start_date=self.day_before(end, 0, 900),
                end_date=end,
            )
        agency = self.rng.choice(
            (
                AgencyType.EDUCATION,
                AgencyType.HEALTH,
                AgencyType.SOCIAL_CARE,
                AgencyType.YOUTH_SERVICE,
                AgencyType.VOLUNTARY,
            )
        )
        completed_by = self.practitioner(authority, agency, self.service_organisation(authority, agency))
        lead = None
        if self.rng.random() < 0.6:
            lead = (
                completed_by
                if self.rng.random() < 0.5
                else self.practitioner(
                    authority, AgencyType.EDUCATION, self.service_organisation(authority, AgencyType.EDUCATION)
                )
            )
        return CafIndicatorUpdate(
            header=header,
            child=child,
            caf_exists=self.rng.random() < 0.92,
            updated_on=self.day_before(on, 0, 90),
            completed_by=completed_by,
            lead_professional=lead,
        )

    def messages(self, count: int) -> Iterator[Message]:
        for _ in range(count):
            yield self.message()


def _batch_root() -> etree._Element:
    return etree.Element(_NS + BATCH_ELEMENT, nsmap={None: NAMESPACE})  # type: ignore[dict-item]


def write_batch(path: Path, records: int, seed: int, *, pretty: bool = False, chunk: int = 500) -> Counter[str]:
    """Write `records` messages as one `MessageBatch` document, a chunk at a time (bounded memory).

    Each chunk is serialised by lxml under a `MessageBatch` root, so members carry no repeated
    namespace declaration (as `batch_to_xml` writes them); the chunk's root tags are cut off
    and its members appended to the file. Compact output puts one message on each line;
    `pretty` indents every element, as `batch_to_xml` does by default.
    """
    generator = BatchGenerator(seed)
    kinds: Counter[str] = Counter()
    closing = b"</" + BATCH_ELEMENT.encode() + b">"
    with path.open("wb") as out:
        out.write(b"<?xml version='1.0' encoding='UTF-8'?>\n")
        out.write(etree.tostring(_batch_root()).replace(b"/>", b">") + b"\n")
        done = 0
        while done < records:
            holder = _batch_root()
            holder.text = "\n"
            for message in generator.messages(min(chunk, records - done)):
                element = message_element(message)
                element.tail = "\n"
                holder.append(element)
                kinds[message.message_type.value] += 1
            if pretty:
                for element in holder:
                    element.tail = None
                holder.text = None
            text = etree.tostring(holder, encoding="UTF-8", pretty_print=pretty)
            start = text.index(b">") + 1
            start += text[start:].startswith(b"\n")
            out.write(text[start : text.rindex(closing)])
            done += len(holder)
        out.write(closing + b"\n")
    return kinds


# --- measurements (each run in a fresh subprocess) -------------------------------------------------


def _high_water() -> tuple[int, str]:
    """The process's peak resident memory so far, in bytes, and where it was read.

    On Linux this is VmHWM from /proc/self/status: the high-water mark behind ru_maxrss, for
    this process alone. ru_maxrss itself is not used there, because across exec the kernel
    folds the parent's memory high-water mark into it, so a child of a large parent would
    start with the parent's peak. Elsewhere: `getrusage(RUSAGE_SELF).ru_maxrss`.
    """
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024, "VmHWM"
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (rss if sys.platform == "darwin" else rss * 1024), "ru_maxrss"  # bytes on macOS, KiB on Linux


def _reset_peak() -> bool:
    """Reset the process's resident-memory high-water mark, where the OS allows it (Linux).

    Without this, memory allocated and freed before the baseline (compiling the schema, the
    warm-up) would hide any growth of the measured run below that earlier peak.
    """
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def _xsd_path() -> Path:
    return schemas_root() / version_folder() / XSD_FILE


def _decode_stream(path: Path) -> int:
    """(c): stream the batch (the validator's parser settings, events for message elements only) and decode it."""
    with path.open("rb") as stream:
        check_document_start(stream.read)
        stream.seek(0)
        events = etree.iterparse(
            stream,
            events=("end",),
            tag=[_NS + t.value for t in MessageType],
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        count = 0
        for _, element in events:
            parent = element.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # a message element nested deeper than a batch member (none in this batch)
            element_to_message(element)
            count += 1
            element.clear()
            while element.getprevious() is not None:
                del parent[0]
        return count


def measure(which: str, path: Path, warmup: Path) -> dict[str, Any]:
    """Time one measurement and its peak memory above a baseline taken after imports and warm-up."""
    schema = etree.XMLSchema(etree.parse(str(_xsd_path())))
    # Warm up on a one-message file: import-time caches, the compiled schema, rule catalogue, pydantic.
    assert schema.validate(etree.parse(str(warmup)))
    warm = validate_path(warmup)
    assert warm.records == 1, warm
    assert not warm.findings, warm
    assert warm.unusable is None, warm
    _decode_stream(warmup)
    reset = _reset_peak()
    baseline, source = _high_water()
    result: dict[str, Any] = {"which": which, "peak_reset": reset, "peak_source": source}
    start = time.perf_counter()
    if which == "a":
        valid = schema.validate(etree.parse(str(path)))
        result["seconds"] = time.perf_counter() - start
        result["ok"] = bool(valid)
        result["detail"] = "" if valid else str(schema.error_log)[:2000]
    elif which == "b":
        report = validate_path(path)
        result["seconds"] = time.perf_counter() - start
        result["records"] = report.records
        result["findings"] = len(report.findings)
        result["ok"] = report.unusable is None and not report.findings
        result["detail"] = report.unusable or "\n".join(f.describe() for f in report.findings[:5])
    elif which == "c":
        result["records"] = _decode_stream(path)
        result["seconds"] = time.perf_counter() - start
        result["ok"] = True
        result["detail"] = ""
    else:
        raise ValueError(which)
    result["peak_bytes"] = max(0, _high_water()[0] - baseline)
    result["baseline_bytes"] = baseline
    return result


def run_measure(which: str, path: Path, warmup: Path) -> dict[str, Any]:
    """Run `measure` in a fresh interpreter (so the peak memory is this measurement's alone)."""
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--measure",
            which,
            "--file",
            str(path),
            "--warmup",
            str(warmup),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"measurement ({which}) failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def best_of(which: str, path: Path, warmup: Path, repeat: int) -> dict[str, Any]:
    """The fastest of `repeat` runs; its peak memory is the largest seen over all of them."""
    runs = [run_measure(which, path, warmup) for _ in range(repeat)]
    for run in runs:
        if not run["ok"]:
            raise SystemExit(f"measurement ({which}) on {path} did not pass: {run['detail']}")
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best["peak_bytes"] = max(r["peak_bytes"] for r in runs)
    return best


# --- the report ----------------------------------------------------------------------------------


def _generate(folder: Path, records: int, seed: int, pretty: bool) -> tuple[Path, int]:
    path = folder / f"batch-{records}.xml"
    start = time.perf_counter()
    kinds = write_batch(path, records, seed, pretty=pretty)
    size = path.stat().st_size
    mix = ", ".join(f"{name} {count:,}" for name, count in sorted(kinds.items(), key=lambda kv: -kv[1]))
    print(
        f"generated {records:,} messages, {size / MB:.1f} MB ({size / records:,.0f} bytes/message, "
        f"{'indented' if pretty else 'one message a line'}) in {time.perf_counter() - start:.1f} s: {path}"
    )
    print(f"  mix: {mix}")
    return path, size


def _row(label: str, result: dict[str, Any], size: int, records: int) -> str:
    seconds = result["seconds"]
    return (
        f"{label:<58} {seconds:7.2f} {size / MB / seconds:8.1f} {records / seconds:10,.0f} "
        f"{result['peak_bytes'] / MIB:9.1f} {(result['baseline_bytes'] + result['peak_bytes']) / MIB:10.1f}"
    )


def _peak_method(results: list[dict[str, Any]]) -> str:
    sources = {r["peak_source"] for r in results}
    if sources == {"VmHWM"}:
        how = (
            "peak = growth of the process's resident-memory high-water mark (VmHWM in /proc/self/status: "
            "Linux's ru_maxrss for this process alone) above a baseline taken after imports and a warm-up"
        )
    else:
        how = "peak = growth of ru_maxrss (getrusage RUSAGE_SELF) above a baseline taken after imports and a warm-up"
    if all(r["peak_reset"] for r in results):
        return how + ", the mark reset at the baseline (/proc/self/clear_refs)"
    return how + " (the mark could NOT be reset: growth below the warm-up's own peak is not seen)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000, help="messages in the batch (default 10000)")
    parser.add_argument("--out", type=Path, help="folder for the generated batches, kept (default: a temporary folder)")
    parser.add_argument(
        "--scale",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also validate a batch ten times larger with (b) and compare peak memory (default on)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of (a), (b), (c) on the batch; best time kept")
    parser.add_argument("--pretty", action="store_true", help="indent the generated XML (default: one message a line)")
    parser.add_argument("--seed", type=int, default=2009, help="seed of the generated data (default 2009)")
    parser.add_argument("--measure", choices=("a", "b", "c"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure is not None:
        if args.file is None or args.warmup is None:
            parser.error("--measure needs --file and --warmup")
        print(json.dumps(measure(args.measure, args.file, args.warmup)))
        return 0
    if args.records < 1 or args.repeat < 1:
        parser.error("--records and --repeat must be at least 1")

    with tempfile.TemporaryDirectory(prefix="ics-bench-") as tmp:
        folder = args.out if args.out is not None else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(
            f"python {platform.python_version()}, lxml {'.'.join(map(str, etree.LXML_VERSION))}, "
            f"libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))}, {platform.machine()}, {os.cpu_count()} CPUs"
        )
        warmup = folder / "warmup.xml"
        write_batch(warmup, 1, args.seed + 1)
        path, size = _generate(folder, args.records, args.seed, args.pretty)

        results = {w: best_of(w, path, warmup, args.repeat) for w in ("a", "b", "c")}
        assert results["b"]["records"] == args.records, results["b"]
        assert results["b"]["findings"] == 0, results["b"]
        assert results["c"]["records"] == args.records, results["c"]

        print()
        print(f"each measurement in a fresh subprocess; time = best of {args.repeat} runs, parse time included;")
        print(textwrap.fill(_peak_method(list(results.values())) + "; the largest over the runs.", width=118))
        print("MB = 10^6 bytes of XML; MiB = 2^20 bytes; 'peak RSS' = baseline + peak growth")
        print(f"{'measurement':<58} {'time s':>7} {'MB/s':>8} {'records/s':>10} {'peak MiB':>9} {'peak RSS':>10}")
        print(_row("(a) lxml XMLSchema.validate(etree.parse(file))", results["a"], size, args.records))
        print(_row("(b) ics_interop.validate_path(file)", results["b"], size, args.records))
        print(_row("(c) decode only: iterparse(tag=msgs) + element_to_message", results["c"], size, args.records))
        print(f"(b) reported {results['b']['findings']} findings on {results['b']['records']:,} records (asserted 0)")

        if args.scale:
            big_records = args.records * 10
            print()
            big_path, big_size = _generate(folder, big_records, args.seed, args.pretty)
            big = best_of("b", big_path, warmup, 1)
            assert big["records"] == big_records, big
            assert big["findings"] == 0, big
            small_peak, big_peak = results["b"]["peak_bytes"], big["peak_bytes"]
            print("scale check of (b): peak memory for both sizes (1x: largest of its runs; 10x: one run)")
            for records, nbytes, result in ((args.records, size, results["b"]), (big_records, big_size, big)):
                print(
                    f"  {records:>9,} records {nbytes / MB:7.1f} MB: peak RSS "
                    f"{(result['baseline_bytes'] + result['peak_bytes']) / MIB:6.1f} MiB, growth above baseline "
                    f"{result['peak_bytes'] / MIB:6.2f} MiB; {nbytes / MB / result['seconds']:.1f} MB/s, "
                    f"{records / result['seconds']:,.0f} records/s"
                )
            small_rss = results["b"]["baseline_bytes"] + small_peak
            big_rss = big["baseline_bytes"] + big_peak
            # Flat: the 10x run grows no more than 1.5x the 1x run's growth (or 2 MiB, where both are tiny).
            flat = big_peak <= max(1.5 * small_peak, small_peak + 2 * MIB)
            growth_ratio = f"{big_peak / small_peak:.2f}" if small_peak else "n/a"
            print(
                f"  ratio 10x/1x: peak RSS {big_rss / small_rss:.2f}, growth {growth_ratio} "
                f"-> {'flat' if flat else 'NOT flat'} (flat: 10x growth <= max(1.5 x 1x growth, 1x growth + 2 MiB))"
            )
            if args.out is None:
                big_path.unlink()

        ratio = (size / results["b"]["seconds"]) / (size / results["a"]["seconds"])
        print()
        print(f"target (b)/(a) >= 0.33: {'met' if ratio >= 0.33 else 'NOT met'}")
        print(f"ratio (b)/(a): {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
