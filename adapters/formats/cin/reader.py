"""Reading a census return: safe parsing, the year's schema with line numbers, and the return in memory.

The file is parsed with the library's safe parser (no DTD, no entities, no network), checked
against the collection year's XML Schema with lxml (each error with its line), and read into
a `CensusReturn` leniently: a file the schema rejects is still read as far as it can be, so
the census rules can say what its content implies. Where every value was in the file is kept
in `SourceLines`, keyed by the same paths the rules report.

Paths name a child by its position and, in text, by its LAchildID:
``child[LAchildID=DfEX0000001].CINdetails[0].Assessments[1].AssessmentActualStartDate``.
Repeatable groups carry a 0-based index among their same-named siblings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any, cast

import attrs
from lxml import etree

from ics_interop.codecs.safe_xml import parse_xml
from ics_interop.errors import UnusableInputError
from ics_interop.findings import Finding, Severity

from .census import (
    Assessment,
    CensusChild,
    CensusReturn,
    CinEpisode,
    CinPlan,
    Header,
    ProtectionPlan,
    Section47,
    Sex,
)
from .years import YEARS, CollectionYear, read_yes_no, sex_from_code

__all__ = [
    "MAX_RETURN_BYTES",
    "ROOT_ELEMENT",
    "SourceLines",
    "child_label",
    "header_year",
    "iter_children",
    "parse_return",
    "read_census",
    "read_header",
    "read_return",
    "schema_findings",
    "unread_elements",
]

#: The root element of a census return (the schemas have no target namespace).
ROOT_ELEMENT = "Message"

#: Elements that may repeat, and so carry an index in a path.
_REPEATED = frozenset(
    {
        "Source",
        "CINdetails",
        "Assessments",
        "CINPlanDates",
        "Section47",
        "ChildProtectionPlans",
        "Disability",
        "AssessmentFactors",
        "CPPreviewDate",
    }
)

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(Z|[+\-]\d{2}:\d{2})?$")
_INTEGER = re.compile(r"^\+?\d{1,9}$")
_CHILD_XPATH = re.compile(r"^/Message/Children/Child(?:\[(\d+)\])?(/.*)?$")
_STEP = re.compile(r"^([A-Za-z0-9_]+)(?:\[(\d+)\])?$")


@attrs.frozen
class SourceLines:
    """The line of each element of a return, by (child index or None for the header, path)."""

    lines: Mapping[tuple[int | None, str], int] = attrs.Factory(dict)
    #: The text of each single-valued element read, by the same keys.
    values: Mapping[tuple[int | None, str], str] = attrs.Factory(dict)

    def value(self, child: int | None, path: str) -> str | None:
        """The text of the element at exactly `path`, where it was read and had one."""
        return self.values.get((child, path))

    def line(self, child: int | None, path: str) -> int | None:
        """The line of the element at `path`, or of its nearest enclosing element that was read."""
        while True:
            found = self.lines.get((child, path))
            if found is not None or not path:
                return found
            path = path.rpartition(".")[0]


def _line(element: etree._Element) -> int | None:
    line = element.sourceline
    return line if isinstance(line, int) else None


def child_label(child: CensusChild, index: int) -> str:
    """How paths name a child: by LAchildID where it has one, else by position."""
    return f"child[LAchildID={child.la_child_id}]" if child.la_child_id else f"child[{index}]"


# --- parsing and the schema ----------------------------------------------------------------------


#: The largest return read: ten times a large authority's (40,000 children make about 45 MB).
MAX_RETURN_BYTES = 512 * 1024 * 1024


def parse_return(data: bytes) -> etree._ElementTree:
    """Parse a return safely; `UnusableInputError` for anything that is not a census `Message`.

    Whitespace between elements is not kept (it is not content, and it would double the tree).
    """
    if len(data) > MAX_RETURN_BYTES:
        raise UnusableInputError(
            f"the return is {len(data):,} bytes, more than the limit of {MAX_RETURN_BYTES:,}",
            hint="check that this is one authority's census return; split a larger one by child and check each part",
        )
    tree = parse_xml(data, max_bytes=MAX_RETURN_BYTES, remove_blank_text=True)
    root = tree.getroot()
    if root.tag != ROOT_ELEMENT:
        raise UnusableInputError(
            f"the root element is {etree.QName(root).localname!r}"
            + (f" in namespace {etree.QName(root).namespace}" if etree.QName(root).namespace else "")
            + f", not the census's {ROOT_ELEMENT!r}",
            hint="give a Children in Need census return: a <Message> with <Header> and <Children>, no namespace",
            line=_line(root),
        )
    return tree


def header_year(tree: etree._ElementTree) -> tuple[int, str]:
    """The collection year a return's header names, and what in the header said so.

    As DfE's collection and the peers' validators do, the census period is the one that holds
    the header's `ReferenceDate` (the year whose 31 March ends it: 2024-03-31 gives 2024, and
    a date in April starts the next year); without a readable ReferenceDate, the header's
    `Year`. `UnusableInputError` when the header gives neither, or names a year with no schema.
    """
    details = tree.getroot().find("Header/CollectionDetails")
    text = (details.findtext("ReferenceDate") or "").strip() if details is not None else ""
    reference = _date(text)
    year_text = (details.findtext("Year") or "").strip() if details is not None else ""
    if reference is not None:
        year = reference.year if (reference.month, reference.day) <= (3, 31) else reference.year + 1
        said = f"the header's ReferenceDate {reference.isoformat()}"
    elif year_text.isdigit() and len(year_text) == 4:
        year, said = int(year_text), f"the header's Year {year_text} (its ReferenceDate is missing or not a date)"
    else:
        raise UnusableInputError(
            "the return's header gives no ReferenceDate or Year, so its collection year is not known",
            hint="give the collection year (--year 2025), or correct Header/CollectionDetails/ReferenceDate",
            line=_line(details) if details is not None else None,
        )
    if year not in YEARS:
        known = ", ".join(str(y) for y in YEARS)
        raise UnusableInputError(
            f"{said} puts the return in the {year} collection, which has no census schema here",
            hint=f"give one of the collection years {known} (--year), or correct the header's ReferenceDate",
            line=_line(details) if details is not None else None,
        )
    return year, said


@cache
def _schema(year: int) -> etree.XMLSchema:
    return etree.XMLSchema(parse_xml(YEARS[year].schema_bytes()))


_SCHEMA_HINTS = {
    "SCHEMAV_CVC_COMPLEX_TYPE_2_3": "remove the text that stands between the child elements",
    "SCHEMAV_ELEMENT_CONTENT": "add the missing element, remove the unexpected one, or put them in the schema's order",
    "SCHEMAV_CVC_ENUMERATION_VALID": "use a code from the year's code set",
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1": "write dates as YYYY-MM-DD and numbers as digits",
    "SCHEMAV_CVC_PATTERN_VALID": "write the value in the form the schema's pattern gives",
}


def _schema_path(xpath: str | None, labels: list[str]) -> tuple[int | None, str]:
    """Turn libxml2's error path into (child index, path in the rules' style)."""
    text = xpath or ""
    match = _CHILD_XPATH.match(text)
    child: int | None = None
    prefix = ""
    if match:
        child = int(match.group(1) or 1) - 1
        prefix = labels[child] if 0 <= child < len(labels) else f"child[{child}]"
        text = match.group(2) or ""
    else:
        text = text.removeprefix("/Message")
    steps = []
    for step in (s for s in text.split("/") if s):
        parts = _STEP.match(step)
        if parts is None:
            steps.append(step)
            continue
        name, index = parts.group(1), parts.group(2)
        steps.append(f"{name}[{int(index or 1) - 1}]" if name in _REPEATED else name)
    return child, ".".join(([prefix] if prefix else []) + steps)


def schema_findings(tree: etree._ElementTree, year: CollectionYear) -> list[Finding]:
    """The year's schema errors, each with its line and the child it is in."""
    schema = _schema(year.year)
    if schema.validate(tree):
        return []
    labels = [_label_of(element, i) for i, element in enumerate(tree.getroot().iterfind("Children/Child"))]
    findings = []
    for error in cast(Iterable[Any], schema.error_log):
        child, path = _schema_path(error.path, labels)
        type_name = str(error.type_name)
        value = _leaf_text(tree, error.path)
        findings.append(
            Finding(
                "XSD-" + type_name.removeprefix("SCHEMAV_").lower().replace("_", "-"),
                Severity.ERROR,
                str(error.message),
                path=path,
                line=error.line or None,
                hint=_SCHEMA_HINTS.get(type_name, "correct the element as the message says"),
                record=child,
                source=f"CIN census schema {year.year}",
                value=value,
            )
        )
    return findings


