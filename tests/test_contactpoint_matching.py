"""The directory's matching policy, row by row, on SQLite and PostgreSQL: the table in docs/contactpoint.md.

Each case starts from Kyle Turner's record (NHS number, UPN, the school's local ID, a postcode),
sends one InvolvementStarted as a feeding system would, and checks the outcome the table gives
its row: the record matched, a new record, or the message held for a data manager with the
reason in the acknowledgement. The docs table and the cases here list the same rows with the
same outcomes (`test_the_docs_table_is_the_policy_tested`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest
from ics_interop.adapters.contactpoint import ContactPointDirectory, MatchResolution, ShieldingChange

from ics_interop.messages import SystemRef
from ics_interop.model import Child
from ics_interop.model.codes import Gender
from ics_interop.model.identifiers import contactpoint_id_check_digit, upn_check_letter
from test_contactpoint_story import (
    DATA_MANAGER,
    GP_SURGERY,
    SCHOOL,
    FakeClock,
    accepted,
    count,
    identity_update,
    involvement_started,
    make_child,
    moment,
    nhs_number,
    open_directory,
    rule_ids,
    search,
    send,
    service_involvement,
    table_rows,
)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "contactpoint.md"
BORN = dt.date(2004, 3, 9)
NHS, OTHER_NHS, THIRD_NHS = nhs_number(301), nhs_number(302), nhs_number(303)


def _upn(serial: int) -> str:
    last_twelve = f"206205{serial:06d}"
    return upn_check_letter(last_twelve) + last_twelve


UPN, OTHER_UPN = _upn(11), _upn(12)
NEVER_GIVEN = "CP987654321" + contactpoint_id_check_digit("987654321")


def kyle(
    *,
    given: str = "Kyle",
    family: str = "Turner",
    born: dt.date = BORN,
    postcode: str | None = "N7 6XP",
    nhs: str | None = None,
    upn: str | None = None,
    local_id: str | None = None,
    contactpoint_id: str | None = None,
    gender: Gender = Gender.MALE,
) -> Child:
    """Kyle as the school sent him, changed as a later sender has him."""
    return make_child(
        given,
        family,
        born,
        postcode=postcode,
        nhs=nhs,
        upn=upn,
        local_id=local_id,
        contactpoint_id=contactpoint_id,
        gender=gender,
    )


@attrs.frozen
class Case:
    """One row of the matching table: what is on file first, the child as the message gives it, the outcome."""

    row: str
    child: Child
    outcome: str  # match | new | held
    reason: str = ""  # a phrase the acknowledgement gives for a hold
    sender: SystemRef = GP_SURGERY
    setup: Callable[[ContactPointDirectory], None] | None = None
    shielded: bool = False


def _second_record(
    name: str, family: str, *, postcode: str, upn: str | None = None
) -> Callable[[ContactPointDirectory], None]:
    """Another record, made by a data manager when matching would hold it."""

    def setup(directory: ContactPointDirectory) -> None:
        child = kyle(given=name, family=family, postcode=postcode, upn=upn)
        ack = send(directory, identity_update(child, sender=SCHOOL, at=moment(2010, 1, 16)))
        if rule_ids(ack) == {"CP-MATCH-HELD"}:
            (entry,) = directory.match_queue(by=DATA_MANAGER)
            resolution = MatchResolution(action="new", reason="another child")
            directory.resolve_match(entry.entry_id, resolution, by=DATA_MANAGER)

    return setup


def _earlier_held(directory: ContactPointDirectory) -> None:
    moved = kyle(postcode="E8 3XQ", local_id="GP-7")
    assert rule_ids(send(directory, identity_update(moved, sender=GP_SURGERY))) == {"CP-MATCH-HELD"}


CASES = [
    Case("M1", kyle(nhs=NHS, postcode="E8 3XQ", local_id="GP-1"), "match"),
    Case(
        "M2",
        kyle(nhs=NHS, upn=OTHER_UPN),
        "held",
        "more than one record",
        setup=_second_record("Aisha", "Begum", postcode="E8 3XQ", upn=OTHER_UPN),
    ),
    Case("M3", kyle(upn=UPN, nhs=THIRD_NHS), "held", "different NHS number"),
    Case("M4", kyle(nhs=NHS, given="Aisha", family="Begum", born=dt.date(2003, 2, 2)), "held", "different name"),
    Case("M5", kyle(nhs=NHS, contactpoint_id=NEVER_GIVEN), "held", "ContactPoint ID sent is not the ID"),
    Case("M6", kyle(local_id="GP-1"), "match"),
    Case("M7", kyle(nhs=OTHER_NHS), "held", "another NHS number"),
    Case("M7", kyle(nhs=OTHER_NHS), "held", "another NHS number", shielded=True),
    # The shielded child moved (to a refuge, say), and the new school mistypes the NHS number.
    Case("M7", kyle(nhs=OTHER_NHS, postcode="E8 3XQ"), "held", "another NHS number", shielded=True),
    Case("M8", kyle(upn=OTHER_UPN), "held", "another UPN"),
    Case("M9", kyle(local_id="S-2"), "held", "another local ID from the same sender", sender=SCHOOL),
    Case("M10", kyle(postcode="E8 3XQ"), "held", "not the same postcode"),
    Case("M10", kyle(postcode=None), "held", "not the same postcode"),
    Case("M11", kyle(gender=Gender.FEMALE), "held", "another gender"),
    Case(
        "M12",
        kyle(local_id="GP-1"),
        "held",
        "more than one record",
        setup=_second_record("Kyle", "Turner", postcode="SE1 7PB"),
    ),
    Case("M13", kyle(contactpoint_id=NEVER_GIVEN), "held", "ContactPoint ID sent is not that record's"),
    Case("M14", kyle(given="Kayla", nhs=OTHER_NHS), "new"),
    Case("M15", kyle(family="Turner-Reid", nhs=OTHER_NHS), "new"),
    Case("M15", kyle(born=dt.date(2004, 3, 10), nhs=OTHER_NHS), "new"),
    Case("M16", kyle(postcode="E8 3XQ", local_id="GP-7"), "held", "earlier message", setup=_earlier_held),
]


def _id(case: Case) -> str:
    return f"{case.row}-{case.outcome}" + ("-shielded" if case.shielded else "") + f"-{CASES.index(case)}"


@pytest.fixture
def directory(store_url: str) -> Iterator[ContactPointDirectory]:
    directory = open_directory(store_url, FakeClock(moment(2010, 2, 1)))
    yield directory
    directory.dispose()


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_each_row_of_the_matching_table(directory: ContactPointDirectory, case: Case) -> None:
    on_file = kyle(nhs=NHS, upn=UPN, local_id="S-1")
    assert accepted(send(directory, identity_update(on_file, sender=SCHOOL)))
    (record,) = search(directory, identifier=NHS).records
    if case.shielded:
        change = ShieldingChange(shielded=True, reason="family fleeing violence")
        directory.set_shielding(record.contactpoint_id, change, by=DATA_MANAGER)
    if case.setup is not None:
        case.setup(directory)
    children = count(directory, directory.tables.child)
    held = len(directory.match_queue(by=DATA_MANAGER))
    involvement = service_involvement("GP-INV-TABLE")
    ack = send(directory, involvement_started(case.child, involvement, sender=case.sender))
    assert accepted(ack)
    rows = [r for r in table_rows(directory, directory.tables.involvement) if r["involvement_id"] == "GP-INV-TABLE"]
    if case.outcome == "held":
        assert rule_ids(ack) == {"CP-MATCH-HELD"}
        (finding,) = ack.findings
        assert case.reason in finding.message, finding.message  # the acknowledgement says why
        assert count(directory, directory.tables.child) == children
        assert rows == []
        queue = directory.match_queue(by=DATA_MANAGER)
        assert len(queue) == held + 1
        assert record.contactpoint_id in {c.contactpoint_id for c in queue[-1].candidates}
    else:
        assert ack.findings == []
        (row,) = rows
        if case.outcome == "match":
            assert count(directory, directory.tables.child) == children
            assert row["contactpoint_id"] == record.contactpoint_id
        else:
            assert count(directory, directory.tables.child) == children + 1
            assert row["contactpoint_id"] != record.contactpoint_id
    if case.shielded:
        # The failure DOMAIN.md names: a shielded child found by the new postcode through a duplicate.
        for postcode in {"N7 6XP", case.child.address.postcode if case.child.address else "N7 6XP"}:
            assert search(directory, family_name="Turner", postcode=postcode).records == []
        for shown in search(directory, family_name="Turner", date_of_birth=BORN).records:
            assert shown.location_hidden


def _docs_rows() -> dict[str, str]:
    """The matching table of docs/contactpoint.md: row ID -> outcome (match, new or held)."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Matching", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and re.fullmatch(r"M\d+", cells[0]):
            outcome = cells[-1].lower()
            rows[cells[0]] = "held" if "held" in outcome else "new" if "new record" in outcome else "match"
    return rows


def test_the_docs_table_is_the_policy_tested() -> None:
    documented = _docs_rows()
    tested = {case.row: case.outcome for case in CASES}
    assert documented == tested
