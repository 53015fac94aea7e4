"""Writing a census return for a collection year, in the order and spelling that year's schema asks for.

The writer writes what the `CensusReturn` holds, no more: the year decides only how things
are spelled (the sex element and its codes, the yes/no flags). A value that is missing is
left out, so a return missing something its schema requires comes out invalid; `exporting`
checks every file it writes against the year's schema before handing it over.
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from .census import Assessment, CensusChild, CensusReturn, CinEpisode, Header, ProtectionPlan
from .years import CollectionYear, collection_year

__all__ = ["child_element", "header_element", "write_return"]


def _add(parent: etree._Element, name: str, value: str | dt.date | dt.datetime | int | None) -> None:
    if value is None:
        return
    element = etree.SubElement(parent, name)
    element.text = value.isoformat() if isinstance(value, dt.date) else str(value)


def _header(parent: etree._Element, header: Header) -> None:
    element = etree.SubElement(parent, "Header")
    details = etree.SubElement(element, "CollectionDetails")
    _add(details, "Collection", header.collection)
    _add(details, "Year", f"{header.year:04d}" if header.year is not None else None)
    _add(details, "ReferenceDate", header.reference_date)
    source = etree.SubElement(element, "Source")
    _add(source, "SourceLevel", header.source_level)
    _add(source, "LEA", header.lea)
    _add(source, "SoftwareCode", header.software_code)
    _add(source, "Release", header.release)
    _add(source, "SerialNo", header.serial_no)
    _add(source, "DateTime", header.date_time)


def _assessment(parent: etree._Element, assessment: Assessment) -> None:
    element = etree.SubElement(parent, "Assessments")
    _add(element, "AssessmentActualStartDate", assessment.start_date)
    _add(element, "AssessmentInternalReviewDate", assessment.internal_review_date)
    _add(element, "AssessmentAuthorisationDate", assessment.authorisation_date)
    if assessment.factors:
        factors = etree.SubElement(element, "FactorsIdentifiedAtAssessment")
        for code in assessment.factors:
            _add(factors, "AssessmentFactors", code)


def _protection_plan(parent: etree._Element, plan: ProtectionPlan) -> None:
    element = etree.SubElement(parent, "ChildProtectionPlans")
    _add(element, "CPPstartDate", plan.start_date)
    _add(element, "CPPendDate", plan.end_date)
    _add(element, "InitialCategoryOfAbuse", plan.initial_category)
    _add(element, "LatestCategoryOfAbuse", plan.latest_category)
    _add(element, "NumberOfPreviousCPP", plan.previous_plans)
    dates = [d for d in plan.review_dates if d is not None]
    if dates:
        reviews = etree.SubElement(element, "Reviews")
        for day in dates:
            _add(reviews, "CPPreviewDate", day)


def _episode(parent: etree._Element, episode: CinEpisode, year: CollectionYear) -> None:
    element = etree.SubElement(parent, "CINdetails")
    _add(element, "CINreferralDate", episode.referral_date)
    _add(element, "ReferralSource", episode.referral_source)
    _add(element, "PrimaryNeedCode", episode.primary_need)
    _add(element, "CINclosureDate", episode.closure_date)
    _add(element, "ReasonForClosure", episode.closure_reason)
    _add(element, "DateOfInitialCPC", episode.icpc_date)
    for assessment in episode.assessments:
        _assessment(element, assessment)
    for cin_plan in episode.cin_plans:
        dates = etree.SubElement(element, "CINPlanDates")
        _add(dates, "CINPlanStartDate", cin_plan.start_date)
        _add(dates, "CINPlanEndDate", cin_plan.end_date)
    for enquiry in episode.section47s:
        s47 = etree.SubElement(element, "Section47")
        _add(s47, "S47ActualStartDate", enquiry.start_date)
        _add(s47, "InitialCPCtarget", enquiry.icpc_target_date)
        _add(s47, "DateOfInitialCPC", enquiry.icpc_date)
        if enquiry.icpc_not_required is not None:
            _add(s47, "ICPCnotRequired", year.yes_no(enquiry.icpc_not_required))
    if episode.referral_nfa is not None:
        _add(element, "ReferralNFA", year.yes_no(episode.referral_nfa))
    for plan in episode.protection_plans:
        _protection_plan(element, plan)


def _child(parent: etree._Element, child: CensusChild, year: CollectionYear) -> None:
    element = etree.SubElement(parent, "Child")
    identifiers = etree.SubElement(element, "ChildIdentifiers")
    _add(identifiers, "LAchildID", child.la_child_id)
    _add(identifiers, "UPN", child.upn)
    _add(identifiers, "FormerUPN", child.former_upn)
    _add(identifiers, "UPNunknown", child.upn_unknown)
    _add(identifiers, "PersonBirthDate", child.birth_date)
    _add(identifiers, "ExpectedPersonBirthDate", child.expected_birth_date)
    if child.sex is not None:
        _add(identifiers, year.sex_element, year.sex_code(child.sex))
    _add(identifiers, "PersonDeathDate", child.death_date)
    characteristics = etree.SubElement(element, "ChildCharacteristics")
    _add(characteristics, "Ethnicity", child.ethnicity)
    if child.disabilities:
        disabilities = etree.SubElement(characteristics, "Disabilities")
        for code in child.disabilities:
            _add(disabilities, "Disability", code)
    for episode in child.episodes:
        _episode(element, episode, year)


def header_element(header: Header) -> etree._Element:
    """The `Header` element of a return, on its own (for writing a large return piece by piece)."""
    holder = etree.Element("Message")
    _header(holder, header)
    return holder[0]


def child_element(child: CensusChild, year: CollectionYear | int) -> etree._Element:
    """One `Child` element spelled for the collection year, on its own (see `header_element`)."""
    holder = etree.Element("Children")
    _child(holder, child, collection_year(year))
    return holder[0]


def write_return(census: CensusReturn, year: CollectionYear | int) -> bytes:
    """The return as a UTF-8 XML document spelled for the collection year."""
    spelling = collection_year(year)
    root = etree.Element("Message")
    if census.header is not None:
        _header(root, census.header)
    children = etree.SubElement(root, "Children")
    for child in census.children:
        _child(children, child, spelling)
    etree.indent(root, space="    ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8", pretty_print=True)