def _leaf_text(tree: etree._ElementTree, xpath: str | None) -> str | None:
    """The text of the element libxml2's error path names, when it is a leaf with text."""
    if not xpath:
        return None
    try:
        found = tree.xpath(xpath)
    except etree.XPathError:
        return None
    if isinstance(found, list) and len(found) == 1 and isinstance(found[0], etree._Element) and not len(found[0]):
        text = (found[0].text or "").strip()
        return text or None
    return None


def _label_of(element: etree._Element, index: int) -> str:
    found = element.findtext("ChildIdentifiers/LAchildID")
    text = (found or "").strip()
    return f"child[LAchildID={text}]" if text else f"child[{index}]"


# --- reading -------------------------------------------------------------------------------------


class _Reader:
    """Reads elements into values, noting each element's line under its path."""

    def __init__(self) -> None:
        self.lines: dict[tuple[int | None, str], int] = {}
        self.values: dict[tuple[int | None, str], str] = {}
        self.child: int | None = None

    def note(self, element: etree._Element, path: str) -> None:
        line = element.sourceline
        if isinstance(line, int):
            self.lines.setdefault((self.child, path), line)

    def children(self, element: etree._Element, name: str, path: str) -> Iterator[tuple[etree._Element, str]]:
        """Child elements called `name`, each with its path (indexed when the element may repeat)."""
        sub = f"{path}.{name}" if path else name
        repeated = name in _REPEATED
        for i, found in enumerate(element.iterchildren(name)):
            where = f"{sub}[{i}]" if repeated else sub
            self.note(found, where)
            yield found, where

    def _find(self, element: etree._Element, name: str, path: str) -> tuple[etree._Element | None, str]:
        """The first child element called `name` (lxml finds it in C), noted under its path."""
        found = element.find(name)
        sub = f"{path}.{name}" if path else name
        if name in _REPEATED:
            sub += "[0]"
        if found is not None:
            self.note(found, sub)
        return found, sub

    def text(self, element: etree._Element, path: str) -> str:
        """An element's text, stripped, kept as the value at `path`."""
        text = (element.text or "").strip()
        if text:
            self.values.setdefault((self.child, path), text)
        return text

    def first(self, element: etree._Element | None, name: str, path: str) -> str | None:
        if element is None:
            return None
        found, sub = self._find(element, name, path)
        if found is None:
            return None
        text = (found.text or "").strip()
        if text:
            self.values.setdefault((self.child, sub), text)
        return text or None

    def group(self, element: etree._Element | None, name: str, path: str) -> tuple[etree._Element | None, str]:
        if element is None:
            return None, path
        found, sub = self._find(element, name, path)
        return (found, sub) if found is not None else (None, path)

    def date(self, element: etree._Element | None, name: str, path: str) -> dt.date | None:
        return _date(self.first(element, name, path))

    def flag(self, element: etree._Element | None, name: str, path: str) -> bool | None:
        text = self.first(element, name, path)
        return None if text is None else read_yes_no(text)


