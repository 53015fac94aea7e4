"""Census children to the standard's case records, and back.

Each CIN episode (a `CINdetails` group: a referral and what followed it, to its closure)
becomes one `CaseRecord`, because a case record has one closure; the child's episodes are
records with the same child. Back the other way, records with the same child
(`child.identifiers.localId`, else the case ID) become one census child, each referral of a
record one episode; an assessment or plan goes to the episode of the latest referral on or
before its start (the first, when it starts before every referral).

| census | the standard's models |
|---|---|
| LAchildID | `Child.identifiers.localId`; the case ID is LAchildID + `.cin` + the episode's number |
| UPN | `Child.identifiers.upn` (when it has the form the standard's `Upn` type allows) |
| PersonBirthDate, ExpectedPersonBirthDate | `Child.dateOfBirth`, else `Child.expectedDateOfBirth` |
| GenderCurrent / Sex | `Child.gender` (1/2/0/9; from 2025 M/F/U as 1/2/0) |
| Ethnicity, Disability | `CaseRecord.characteristics` |
| CINreferralDate, ReferralSource, PrimaryNeedCode, ReferralNFA | one `IcsReferral` |
| CINclosureDate with ReasonForClosure | `CaseRecord.closure` |
| Assessments: start and authorisation dates | `InitialAssessment` started and completed |
| CINPlanDates | `ChildPlan` of type `cin` |
| ChildProtectionPlans: dates, LatestCategoryOfAbuse | `ChildPlan` of type `cp` with its abuse category |
| CPPreviewDate | `IcsReview` of that plan |

What the standard's models do not carry, and why (an export from records fills what the
census requires as said, and leaves the rest out):

- FormerUPN and UPNunknown: `ChildIdentifiers` holds one current UPN and no reason for a missing one.
- ExpectedPersonBirthDate when PersonBirthDate is also given: `Child` holds exactly one of the two.
- PersonDeathDate: `Child` has no date of death (only the F1 `ChildIdentityUpdate` message has one).
  It is written to the chronology for people to read; an export does not read it back.
- Section47 (start, ICPC target, ICPC date, ICPC not required) and DateOfInitialCPC: the models
  have no section 47 enquiry or conference record. They go to the chronology, for people only.
- AssessmentInternalReviewDate and AssessmentFactors: ICS assessments record findings by
  Assessment Framework dimension, not the census's factor codes.
- InitialCategoryOfAbuse when it differs from the latest: a plan has one category (the latest).
  An export writes the latest as both.
- NumberOfPreviousCPP: not in the models. An export writes the number of earlier child protection
  plans the records hold for the child, at least the year's minimum (1 up to 2024).
- A closure date without a valid reason, or a reason without a date: `IcsClosure` needs both.
- The header's software code, release, serial number and time: they describe a file, not a child.
- Indeterminate sex (`9`) has no code from 2025, when it is written as `U`.

The census has no names or addresses and the models require them: an import names the child
"Not recorded" and records "no known address" as at the reference date. Texts the models
require and the census lacks (a referral's reason, a plan's summary, a review's outcome) say
"Not recorded in the Children in Need census". An export does not write any of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import TypeVar

from pydantic import ValidationError

from ics_interop.findings import Finding, Severity
from ics_interop.model.codes import (
    AbuseCategory,
    CinClosureReason,
    Disability,
    Ethnicity,
    Gender,
    PlanType,
    PrimaryNeed,
    ReferralSource,
)
from ics_interop.model.ics_records import (
    CaseRecord,
    ChildPlan,
    ChronologyEntry,
    CoreAssessment,
    IcsClosure,
    IcsReferral,
    IcsReview,
    InitialAssessment,
)
from ics_interop.model.people import Child, ChildCharacteristics, ChildIdentifiers, NoKnownAddress, PersonName

from .census import Assessment, CensusChild, CinEpisode, CinPlan, ProtectionPlan, Sex
from .reader import child_label
from .years import CollectionYear

__all__ = [
    "NOT_RECORDED",
    "case_records_to_children",
    "child_to_case_records",
]

#: The text the models require where the census has nothing to say.
NOT_RECORDED = "Not recorded in the Children in Need census"
_NOT_RECORDED_NAME = "Not recorded"

_GENDER = {Sex.MALE: Gender.MALE, Sex.FEMALE: Gender.FEMALE, Sex.UNKNOWN: Gender.NOT_KNOWN}
_SEX = {
    Gender.MALE: Sex.MALE,
    Gender.FEMALE: Sex.FEMALE,
    Gender.NOT_KNOWN: Sex.UNKNOWN,
    Gender.NOT_SPECIFIED: Sex.INDETERMINATE,
}

C = TypeVar("C", bound=str)


def _note(rule_id: str, severity: Severity, path: str, message: str, record: int | None, hint: str) -> Finding:
    return Finding(rule_id, severity, message, path=path, hint=hint, record=record, source="ics-interop CIN mapping")


def _code(code_set: type[C], value: str | None) -> C | None:
    if value is None:
        return None
    try:
        return code_set(value)
    except ValueError:
        return None


# --- census to case records ---------------------------------------------------------------------------


class _Importer:
    """Maps one census child, collecting a note for everything it cannot carry."""

    def __init__(self, child: CensusChild, index: int, reference_date: dt.date) -> None:
        self.child, self.index, self.reference_date = child, index, reference_date
        self.label = child_label(child, index)
        self.notes: list[Finding] = []

    def lost(self, path: str, what: str) -> None:
        self.notes.append(
            _note(
                "CIN-IMPORT",
                Severity.WARNING,
                f"{self.label}.{path}",
                f"not carried by the standard's models: {what}",
                self.index,
                "see docs/cin-census.md for the fields the models do not carry",
            )
        )

    def child_model(self) -> Child:
        child = self.child
        upn = child.upn
        if upn is not None:
            try:
                ChildIdentifiers(upn=upn)
            except ValidationError:
                self.lost("ChildIdentifiers.UPN", f"UPN {upn!r} does not have the form of a UPN")
                upn = None
        for name, value in (("FormerUPN", child.former_upn), ("UPNunknown", child.upn_unknown)):
            if value is not None:
                self.lost(f"ChildIdentifiers.{name}", f"{name} {value}")
        expected = child.expected_birth_date if child.birth_date is None else None
        if child.birth_date is not None and child.expected_birth_date is not None:
            self.lost(
                "ChildIdentifiers.ExpectedPersonBirthDate",
                f"ExpectedPersonBirthDate {child.expected_birth_date} (PersonBirthDate is given)",
            )
        if child.death_date is not None:
            self.lost(
                "ChildIdentifiers.PersonDeathDate", f"PersonDeathDate {child.death_date} (kept in the chronology)"
            )
        if child.sex is Sex.INDETERMINATE:
            gender = Gender.NOT_SPECIFIED
        else:
            gender = _GENDER.get(child.sex, Gender.NOT_KNOWN) if child.sex is not None else Gender.NOT_KNOWN
        if child.sex is None:
            found = f"{child.sex_code!r} is not a sex code the census knows" if child.sex_code else "no sex is given"
            self.lost("ChildIdentifiers.Sex", f"{found}: the child is imported with gender not known (0)")
        return Child(
            identifiers=ChildIdentifiers(upn=upn, local_id=child.la_child_id),
            name=PersonName(given_names=_NOT_RECORDED_NAME, family_name=_NOT_RECORDED_NAME),
            date_of_birth=child.birth_date,
            expected_date_of_birth=expected,
            gender=gender,
            no_known_address=NoKnownAddress(recorded_on=self.reference_date),
        )

    def characteristics(self) -> ChildCharacteristics:
        ethnicity = _code(Ethnicity, self.child.ethnicity)
        if self.child.ethnicity is not None and ethnicity is None:
            self.lost("ChildCharacteristics.Ethnicity", f"Ethnicity {self.child.ethnicity!r} is not a census code")
        disabilities = []
        for i, value in enumerate(self.child.disabilities):
            code = _code(Disability, value)
            if code is None:
                self.lost(f"ChildCharacteristics.Disabilities.Disability[{i}]", f"{value!r} is not a disability code")
            else:
                disabilities.append(code)
        return ChildCharacteristics(ethnicity=ethnicity, disabilities=disabilities)

    def record(self, number: int, episode: CinEpisode, child: Child, chars: ChildCharacteristics) -> CaseRecord | None:
        path = f"CINdetails[{number - 1}]"
        case_id = f"{self.child.la_child_id}.cin{number}"
        source = _code(ReferralSource, episode.referral_source)
        if episode.referral_date is None or source is None:
            self.notes.append(
                _note(
                    "CIN-IMPORT",
                    Severity.ERROR,
                    f"{self.label}.{path}",
                    "episode not imported: a referral needs a date and a valid ReferralSource "
                    f"(found {episode.referral_date} and {episode.referral_source!r})",
                    self.index,
                    "correct the return (rules 8600 and 8866 say what is wrong) and import it again",
                )
            )
            return None
        primary_need = _code(PrimaryNeed, episode.primary_need)
        if episode.primary_need is not None and primary_need is None:
            self.lost(f"{path}.PrimaryNeedCode", f"{episode.primary_need!r} is not a primary need code")
        if episode.referral_nfa is None:
            self.lost(f"{path}.ReferralNFA", "ReferralNFA is missing or not a yes/no value: imported as further action")
        referral = IcsReferral(
            referral_id=f"{case_id}.referral",
            referral_date=episode.referral_date,
            source=source,
            primary_need=primary_need,
            reason=NOT_RECORDED,
            no_further_action=episode.referral_nfa is True,
        )
        return CaseRecord(
            case_id=case_id,
            child=child,
            characteristics=chars,
            referrals=[referral],
            initial_assessments=list(self.assessments(case_id, path, episode.assessments)),
            plans=list(self.plans(case_id, path, episode)),
            reviews=list(self.reviews(case_id, path, episode.protection_plans)),
            closure=self.closure(path, episode),
            chronology=self.chronology(path, episode, last=number == len(self.child.episodes)),
        )

    def assessments(self, case_id: str, path: str, items: tuple[Assessment, ...]) -> Iterator[InitialAssessment]:
        for i, item in enumerate(items):
            where = f"{path}.Assessments[{i}]"
            if item.start_date is None:
                self.lost(where, "an assessment with no start date")
                continue
            if item.internal_review_date is not None:
                self.lost(f"{where}.AssessmentInternalReviewDate", f"{item.internal_review_date}")
            if item.factors:
                self.lost(f"{where}.FactorsIdentifiedAtAssessment", f"factors {', '.join(item.factors)}")
            yield InitialAssessment(
                assessment_id=f"{case_id}.assessment{i + 1}",
                started_on=item.start_date,
                completed_on=item.authorisation_date,
            )

    def plans(self, case_id: str, path: str, episode: CinEpisode) -> Iterator[ChildPlan]:
        for i, cin in enumerate(episode.cin_plans):
            if cin.start_date is None:
                self.lost(f"{path}.CINPlanDates[{i}]", "a CIN plan with no start date")
                continue
            yield ChildPlan(
                plan_id=f"{case_id}.cinplan{i + 1}",
                plan_type=PlanType.CHILD_IN_NEED,
                start_date=cin.start_date,
                end_date=cin.end_date,
                summary=NOT_RECORDED,
            )
        for i, cp in enumerate(episode.protection_plans):
            where = f"{path}.ChildProtectionPlans[{i}]"
            if cp.start_date is None:
                self.lost(where, "a child protection plan with no start date")
                continue
            category = _code(AbuseCategory, cp.latest_category) or _code(AbuseCategory, cp.initial_category)
            if _code(AbuseCategory, cp.latest_category) is None:
                found = f"{cp.latest_category!r} is not a category of abuse" if cp.latest_category else "none given"
                kept = f" (the initial category {category} is kept)" if category is not None else ""
                self.lost(f"{where}.LatestCategoryOfAbuse", found + kept)
            if cp.initial_category != cp.latest_category and cp.initial_category is not None:
                self.lost(f"{where}.InitialCategoryOfAbuse", f"{cp.initial_category} (the latest is kept)")
            if cp.previous_plans is not None:
                self.lost(f"{where}.NumberOfPreviousCPP", f"{cp.previous_plans}")
            yield ChildPlan(
                plan_id=f"{case_id}.cpp{i + 1}",
                plan_type=PlanType.CHILD_PROTECTION,
                start_date=cp.start_date,
                end_date=cp.end_date,
                abuse_category=category,
                summary=NOT_RECORDED,
            )

    def reviews(self, case_id: str, path: str, plans: tuple[ProtectionPlan, ...]) -> Iterator[IcsReview]:
        for i, plan in enumerate(plans):
            if plan.start_date is None:
                continue
            for r, day in enumerate(plan.review_dates):
                if day is None:
                    self.lost(f"{path}.ChildProtectionPlans[{i}].Reviews.CPPreviewDate[{r}]", "a review with no date")
            for r, day in enumerate(d for d in plan.review_dates if d is not None):
                yield IcsReview(
                    review_id=f"{case_id}.cpp{i + 1}.review{r + 1}",
                    review_date=day,
                    plan_id=f"{case_id}.cpp{i + 1}",
                    outcome=NOT_RECORDED,
                )

    def closure(self, path: str, episode: CinEpisode) -> IcsClosure | None:
        reason = _code(CinClosureReason, episode.closure_reason)
        if episode.closure_date is not None and reason is not None:
            return IcsClosure(closure_date=episode.closure_date, reason=reason)
        if episode.closure_date is not None or episode.closure_reason is not None:
            self.lost(
                f"{path}.CINclosureDate",
                f"closure {episode.closure_date} with reason {episode.closure_reason!r} (a closure needs both, valid)",
            )
        return None

    def chronology(self, path: str, episode: CinEpisode, *, last: bool) -> list[ChronologyEntry]:
        entries = []
        for i, s47 in enumerate(episode.section47s):
            self.lost(f"{path}.Section47[{i}]", "the section 47 enquiry (kept in the chronology)")
            if s47.start_date is not None:
                detail = []
                if s47.icpc_target_date is not None:
                    detail.append(f"Initial child protection conference due by {s47.icpc_target_date}.")
                if s47.icpc_not_required:
                    detail.append("Initial child protection conference not required.")
                entries.append(
                    ChronologyEntry(
                        entry_date=s47.start_date,
                        event="Section 47 enquiry started",
                        detail=" ".join(detail) or None,
                    )
                )
            if s47.icpc_date is not None:
                entries.append(ChronologyEntry(entry_date=s47.icpc_date, event="Initial child protection conference"))
        if episode.icpc_date is not None:
            self.lost(f"{path}.DateOfInitialCPC", f"{episode.icpc_date} (kept in the chronology)")
            entries.append(ChronologyEntry(entry_date=episode.icpc_date, event="Initial child protection conference"))
        if last and self.child.death_date is not None:
            entries.append(ChronologyEntry(entry_date=self.child.death_date, event="Child died"))
        return sorted(entries, key=lambda e: e.entry_date)


def child_to_case_records(
    child: CensusChild, index: int, reference_date: dt.date
) -> tuple[list[CaseRecord], list[Finding]]:
    """One case record per CIN episode of the child, and a note for each thing not carried."""
    importer = _Importer(child, index, reference_date)
    try:
        child_model = importer.child_model()
        characteristics = importer.characteristics()
        records = [
            record
            for number, episode in enumerate(child.episodes, start=1)
            if (record := importer.record(number, episode, child_model, characteristics)) is not None
        ]
    except ValidationError as exc:
        problem = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3])
        return [], [
            *importer.notes,
            _note(
                "CIN-IMPORT",
                Severity.ERROR,
                importer.label,
                f"child not imported: the standard's models cannot hold it ({problem})",
                index,
                "a child needs an LAchildID of letters and digits and a date of birth or expected date of birth",
            ),
        ]
    return records, importer.notes


# --- case records to census ---------------------------------------------------------------------------


def _child_key(record: CaseRecord) -> str:
    return str(record.child.identifiers.local_id or record.case_id)


def _episode_index(starts: list[dt.date], day: dt.date) -> int:
    """The episode of the latest referral on or before `day` (the first when there is none)."""
    index = 0
    for i, start in enumerate(starts):
        if start <= day:
            index = i
    return index


class _Exporter:
    """Turns the records of one child into a census child, noting what it cannot write."""

    def __init__(self, key: str, records: list[CaseRecord], year: CollectionYear, index: int) -> None:
        self.key, self.records, self.year, self.index = key, records, year, index
        self.notes: list[Finding] = []
        self.label = f"child[LAchildID={key}]"

    def note(self, severity: Severity, path: str, message: str, hint: str) -> None:
        self.notes.append(_note("CIN-EXPORT", severity, f"{self.label}{path}", message, self.index, hint))

    def child(self) -> CensusChild:
        first = self.records[0]
        model = first.child
        ethnicity = next(
            (r.characteristics.ethnicity for r in self.records if r.characteristics and r.characteristics.ethnicity),
            None,
        )
        if ethnicity is None:
            self.note(
                Severity.WARNING,
                ".ChildCharacteristics.Ethnicity",
                "no ethnicity in the records: written as NOBT (information not yet obtained)",
                "record the child's ethnicity in the case-management system",
            )
        disabilities = next(
            (
                r.characteristics.disabilities
                for r in self.records
                if r.characteristics and r.characteristics.disabilities
            ),
            [],
        )
        episodes = [e for record in self.records for e in self.episodes(record)]
        episodes.sort(key=lambda e: e.referral_date or dt.date.min)
        return CensusChild(
            la_child_id=self.key,
            upn=model.identifiers.upn,
            birth_date=model.date_of_birth,
            expected_birth_date=model.expected_date_of_birth,
            sex=_SEX[model.gender],
            ethnicity=ethnicity.value if ethnicity is not None else "NOBT",
            disabilities=tuple(d.value for d in disabilities),
            episodes=tuple(self.previous_plans(episodes)),
        )

    def episodes(self, record: CaseRecord) -> list[CinEpisode]:
        referrals = sorted(record.referrals, key=lambda r: r.referral_date)
        if not referrals:
            self.note(
                Severity.ERROR,
                "",
                f"case {record.case_id} has no referral, which a CIN episode needs: not exported",
                "record the referral that opened the case",
            )
            return []
        starts = [r.referral_date for r in referrals]
        if len(referrals) > 1:
            self.note(
                Severity.WARNING,
                "",
                f"case {record.case_id} has {len(referrals)} referrals and one closure: the earlier referrals' "
                "episodes are written without a closure date",
                "give each closed episode its closure in the return before submitting (rules 8815 and 8816)",
            )
        assessments: list[list[Assessment]] = [[] for _ in referrals]
        cin_plans: list[list[CinPlan]] = [[] for _ in referrals]
        protection: list[list[ProtectionPlan]] = [[] for _ in referrals]
        found: Iterable[InitialAssessment | CoreAssessment] = [*record.initial_assessments, *record.core_assessments]
        for item in sorted(found, key=lambda a: a.started_on):
            assessments[_episode_index(starts, item.started_on)].append(
                Assessment(start_date=item.started_on, authorisation_date=item.completed_on)
            )
        for plan in sorted(record.plans, key=lambda p: p.start_date):
            slot = _episode_index(starts, plan.start_date)
            if plan.plan_type is PlanType.CHILD_IN_NEED:
                cin_plans[slot].append(CinPlan(plan.start_date, plan.end_date))
            elif plan.plan_type is PlanType.CHILD_PROTECTION:
                converted = self.protection_plan(record, plan)
                if converted is not None:
                    protection[slot].append(converted)
            else:
                self.note(
                    Severity.WARNING,
                    "",
                    f"plan {plan.plan_id} is a {plan.plan_type.label.lower()}, which the CIN census does not hold",
                    "nothing to do: looked-after children's plans go to the SSDA903 return",
                )
        cp_plan_ids = {p.plan_id for p in record.plans if p.plan_type is PlanType.CHILD_PROTECTION}
        for review in record.reviews:
            if review.plan_id not in cp_plan_ids:
                self.note(
                    Severity.WARNING,
                    "",
                    f"review {review.review_id} is not of a child protection plan; the census holds only those",
                    "nothing to do: the review stays in the case record",
                )
        episodes = []
        for i, referral in enumerate(referrals):
            last = i == len(referrals) - 1
            closure = record.closure if last else None
            episodes.append(
                CinEpisode(
                    referral_date=referral.referral_date,
                    referral_source=referral.source.value,
                    primary_need=referral.primary_need.value if referral.primary_need is not None else None,
                    closure_date=closure.closure_date if closure is not None else None,
                    closure_reason=closure.reason.value if closure is not None else None,
                    assessments=tuple(assessments[i]),
                    cin_plans=tuple(cin_plans[i]),
                    referral_nfa=referral.no_further_action,
                    protection_plans=tuple(protection[i]),
                )
            )
        return episodes

    def protection_plan(self, record: CaseRecord, plan: ChildPlan) -> ProtectionPlan | None:
        if plan.abuse_category is None:
            self.note(
                Severity.WARNING,
                "",
                f"child protection plan {plan.plan_id} has no category of abuse (required): not exported",
                "record the plan's category of abuse",
            )
            return None
        reviews = sorted(r.review_date for r in record.reviews if r.plan_id == plan.plan_id)
        category = plan.abuse_category.value
        return ProtectionPlan(
            start_date=plan.start_date,
            end_date=plan.end_date,
            initial_category=category,
            latest_category=category,
            previous_plans=None,
            review_dates=tuple(reviews),
        )

    def previous_plans(self, episodes: list[CinEpisode]) -> Iterator[CinEpisode]:
        """Fill NumberOfPreviousCPP: the earlier child protection plans the records hold."""
        starts = sorted(p.start_date for e in episodes for p in e.protection_plans if p.start_date is not None)
        for e, episode in enumerate(episodes):
            plans = []
            for k, plan in enumerate(episode.protection_plans):
                count = sum(1 for s in starts if plan.start_date is not None and s < plan.start_date)
                if count < self.year.min_previous_plans:
                    self.note(
                        Severity.WARNING,
                        f".CINdetails[{e}].ChildProtectionPlans[{k}].NumberOfPreviousCPP",
                        f"{count} earlier plan(s) in the records; written as {self.year.min_previous_plans}, "
                        f"because the {self.year.year} schema does not allow {count}",
                        "check the child's history and correct NumberOfPreviousCPP before submitting",
                    )
                    count = self.year.min_previous_plans
                plans.append(
                    ProtectionPlan(
                        start_date=plan.start_date,
                        end_date=plan.end_date,
                        initial_category=plan.initial_category,
                        latest_category=plan.latest_category,
                        previous_plans=count,
                        review_dates=plan.review_dates,
                    )
                )
            yield CinEpisode(
                referral_date=episode.referral_date,
                referral_source=episode.referral_source,
                primary_need=episode.primary_need,
                closure_date=episode.closure_date,
                closure_reason=episode.closure_reason,
                assessments=episode.assessments,
                cin_plans=episode.cin_plans,
                referral_nfa=episode.referral_nfa,
                protection_plans=tuple(plans),
            )


def case_records_to_children(
    records: Iterable[CaseRecord], year: CollectionYear
) -> tuple[list[CensusChild], list[Finding]]:
    """Census children from case records (grouped by child), and a note for each thing not written."""
    groups: dict[str, list[CaseRecord]] = {}
    for record in records:
        groups.setdefault(_child_key(record), []).append(record)
    children, notes = [], []
    for index, (key, group) in enumerate(groups.items()):
        exporter = _Exporter(key, group, year, index)
        child = exporter.child()
        notes.extend(exporter.notes)
        if child.episodes:
            children.append(child)
    return children, notes