def _date(text: str | None) -> dt.date | None:
    match = _DATE.match(text or "")
    if match is None:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def _integer(text: str | None) -> int | None:
    return int(text) if text is not None and _INTEGER.match(text) else None


def _date_time(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _header(reader: _Reader, root: etree._Element) -> Header | None:
    element, path = reader.group(root, "Header", "")
    if element is None:
        return None
    details, details_path = reader.group(element, "CollectionDetails", path)
    source, source_path = reader.group(element, "Source", path)
    year = reader.first(details, "Year", details_path)
    return Header(
        collection=reader.first(details, "Collection", details_path),
        year=int(year) if year is not None and year.isdigit() and len(year) == 4 else None,
        reference_date=reader.date(details, "ReferenceDate", details_path),
        source_level=reader.first(source, "SourceLevel", source_path),
        lea=reader.first(source, "LEA", source_path),
        software_code=reader.first(source, "SoftwareCode", source_path),
        release=reader.first(source, "Release", source_path),
        serial_no=reader.first(source, "SerialNo", source_path),
        date_time=_date_time(reader.first(source, "DateTime", source_path)),
    )


def _sex(
    reader: _Reader, identifiers: etree._Element | None, path: str, year: CollectionYear | None
) -> tuple[Sex | None, str | None]:
    # With a year, only the year's element counts; the other is read for its line alone, so a
    # finding about the missing element can point at the one the file used instead.
    found: Sex | None = None
    written: str | None = None
    names = ("GenderCurrent", "Sex")
    if year is not None and year.sex_element == "Sex":
        names = ("Sex", "GenderCurrent")
    for name in names:
        code = reader.first(identifiers, name, path)
        if code is not None and written is None and (year is None or name == year.sex_element):
            found, written = sex_from_code(name, code), code
        if year is not None and name != year.sex_element and (reader.child, f"{path}.{name}") in reader.lines:
            reader.lines.setdefault(
                (reader.child, f"{path}.{year.sex_element}"), reader.lines[(reader.child, f"{path}.{name}")]
            )
    return found, written


def _assessment(reader: _Reader, element: etree._Element, path: str) -> Assessment:
    factors_group, factors_path = reader.group(element, "FactorsIdentifiedAtAssessment", path)
    factors: list[str] = []
    if factors_group is not None:
        for found, sub in reader.children(factors_group, "AssessmentFactors", factors_path):
            factors.append(reader.text(found, sub))
    return Assessment(
        start_date=reader.date(element, "AssessmentActualStartDate", path),
        internal_review_date=reader.date(element, "AssessmentInternalReviewDate", path),
        authorisation_date=reader.date(element, "AssessmentAuthorisationDate", path),
        factors=tuple(factors),
    )


def _protection_plan(reader: _Reader, element: etree._Element, path: str) -> ProtectionPlan:
    reviews: list[dt.date | None] = []
    for group, group_path in reader.children(element, "Reviews", path):
        dates = [
            _date(reader.text(found, where)) for found, where in reader.children(group, "CPPreviewDate", group_path)
        ]
        reviews.extend(dates or [None])
    return ProtectionPlan(
        start_date=reader.date(element, "CPPstartDate", path),
        end_date=reader.date(element, "CPPendDate", path),
        initial_category=reader.first(element, "InitialCategoryOfAbuse", path),
        latest_category=reader.first(element, "LatestCategoryOfAbuse", path),
        previous_plans=_integer(reader.first(element, "NumberOfPreviousCPP", path)),
        review_dates=tuple(reviews),
    )


def _episode(reader: _Reader, element: etree._Element, path: str) -> CinEpisode:
    return CinEpisode(
        referral_date=reader.date(element, "CINreferralDate", path),
        referral_source=reader.first(element, "ReferralSource", path),
        primary_need=reader.first(element, "PrimaryNeedCode", path),
        closure_date=reader.date(element, "CINclosureDate", path),
        closure_reason=reader.first(element, "ReasonForClosure", path),
        icpc_date=reader.date(element, "DateOfInitialCPC", path),
        assessments=tuple(_assessment(reader, e, p) for e, p in reader.children(element, "Assessments", path)),
        cin_plans=tuple(
            CinPlan(reader.date(e, "CINPlanStartDate", p), reader.date(e, "CINPlanEndDate", p))
            for e, p in reader.children(element, "CINPlanDates", path)
        ),
        section47s=tuple(
            Section47(
                start_date=reader.date(e, "S47ActualStartDate", p),
                icpc_target_date=reader.date(e, "InitialCPCtarget", p),
                icpc_date=reader.date(e, "DateOfInitialCPC", p),
                icpc_not_required=reader.flag(e, "ICPCnotRequired", p),
            )
            for e, p in reader.children(element, "Section47", path)
        ),
        referral_nfa=reader.flag(element, "ReferralNFA", path),
        protection_plans=tuple(
            _protection_plan(reader, e, p) for e, p in reader.children(element, "ChildProtectionPlans", path)
        ),
    )


def _child(reader: _Reader, element: etree._Element, year: CollectionYear | None) -> CensusChild:
    identifiers, ids_path = reader.group(element, "ChildIdentifiers", "")
    characteristics, chars_path = reader.group(element, "ChildCharacteristics", "")
    disabilities_group, disabilities_path = reader.group(characteristics, "Disabilities", chars_path)
    disabilities = (
        tuple(reader.text(e, p) for e, p in reader.children(disabilities_group, "Disability", disabilities_path))
        if disabilities_group is not None
        else ()
    )
    sex, sex_code = _sex(reader, identifiers, ids_path, year)
    return CensusChild(
        la_child_id=reader.first(identifiers, "LAchildID", ids_path),
        upn=reader.first(identifiers, "UPN", ids_path),
        former_upn=reader.first(identifiers, "FormerUPN", ids_path),
        upn_unknown=reader.first(identifiers, "UPNunknown", ids_path),
        birth_date=reader.date(identifiers, "PersonBirthDate", ids_path),
        expected_birth_date=reader.date(identifiers, "ExpectedPersonBirthDate", ids_path),
        sex=sex,
        sex_code=sex_code,
        death_date=reader.date(identifiers, "PersonDeathDate", ids_path),
        ethnicity=reader.first(characteristics, "Ethnicity", chars_path),
        disabilities=disabilities,
        episodes=tuple(_episode(reader, e, p) for e, p in reader.children(element, "CINdetails", "")),
    )


def read_header(tree: etree._ElementTree) -> tuple[Header | None, SourceLines]:
    """The return's header, and the lines of what is not in a child (the header, `Children`)."""
    reader = _Reader()
    root = tree.getroot()
    header = _header(reader, root)
    container = root.find("Children")
    if container is not None:
        reader.note(container, "Children")
    return header, SourceLines(reader.lines, reader.values)


def iter_children(
    tree: etree._ElementTree, year: CollectionYear | None = None, *, release: bool = False
) -> Iterator[tuple[int, CensusChild, SourceLines]]:
    """Each child of the return in turn, read into memory, with the lines of its elements.

    With `release`, each child's elements are dropped from the tree once the child has been
    read (and the caller has had it), so checking a large return holds one child at a time.
    See `read_census` for `year`.
    """
    container = tree.getroot().find("Children")
    if container is None:
        return
    index = 0
    for element in [e for e in container if e.tag == "Child"] if release else container:
        if element.tag != "Child":
            continue
        reader = _Reader()
        reader.child = index
        reader.note(element, "")
        yield index, _child(reader, element, year), SourceLines(reader.lines, reader.values)
        index += 1
        if release:
            element.clear()
            container.remove(element)


def read_census(tree: etree._ElementTree, year: CollectionYear | None = None) -> tuple[CensusReturn, SourceLines]:
    """Read a parsed return into memory, with the line of every element read.

    With a `year`, the child's sex is read only from that year's element (`GenderCurrent` up
    to 2024, `Sex` from 2025), as the year's rules expect; without one, from either.
    """
    header, header_lines = read_header(tree)
    lines, values = dict(header_lines.lines), dict(header_lines.values)
    children = []
    for _index, child, child_lines in iter_children(tree, year):
        children.append(child)
        lines.update(child_lines.lines)
        values.update(child_lines.values)
    return CensusReturn(header=header, children=tuple(children)), SourceLines(lines, values)


def unread_elements(tree: etree._ElementTree, lines: SourceLines) -> list[tuple[int | None, str, int | None]]:
    """Elements of a return that reading it did not use: (child index or None, path, line).

    An element the census does not define (a later year's group, a typo, a second LAchildID)
    is not read into the return; importing lists each one, so nothing is dropped unsaid. Only
    the outermost unread element of a branch is listed.
    """
    found: list[tuple[int | None, str, int | None]] = []

    def walk(element: etree._Element, path: str, child: int | None) -> None:
        seen: dict[str, int] = {}
        for sub in element:
            if not isinstance(sub.tag, str):
                continue
            index = seen.get(sub.tag, 0)
            seen[sub.tag] = index + 1
            step = f"{sub.tag}[{index}]" if sub.tag in _REPEATED else sub.tag
            sub_path = f"{path}.{step}" if path else step
            if (child, sub_path) not in lines.lines:
                found.append((child, sub_path, _line(sub)))
            elif len(sub):
                walk(sub, sub_path, child)

    seen: set[str] = set()
    for element in tree.getroot():
        if not isinstance(element.tag, str):
            continue
        first = element.tag not in seen
        seen.add(element.tag)
        if first and element.tag == "Header" and (None, "Header") in lines.lines:
            walk(element, "Header", None)
        elif first and element.tag == "Children" and (None, "Children") in lines.lines:
            index = 0
            for sub in (e for e in element if isinstance(e.tag, str)):
                if sub.tag == "Child":
                    walk(sub, "", index)
                    index += 1
                else:
                    found.append((None, f"Children.{sub.tag}", _line(sub)))
        else:
            found.append((None, element.tag, _line(element)))
    return found


def read_return(source: bytes | str | Path, year: CollectionYear | None = None) -> CensusReturn:
    """Read a return from a file or from bytes (without checking it against any schema)."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    return read_census(parse_return(data), year)[0]
