"""Checks of the contactpoint profile: what the directory holds, shows, hides, audits and forgets.

Time is the real clock's: a system over HTTP cannot be told what day it is, so the checks send
dates relative to today (an involvement that ended a year ago today must still show, one that ended
a year and a day ago must not) and ask the directory to run its maintenance as a data manager would.
Only purging, years after archiving, needs maintenance run as of another day: the Protocol's
`as_of`, which a service over HTTP takes only when started with its test clock (accreditation runs);
without it, that check is skipped and says why.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable

from ics_interop import to_json, to_xml
from ics_interop.messages import CaseRecordTransfer, MessageType
from ics_interop.model import Address, ContactDetails, PersonName, Team
from ics_interop.model.codes import SensitiveBasis, SensitiveService
from ics_interop.model.identifiers import nhs_number_check_digit

from .context import CheckContext, CheckFailed
from .protocol import (
    AccessDenied,
    DirectoryUnderTest,
    DirectoryView,
    MaintenanceView,
    MatchQueueUnderTest,
    NotFound,
    Refused,
    SearchCriteria,
)
from .registry import check
from .scenarios import FEEDER_A, FEEDER_B, SUITE_ICS, Cast, header

__all__: list[str] = []

CP = ("contactpoint",)
REASON = "conformance suite: checking the directory"


class Directory:
    """A check's view of the directory: the system, a fresh cast, a practitioner user of the cast's youth service."""

    def __init__(self, ctx: CheckContext) -> None:
        if not isinstance(ctx.sut, DirectoryUnderTest):
            raise CheckFailed("the system under test does not implement the contactpoint adapter Protocol")
        self.ctx = ctx
        self.sut: DirectoryUnderTest = ctx.sut
        self.cast = Cast()
        self.manager = self.sut.data_manager()
        self.user = self.register("practitioner", self.cast.youth_service.organisation_id)

    def register(self, role: str, organisation_id: str) -> str:
        user = f"{role[:4].upper()}-{self.cast.token}-{self.ctx.token(4)}"
        self.sut.register_user(user, role, organisation_id, by=self.manager)
        return user

    def feed(self, *messages: object) -> None:
        for message in messages:
            self.ctx.accepted(message)  # type: ignore[arg-type]

    def find(self, nhs: str | None, *, user: str | None = None, override: str | None = None) -> list[DirectoryView]:
        return self.sut.search(
            SearchCriteria(identifier=nhs), user_id=user or self.user, reason=REASON, override_reason=override
        )

    def one(self, nhs: str | None, *, user: str | None = None) -> DirectoryView:
        found = self.find(nhs, user=user)
        if len(found) != 1:
            raise CheckFailed(f"a search by the child's NHS number found {len(found)} records, not 1")
        return found[0]

    def view(self, contactpoint_id: str, *, user: str | None = None, override: str | None = None) -> DirectoryView:
        return self.sut.view(contactpoint_id, user_id=user or self.user, reason=REASON, override_reason=override)


def _found_by(d: Directory, family_name: str, born: dt.date | None, contactpoint_id: str) -> bool:
    """Whether a search by family name and date of birth finds the record `contactpoint_id`."""
    found = d.sut.search(SearchCriteria(family_name=family_name, date_of_birth=born), user_id=d.user, reason=REASON)
    return contactpoint_id in [r.contactpoint_id for r in found]


def _shown(view: DirectoryView) -> str:
    return json.dumps(view.raw, default=str)


@check(
    "cp.refuses-case-types",
    "Message types that can carry case information are refused, and nothing is stored",
    requirements=["CP-R01"],
    profiles=CP,
)
def refuses_case_types(ctx: CheckContext) -> None:
    d = Directory(ctx)
    child = d.cast.child()
    transfer = d.cast.case_record_transfer(child, SUITE_ICS, to_la="206")
    transfer = transfer.model_copy(
        update={"header": header(MessageType.CASE_RECORD_TRANSFER, SUITE_ICS, d.sut.identity())}
    )
    assert isinstance(transfer, CaseRecordTransfer)
    referral = d.cast.social_care_referral(d.cast.episode(child), d.sut.identity())
    with ctx.verifying("CP-R01"):
        for message in (transfer, referral):
            ack = ctx.acknowledgement(ctx.deliver(message))
            rules = [f.rule_id for f in ack.findings]
            ctx.expect(ack.status.value == "rejected", f"a {message.message_type.value} was accepted by the directory")
            ctx.expect(
                {"CP-001", "ENV-001"} & set(rules), f"a {message.message_type.value} was rejected naming {rules}"
            )
        ctx.expect(not d.find(child.identifiers.nhs_number), "a refused message left the child in the directory")


@check(
    "cp.refuses-undefined-elements",
    "An element or member the standard does not define (case notes) is refused, and nothing is stored",
    requirements=["CP-R02"],
    profiles=CP,
)
def refuses_undefined_elements(ctx: CheckContext) -> None:
    d = Directory(ctx)
    notes = "Mother drinking again; school reports bruising"
    with ctx.verifying("CP-R02"):
        child = d.cast.child()
        message = d.cast.involvement_started(child, d.cast.involvement())
        xml = to_xml(message).replace(b"</Involvement>", f"<CaseNotes>{notes}</CaseNotes></Involvement>".encode(), 1)
        ack = ctx.acknowledgement(ctx.deliver(xml))
        ctx.expect(ack.status.value == "rejected", "an InvolvementStarted with a CaseNotes element was accepted")
        other = d.cast.child()
        data = json.loads(to_json(d.cast.involvement_started(other, d.cast.involvement())))
        data["involvement"]["caseNotes"] = notes
        ack = ctx.acknowledgement(ctx.deliver(json.dumps(data).encode(), "json"))
        ctx.expect(ack.status.value == "rejected", "an InvolvementStarted with a caseNotes member was accepted")
        for kid in (child, other):
            ctx.expect(not d.find(kid.identifiers.nhs_number), "a refused message left the child in the directory")


@check(
    "cp.one-way",
    "The directory sends the systems that feed it nothing but acknowledgements",
    requirements=["CP-R03"],
    profiles=CP,
)
def one_way(ctx: CheckContext) -> None:
    d = Directory(ctx)
    child = d.cast.child()
    d.feed(d.cast.identity_update(child), d.cast.involvement_started(child, d.cast.involvement()))
    with ctx.verifying("CP-R03"):
        sent = ctx.sent(lambda m: m.message_type is not MessageType.ACKNOWLEDGEMENT, wait=1.0)
        ctx.expect(not sent, f"the directory sent {[m.message_type.value for m in sent]} to the systems feeding it")


@check(
    "cp.identity-details",
    "The child's identifying details are shown as last sent, field by field, with former names",
    requirements=["CP-R04"],
    profiles=CP,
)
def identity_details(ctx: CheckContext) -> None:
    d = Directory(ctx)
    child = d.cast.child()
    # The child's messages a second apart (in the past), so that each is strictly newer than the last.
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=10)
    moments = (start + dt.timedelta(seconds=n) for n in range(60))
    father = child.parents_carers[0].model_copy(
        update={"name": PersonName(given_names="Mark", family_name=d.cast.family_name("Dad"))}
    )
    assert child.address is not None
    child = child.model_copy(
        update={
            "parents_carers": [*child.parents_carers, father],
            "address": child.address.model_copy(update={"lines": ["Flat 2", f"{d.cast.token} House", "London"]}),
        }
    )
    d.feed(d.cast.identity_update(child, created_at=next(moments)))
    with ctx.verifying("CP-R04"):
        view = d.one(child.identifiers.nhs_number)
        ctx.expect(view.family_name == child.name.family_name, f"family name {view.family_name!r}")
        ctx.expect(view.given_names == child.name.given_names, f"given names {view.given_names!r}")
        ctx.expect(view.date_of_birth == child.date_of_birth, f"date of birth {view.date_of_birth}")
        ctx.expect(view.gender == child.gender.value, f"gender {view.gender!r}")
        ctx.expect(view.postcode == (child.address.postcode if child.address else None), f"postcode {view.postcode!r}")
        shown = _shown(view)
        for line in child.address.lines if child.address else []:
            ctx.expect(line in shown, f"the address line {line!r} is not shown")
        for parent in child.parents_carers:
            name = f"{parent.name.given_names} {parent.name.family_name}"
            ctx.expect(name in view.parent_carer_names, f"the parent or carer {name} is not shown")
        by_id = d.sut.search(SearchCriteria(identifier=view.contactpoint_id), user_id=d.user, reason=REASON)
        ctx.expect(
            [r.contactpoint_id for r in by_id] == [view.contactpoint_id],
            f"a search by the child's ContactPoint ID found {[r.contactpoint_id for r in by_id][:5]}",
        )
        # Rename the child whose record has the lower ID: the other child keeps every name it had.
        other = d.cast.child(given="Chloe", family=d.cast.family_name("Other"))
        d.feed(d.cast.identity_update(other, created_at=next(moments)))
        other_id = d.one(other.identifiers.nhs_number).contactpoint_id
        first, second = sorted([(view.contactpoint_id, child), (other_id, other)], key=lambda pair: pair[0])
        renamed = first[1].model_copy(
            update={"name": PersonName(given_names=first[1].name.given_names, family_name=d.cast.family_name("New"))}
        )
        d.feed(d.cast.identity_update(renamed, created_at=next(moments)))
        kept = d.sut.search(
            SearchCriteria(family_name=second[1].name.family_name, date_of_birth=second[1].date_of_birth),
            user_id=d.user,
            reason=REASON,
        )
        ctx.expect(
            second[0] in [r.contactpoint_id for r in kept],
            "renaming one child lost another child's name: a search by it no longer finds the other child",
        )
        if first[1] is not child:
            renamed = child.model_copy(
                update={"name": PersonName(given_names="Hannah", family_name=d.cast.family_name("Renamed"))}
            )
            d.feed(d.cast.identity_update(renamed, created_at=next(moments)))
        view = d.one(child.identifiers.nhs_number)
        ctx.expect(view.family_name == renamed.name.family_name, "the new name sent is not shown")
        ctx.expect(
            child.name.family_name in view.former_family_names, "the name the child had is not kept as a former name"
        )
        # Found by the name it has now and by the one it had, with its date of birth.
        for family, what in ((renamed.name.family_name, "its new name"), (child.name.family_name, "its former name")):
            ctx.expect(
                _found_by(d, family, renamed.date_of_birth, view.contactpoint_id),
                f"after a change of name, a search by {what} and date of birth does not find the child",
            )
        # A date of birth corrected a day earlier, then a day later (either side of the one on record).
        for days in (-1, 1):
            assert renamed.date_of_birth is not None
            corrected = renamed.model_copy(update={"date_of_birth": renamed.date_of_birth + dt.timedelta(days=days)})
            d.feed(d.cast.identity_update(corrected, created_at=next(moments)))
            now_shown = d.one(child.identifiers.nhs_number)
            ctx.expect(
                now_shown.date_of_birth == corrected.date_of_birth,
                f"a date of birth corrected by {days:+d} day is shown as {now_shown.date_of_birth}",
            )
            for family, what in ((renamed.name.family_name, "name"), (child.name.family_name, "former name")):
                ctx.expect(
                    _found_by(d, family, corrected.date_of_birth, view.contactpoint_id),
                    f"after a date of birth corrected by {days:+d} day, a search by the child's {what} and the new "
                    "date of birth does not find the child",
                )
            renamed = corrected
        # Shielding one child hides no other child's location, whichever side of it their IDs fall; lifted,
        # the child's own location is shown again.
        third = d.cast.child(given="Ava", family=d.cast.family_name("Third"))
        d.feed(d.cast.identity_update(third))
        ordered = sorted(
            ((d.one(str(c.identifiers.nhs_number)), c) for c in (child, other, third)),
            key=lambda p: p[0].contactpoint_id,
        )
        (low, low_child), (middle, _), (high, high_child) = ordered
        d.sut.set_shielding(middle.contactpoint_id, True, by=d.manager, reason="conformance: shielding a neighbour")
        for neighbour, sent in ((low, low_child), (high, high_child)):
            seen = d.view(neighbour.contactpoint_id)
            expected = sent.address.postcode if sent.address else None
            ctx.expect(
                not seen.location_hidden and seen.postcode == expected,
                "shielding another child hid the location of a child who is not shielded",
            )
        d.sut.set_shielding(middle.contactpoint_id, False, by=d.manager, reason="conformance: shielding lifted")
        ctx.expect(
            not d.view(middle.contactpoint_id).location_hidden, "a child whose shielding was lifted is still hidden"
        )


@check(
    "cp.involvement-contact",
    "Each involvement is shown with the practitioner or team to contact",
    requirements=["CP-R05"],
    profiles=CP,
)
def involvement_contact(ctx: CheckContext) -> None:
    d = Directory(ctx)
    child = d.cast.child()
    worker = d.cast.involvement()
    team = Team(
        team_id=f"TEAM-{d.cast.token}",
        name="Youth service duty team",
        organisation=d.cast.youth_service,
        contact=d.cast.youth_worker.contact,
    )
    by_team = d.cast.involvement(team=team)
    d.feed(d.cast.involvement_started(child, worker), d.cast.involvement_started(child, by_team, sender=FEEDER_B))
    with ctx.verifying("CP-R05"):
        shown = {i.involvement_id: i for i in d.one(child.identifiers.nhs_number).involvements}
        for involvement, contact in ((worker, d.cast.youth_worker.practitioner_id), (by_team, team.team_id)):
            found = shown.get(involvement.involvement_id)
            ctx.expect(found is not None, f"involvement {involvement.involvement_id} is not shown")
            assert found is not None
            ctx.expect(found.service_name == involvement.service.name, f"service shown as {found.service_name!r}")
            ctx.expect(found.contact_id == contact, f"contact shown as {found.contact_id!r}, not {contact}")


@check(
    "cp.ended-involvement-one-year",
    "An ended involvement is shown for a year after its end, to the day, and not a day longer",
    requirements=["CP-R06"],
    profiles=CP,
)
def ended_involvement_one_year(ctx: CheckContext) -> None:
    d = Directory(ctx)
    today = d.cast.today
    child = d.cast.child()
    year_ago = d.cast.born_years_ago(1)
    ends = {
        "ended today": (today, True),
        "ended 300 days ago": (today - dt.timedelta(days=300), True),
        "ended a year ago today": (year_ago, True),
        "ended a year and a day ago": (year_ago - dt.timedelta(days=1), False),
        "ended 400 days ago": (today - dt.timedelta(days=400), False),
    }
    involvements = {what: d.cast.involvement(start=today - dt.timedelta(days=900)) for what in ends}
    d.feed(*(d.cast.involvement_started(child, inv) for inv in involvements.values()))
    d.feed(*(d.cast.involvement_ended(child, involvements[what], end) for what, (end, _) in ends.items()))
    with ctx.verifying("CP-R06"):
        cpid = d.one(child.identifiers.nhs_number).contactpoint_id
        for when in ("before maintenance", "after maintenance"):
            for path, view in (("found by NHS number", d.one(child.identifiers.nhs_number)), ("viewed", d.view(cpid))):
                shown = {i.involvement_id: i for i in view.involvements}
                for what, (end, visible) in ends.items():
                    inv = involvements[what].involvement_id
                    if visible:
                        ctx.expect(inv in shown, f"{when}, {path}: an involvement that {what} is not shown")
                        ctx.expect(
                            shown[inv].end_date == end, f"{when}, {path}: an involvement that {what} shows no end date"
                        )
                    else:
                        ctx.expect(inv not in shown, f"{when}, {path}: an involvement that {what} is still shown")
            if when == "before maintenance":
                d.sut.run_maintenance(by=d.manager)


@check(
    "cp.caf-indicator",
    "The CAF indicator, its author and the lead professional are shown as last sent; 'no CAF' removes them all",
    requirements=["CP-R07"],
    profiles=CP,
)
def caf_indicator(ctx: CheckContext) -> None:
    d = Directory(ctx)
    pair = [d.cast.child(), d.cast.child(given="Chloe")]
    d.feed(*(d.cast.identity_update(c) for c in pair))
    # The CAF goes to the child whose record has the higher ID: the other's record must not show it.
    ranked = sorted(pair, key=lambda c: d.one(c.identifiers.nhs_number).contactpoint_id)
    without, child = ranked
    d.feed(d.cast.caf_indicator(child, lead=d.cast.youth_worker))
    with ctx.verifying("CP-R07"):
        bystander = d.one(without.identifiers.nhs_number)
        ctx.expect(not bystander.caf_indicator, "another child's record shows the CAF indicator")
        ctx.expect(bystander.lead_professional_id is None, "another child's record shows the lead professional")
        view = d.one(child.identifiers.nhs_number)
        ctx.expect(view.caf_indicator, "the record does not show that a CAF exists")
        ctx.expect(view.caf_completed_by == d.cast.mentor.practitioner_id, f"completed by {view.caf_completed_by!r}")
        ctx.expect(
            view.lead_professional_id == d.cast.youth_worker.practitioner_id,
            f"lead professional shown as {view.lead_professional_id!r}",
        )
        d.feed(d.cast.caf_indicator(child, lead=d.cast.nurse))
        view = d.view(d.one(child.identifiers.nhs_number).contactpoint_id)
        ctx.expect(
            view.lead_professional_id == d.cast.nurse.practitioner_id,
            f"after a new lead professional was sent, the record shows {view.lead_professional_id!r}",
        )
        d.feed(d.cast.caf_indicator(child, exists=False))
        cpid = view.contactpoint_id
        for path, shown in (("found", d.one(child.identifiers.nhs_number)), ("viewed", d.view(cpid))):
            ctx.expect(not shown.caf_indicator, f"{path}: the CAF indicator is still shown after 'no CAF exists'")
            ctx.expect(
                shown.lead_professional_id is None,
                f"{path}: the lead professional {shown.lead_professional_id} is still shown after 'no CAF exists'",
            )


@check(
    "cp.sensitive-services",
    "A sensitive service is recorded only with its basis, and shown only to its own organisation, on every path",
    requirements=["CP-R09"],
    profiles=CP,
)
def sensitive_services(ctx: CheckContext) -> None:
    d = Directory(ctx)
    child = d.cast.child()
    clinic_user = d.register("practitioner", d.cast.clinic.organisation_id)
    colleague = d.register("practitioner", d.cast.clinic.organisation_id)
    strangers = {
        "a practitioner of another organisation": d.user,
        "a data manager": d.manager,
        "a child-protection user of another organisation": d.register(
            "child-protection", d.cast.social_care.organisation_id
        ),
    }
    sensitive = d.cast.involvement(sensitive=SensitiveService.SEXUAL_HEALTH, basis=SensitiveBasis.CONSENT)
    unlawful = d.cast.involvement(sensitive=SensitiveService.MENTAL_HEALTH)
    d.feed(d.cast.identity_update(child), d.cast.involvement_started(child, sensitive, sender=FEEDER_B))
    nhs = child.identifiers.nhs_number
    by_name = SearchCriteria(family_name=child.name.family_name, date_of_birth=child.date_of_birth)

    def paths(user: str) -> list[tuple[str, DirectoryView]]:
        found = d.one(nhs, user=user)
        named = d.sut.search(by_name, user_id=user, reason=REASON)
        return [("found by NHS number", found), ("viewed", d.view(found.contactpoint_id, user=user))] + [
            ("found by name and date of birth", v) for v in named
        ]

    with ctx.verifying("CP-R09"):
        ack = ctx.acknowledgement(ctx.deliver(d.cast.involvement_started(child, unlawful, sender=FEEDER_B)))
        ctx.expect(ack.status.value == "rejected", "a sensitive service with no basis was accepted")
        ctx.expect("INV-001" in [f.rule_id for f in ack.findings], "the rejection does not name INV-001")
        for who, user in (("the clinic's own user", clinic_user), ("a colleague at the clinic", colleague)):
            for path, view in paths(user):
                own = {i.involvement_id for i in view.involvements}
                ctx.expect(sensitive.involvement_id in own, f"{who} does not see the clinic's involvement ({path})")
        for who, user in strangers.items():
            for path, view in paths(user):
                ctx.expect(
                    all(i.involvement_id != sensitive.involvement_id for i in view.involvements),
                    f"{who} sees a sensitive service's involvement ({path})",
                )
                ctx.expect("Sexual health" not in _shown(view), f"{who} is shown the sensitive service ({path})")


def _shielded_child(d: Directory) -> tuple[str, str, str]:
    """A child fed and shielded: (ContactPoint ID, NHS number, postcode); the family name is the cast's.

    Every location field holds a word of its own (`location_words`): the address, a parent's
    address, the organisation and the practitioner's office involved.
    """
    child = d.cast.child()
    words = location_words(d.cast)
    assert child.address is not None
    address = child.address.model_copy(update={"lines": [f"4 {words[0]} House", "Calverley Street", "London"]})
    parent = child.parents_carers[0]
    parent_contact = (parent.contact or ContactDetails(telephone="020 7946 0999")).model_copy(
        update={"address": Address(lines=[f"{words[1]} Cottage", "London"], postcode=d.cast.postcode())}
    )
    child = child.model_copy(
        update={
            "address": address,
            "parents_carers": [parent.model_copy(update={"contact": parent_contact}), *child.parents_carers[1:]],
        }
    )
    organisation = d.cast.youth_service.model_copy(update={"name": f"{words[2]} Youth Centre"})
    worker = d.cast.youth_worker.model_copy(
        update={
            "organisation": organisation,
            "contact": d.cast.youth_worker.contact.model_copy(
                update={"address": Address(lines=[f"{words[3]} Road", "London"], postcode=d.cast.postcode())}
            ),
        }
    )
    d.feed(d.cast.identity_update(child), d.cast.involvement_started(child, d.cast.involvement(practitioner=worker)))
    view = d.one(child.identifiers.nhs_number)
    d.sut.set_shielding(view.contactpoint_id, True, by=d.manager, reason="fleeing domestic violence")
    postcode = child.address.postcode if child.address and child.address.postcode else ""
    return view.contactpoint_id, str(child.identifiers.nhs_number), postcode


def location_words(cast: Cast) -> list[str]:
    """The words planted in a shielded child's location fields (see `_shielded_child`)."""
    return [f"Wren{cast.token.capitalize()}{n}" for n in ("Home", "Parent", "Org", "Office")]


@check(
    "cp.shielding-hides-location",
    "A shielded child's location is hidden from every view: search by each criterion, view by ID",
    requirements=["CP-R10"],
    profiles=CP,
)
def shielding_hides_location(ctx: CheckContext) -> None:
    d = Directory(ctx)
    cpid, nhs, postcode = _shielded_child(d)
    record = d.view(cpid)
    words = location_words(d.cast)
    protector = d.register("child-protection", d.cast.social_care.organisation_id)
    with ctx.verifying("CP-R10"):
        by_name = d.sut.search(
            SearchCriteria(family_name=record.family_name, date_of_birth=record.date_of_birth),
            user_id=d.user,
            reason=REASON,
        )
        by_given = d.sut.search(
            SearchCriteria(family_name=record.family_name, given_names=record.given_names),
            user_id=d.user,
            reason=REASON,
        )
        paths = [("viewed by ID", d.view(cpid)), ("found by NHS number", d.one(nhs))]
        paths += [("found by name and date of birth", v) for v in by_name]
        paths += [("found by name", v) for v in by_given]
        paths += [("viewed by a child-protection user without an override", d.view(cpid, user=protector))]
        ctx.expect(len(paths) >= 5, "a search by the shielded child's name does not find it")
        for path, view in paths:
            ctx.expect(view.location_hidden, f"{path}: the record does not say its location is hidden")
            ctx.expect(view.postcode is None, f"{path}: the shielded child's postcode is shown: {view.postcode}")
            shown = _shown(view)
            ctx.expect(postcode not in shown, f"{path}: the shielded child's postcode appears in what is shown")
            fields = ("address", "parent's address", "organisation", "practitioner's address")
            for field, word in zip(fields, words, strict=True):
                ctx.expect(word not in shown, f"{path}: the shielded child's {field} appears in what is shown")


@check(
    "cp.shielding-search",
    "A search on a hidden field does not find a shielded child, in any combination or form of the postcode",
    requirements=["CP-R11"],
    profiles=CP,
)
def shielding_search(ctx: CheckContext) -> None:
    d = Directory(ctx)
    cpid, _nhs, postcode = _shielded_child(d)
    record = d.view(cpid)
    control = d.cast.child(family=d.cast.family_name("Control"))
    d.feed(d.cast.identity_update(control))
    family = control.name.family_name
    control_postcode = str(control.address.postcode if control.address else "")
    with ctx.verifying("CP-R11"):
        for form in (control_postcode, control_postcode.lower().replace(" ", "")):
            found = d.sut.search(SearchCriteria(postcode=form, family_name=family), user_id=d.user, reason=REASON)
            ctx.expect(found, f"a search by postcode {form!r} does not find even an unshielded child")
        searches = []
        for form in (postcode, postcode.lower(), postcode.replace(" ", ""), postcode.lower().replace(" ", "")):
            searches += [
                SearchCriteria(postcode=form, family_name=record.family_name),
                SearchCriteria(postcode=form, family_name=record.family_name, date_of_birth=record.date_of_birth),
                SearchCriteria(postcode=form, family_name=record.family_name, given_names=record.given_names),
            ]
        searches.append(SearchCriteria(postcode=postcode, family_name=family))
        for criteria in searches:
            found = d.sut.search(criteria, user_id=d.user, reason=REASON)
            ctx.expect(
                all(r.contactpoint_id != cpid for r in found),
                f"a search by the shielded child's postcode ({criteria}) found the child",
            )


@check(
    "cp.shielding-override",
    "Only child protection may override shielding, with a stated reason and an audit alert, by view or search",
    requirements=["CP-R12"],
    profiles=CP,
)
def shielding_override(ctx: CheckContext) -> None:
    d = Directory(ctx)
    cpid, nhs, postcode = _shielded_child(d)
    protector = d.register("child-protection", d.cast.social_care.organisation_id)
    reason = f"section 47 enquiry {d.cast.token}"
    refused = {
        "a practitioner": d.user,
        "a data manager": d.manager,
        "a practitioner of child protection's own organisation": d.register(
            "practitioner", d.cast.social_care.organisation_id
        ),
    }
    with ctx.verifying("CP-R12"):
        for who, user in refused.items():
            try:
                d.view(cpid, user=user, override=reason)
                raise CheckFailed(f"{who} (not child protection) was allowed to override shielding")
            except AccessDenied:
                pass
        try:
            d.view(cpid, user=protector, override="   ")
            raise CheckFailed("child protection overrode shielding without stating a reason")
        except AccessDenied:
            pass
        view = d.view(cpid, user=protector, override=reason)
        ctx.expect(view.postcode == postcode, "a child-protection override does not show the child's location")
        found = d.find(nhs, user=protector, override=f"{reason} (search)")
        ctx.expect(
            any(r.postcode == postcode for r in found), "a child-protection override on a search shows no location"
        )
        alerts = d.sut.audit_alerts(by=d.manager)
        mine = {a.reason for a in alerts if a.user_id == protector and a.contactpoint_id == cpid}
        ctx.expect(mine, "the child-protection override raised no audit alert")
        ctx.expect(
            mine >= {reason, f"{reason} (search)"},
            f"the overrides by view and by search did not each raise an alert with its reason: {sorted(mine)}",
        )
        ctx.expect(
            not any(a.user_id in refused.values() for a in alerts),
            "a refused override raised an alert as if it happened",
        )


@check(
    "cp.audit",
    "Every search and view is audited, with the records shown and the reason; refused ones too",
    requirements=["CP-R13"],
    profiles=CP,
)
def audit(ctx: CheckContext) -> None:
    d = Directory(ctx)
    child = d.cast.child()
    d.feed(d.cast.identity_update(child))
    view = d.one(child.identifiers.nhs_number)
    d.view(view.contactpoint_id)
    d.sut.search(
        SearchCriteria(family_name=child.name.family_name, date_of_birth=child.date_of_birth),
        user_id=d.user,
        reason=REASON,
    )
    stranger = f"NOBODY-{d.cast.token}"
    attempts: dict[str, Callable[[], object]] = {
        "a view with no reason": lambda: d.sut.view(view.contactpoint_id, user_id=d.user, reason=None),
        "a search with no reason": lambda: d.sut.search(
            SearchCriteria(identifier=child.identifiers.nhs_number), user_id=d.user, reason=None
        ),
        "a practitioner's override": lambda: d.view(view.contactpoint_id, override="curiosity"),
    }
    refusals = []
    for what, attempt in attempts.items():
        try:
            attempt()
        except AccessDenied:
            refusals.append(what)
    with contextlib.suppress(AccessDenied):
        d.sut.view(view.contactpoint_id, user_id=stranger, reason=REASON)
    with ctx.verifying("CP-R13"):
        entries = d.sut.audit_entries(by=d.manager)
        mine = [e for e in entries if e.user_id == d.user]
        ok = [e for e in mine if view.contactpoint_id in e.records and e.outcome in ("ok", "allowed", "permitted")]
        ctx.expect(len(ok) >= 3, f"the searches and the view of the record are not all audited ({len(ok)} entries)")
        given = [e for e in ok if e.reason == REASON]
        ctx.expect(len(given) >= 3, "the audit does not keep the reason given for each access")
        refused = [e for e in mine if e not in ok]
        ctx.expect(len(refused) >= len(refusals), f"{len(refusals)} refused accesses made {len(refused)} audit entries")
        ctx.expect(any(e.user_id == stranger for e in entries), "an unregistered user's refused view was not audited")


@check(
    "cp.access-refused",
    "Searches and views need a registered user and a stated reason",
    requirements=["CP-R14"],
    profiles=CP,
)
def access_refused(ctx: CheckContext) -> None:
    d = Directory(ctx)
    child = d.cast.child()
    d.feed(d.cast.identity_update(child))
    cpid = d.one(child.identifiers.nhs_number).contactpoint_id
    criteria = SearchCriteria(identifier=child.identifiers.nhs_number)
    with ctx.verifying("CP-R14"):
        for user, reason, who in (
            (f"NOBODY-{d.cast.token}", REASON, "an unregistered user"),
            (d.user, None, "no reason"),
            (d.user, "   ", "a blank reason"),
        ):
            try:
                found = d.sut.search(criteria, user_id=user, reason=reason)
                raise CheckFailed(f"a search with {who} was answered ({len(found)} records)")
            except AccessDenied:
                pass
            try:
                d.sut.view(cpid, user_id=user, reason=reason)
                raise CheckFailed(f"a view with {who} was answered")
            except AccessDenied:
                pass


@check(
    "cp.archive-at-18",
    "A record is archived on the 18th birthday, not a day before, and can no longer be found by any path",
    requirements=["CP-R15"],
    profiles=CP,
)
def archive_at_18(ctx: CheckContext) -> None:
    d = Directory(ctx)
    eighteen_today = d.cast.child(born=d.cast.born_years_ago(18))
    eighteen = d.cast.child(born=d.cast.born_years_ago(18, days=10))
    tomorrow = d.cast.child(born=d.cast.born_years_ago(18) + dt.timedelta(days=1))
    seventeen = d.cast.child(born=d.cast.born_years_ago(17, days=10))
    sent_when_17 = ctx.now() - dt.timedelta(days=30)
    d.feed(
        d.cast.identity_update(eighteen, created_at=sent_when_17),
        d.cast.identity_update(eighteen_today, created_at=sent_when_17),
        d.cast.identity_update(tomorrow),
        d.cast.identity_update(seventeen),
    )
    archived = {"18 today": eighteen_today, "18 ten days ago": eighteen}
    cpids = {what: d.one(kid.identifiers.nhs_number).contactpoint_id for what, kid in archived.items()}
    d.sut.run_maintenance(by=d.manager)
    with ctx.verifying("CP-R15"):
        for what, kid in archived.items():
            ctx.expect(not d.find(kid.identifiers.nhs_number), f"a record of a young person {what} is still found")
            postcode = kid.address.postcode if kid.address else None
            for criteria in (
                SearchCriteria(family_name=kid.name.family_name, date_of_birth=kid.date_of_birth),
                SearchCriteria(family_name=kid.name.family_name, postcode=postcode),
            ):
                found = d.sut.search(criteria, user_id=d.user, reason=REASON)
                ctx.expect(
                    all(r.contactpoint_id != cpids[what] for r in found),
                    f"a record of a young person {what} is still found by {criteria}",
                )
            try:
                d.view(cpids[what])
                raise CheckFailed(f"a record of a young person {what} is still shown")
            except NotFound:
                pass
        ctx.expect(d.find(tomorrow.identifiers.nhs_number), "a child who turns 18 tomorrow was archived today")
        ctx.expect(d.find(seventeen.identifiers.nhs_number), "a 17-year-old's record was archived")


@check(
    "cp.death-keeps-record-a-year",
    "A child's death keeps the record live one year from the date of death, to the day, whatever the age",
    requirements=["CP-R16"],
    profiles=CP,
)
def death(ctx: CheckContext) -> None:
    d = Directory(ctx)
    today = d.cast.today
    year_ago = d.cast.born_years_ago(1)
    children = {
        "died 200 days ago and would now be 18": (
            d.cast.child(born=d.cast.born_years_ago(18, days=100)),
            today - dt.timedelta(days=200),
            True,
        ),
        "died a year ago less a day and would now be 18": (
            d.cast.child(born=d.cast.born_years_ago(18, days=5)),
            year_ago + dt.timedelta(days=1),
            True,
        ),
        "died a year ago today": (d.cast.child(born=d.cast.born_years_ago(12)), year_ago, False),
        # Born on another day than the child above: namesakes with other NHS numbers are held (CP-R23), not fed.
        "died 400 days ago": (d.cast.child(born=d.cast.born_years_ago(11)), today - dt.timedelta(days=400), False),
    }
    for child, died, _live in children.values():
        moment = min(dt.datetime.combine(died + dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC), ctx.now())
        d.feed(d.cast.identity_update(child, created_at=moment, died_on=died))
    d.sut.run_maintenance(by=d.manager)
    with ctx.verifying("CP-R16"):
        for what, (child, _died, live) in children.items():
            found = bool(d.find(child.identifiers.nhs_number))
            ctx.expect(found == live, f"the record of a child who {what} is {'not ' if live else ''}live")


@check(
    "cp.purge-after-retention",
    "An archived record is purged on the day its retention period ends, not a day before (maintenance as of a day)",
    requirements=["CP-R17"],
    profiles=CP,
)
def purge_after_retention(ctx: CheckContext) -> None:
    d = Directory(ctx)
    years = int(ctx.options.get("retention-years", "6"))
    child = d.cast.child(born=d.cast.born_years_ago(18, days=10))
    d.feed(d.cast.identity_update(child, created_at=ctx.now() - dt.timedelta(days=30)))
    cpid = d.one(child.identifiers.nhs_number).contactpoint_id
    ends = d.cast.years_on(years)
    archived = _maintenance_as_of(d, d.cast.today)
    day_before = _maintenance_as_of(d, ends - dt.timedelta(days=1))
    with ctx.verifying("CP-R17"):
        ctx.expect(cpid in archived.archived or not d.find(child.identifiers.nhs_number), "the record was not archived")
        ctx.expect(cpid not in archived.purged, "an archived record was purged the day it was archived")
        ctx.expect(
            cpid not in day_before.purged, f"an archived record was purged a day before its {years} years of retention"
        )
        last = _maintenance_as_of(d, ends)
        ctx.expect(cpid in last.purged, f"an archived record was not purged when its {years} years of retention ended")


def _maintenance_as_of(d: Directory, day: dt.date) -> MaintenanceView:
    """Maintenance run as of `day`; the check is skipped when the system cannot be run as of another day."""
    try:
        run = d.sut.run_maintenance(by=d.manager, as_of=day)
    except (TypeError, Refused) as cannot:  # an adapter of the Protocol before as_of, or a service without a test clock
        d.ctx.skip(f"the system cannot run maintenance as of another day ({cannot}): start it with its test clock")
    if run is None:
        d.ctx.skip("the system's maintenance does not say the day it ran as of, nor what it archived and purged")
    if run.ran_on != day and run.ran_on == dt.datetime.now(dt.UTC).date():
        d.ctx.skip(f"the system ran maintenance as of its own clock, not as of {day}: start it with its test clock")
    with d.ctx.verifying("CP-R17"):
        late = (day - run.ran_on).days
        shift = f"{abs(late)} day{'s' if abs(late) != 1 else ''} {'late' if late > 0 else 'early'}"
        d.ctx.expect(
            run.ran_on == day,
            f"maintenance asked to run as of {day} ran as of {run.ran_on}: it archives and purges {shift}",
        )
    return run


@check(
    "cp.one-child-one-record",
    "Two feeders sending the same child (same NHS number) make one record",
    requirements=["CP-R18"],
    profiles=CP,
)
def one_child_one_record(ctx: CheckContext) -> None:
    d = Directory(ctx)
    child = d.cast.child(upn=True)
    involvement = d.cast.involvement()
    d.feed(d.cast.identity_update(child), d.cast.involvement_started(child, involvement, sender=FEEDER_B))
    with ctx.verifying("CP-R18"):
        found = d.find(child.identifiers.nhs_number)
        ctx.expect(len(found) == 1, f"the same child sent by two feeders makes {len(found)} records")
        by_name = d.sut.search(
            SearchCriteria(family_name=child.name.family_name, date_of_birth=child.date_of_birth),
            user_id=d.user,
            reason=REASON,
        )
        ctx.expect(len(by_name) == 1, f"a search by the child's name finds {len(by_name)} records")
        ctx.expect(
            any(i.involvement_id == involvement.involvement_id for i in found[0].involvements),
            "the second feeder's involvement is not on the child's one record",
        )


@check(
    "cp.shielding-survives-matching",
    "A feeder's message about a shielded child does not make the child's location findable",
    requirements=["CP-R19"],
    profiles=CP,
)
def shielding_survives_matching(ctx: CheckContext) -> None:
    d = Directory(ctx)
    cpid, nhs, _postcode = _shielded_child(d)
    moved = d.cast.child(nhs_number=nhs)
    new_postcode = moved.address.postcode if moved.address else None
    view = d.view(cpid)
    moved = moved.model_copy(update={"name": PersonName(given_names=view.given_names, family_name=view.family_name)})
    d.feed(d.cast.involvement_started(moved, d.cast.involvement(), sender=FEEDER_B))
    with ctx.verifying("CP-R19"):
        criteria = SearchCriteria(postcode=new_postcode, family_name=view.family_name)
        found = d.sut.search(criteria, user_id=d.user, reason=REASON)
        ctx.expect(
            not found, "after another feeder sent the shielded child's new address, a search by it finds the child"
        )
        for record in d.find(nhs):
            ctx.expect(record.location_hidden, "a record of the shielded child shows its location")
            ctx.expect(str(new_postcode) not in _shown(record), "the shielded child's new postcode is shown")


@check(
    "cp.out-of-order",
    "An older message does not overwrite the details of a newer one",
    requirements=["CP-R20"],
    profiles=CP,
)
def out_of_order(ctx: CheckContext) -> None:
    d = Directory(ctx)
    child = d.cast.child()
    older = child.model_copy(update={"name": PersonName(given_names="Hannah", family_name=d.cast.family_name("Old"))})
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    d.feed(
        d.cast.identity_update(child, sender=FEEDER_A, created_at=now),
        d.cast.identity_update(older, sender=FEEDER_A, created_at=now - dt.timedelta(hours=2)),
    )
    with ctx.verifying("CP-R20"):
        view = d.one(child.identifiers.nhs_number)
        ctx.expect(view.family_name == child.name.family_name, "a message created earlier replaced the newer name")


#: The fields a record shown by the directory may have: SI 2007/2182 Schedule 1 (names, address or its
#: absence, gender, date of birth, the directory's ID, parents and carers, services and whom to contact,
#: the CAF indicator and the lead professional), and what says the record is shielded.
SCHEDULE_1_FIELDS = frozenset(
    {
        # the child
        "contactpointId", "name", "givenNames", "familyName", "formerNames", "dateOfBirth", "expectedDateOfBirth",
        "gender", "address", "lines", "postcode", "lastKnownAddress", "noKnownAddress", "recordedOn", "leftEngland",
        "leftOn", "destination", "diedOn", "shielded", "locationHidden",
        # parents and carers
        "parentsCarers", "relationship", "hasParentalResponsibility", "contact", "telephone", "email",
        # services and whom to contact
        "involvements", "involvementId", "serviceName", "agencyType", "organisationName", "laCode", "practitioner",
        "practitionerId", "role", "team", "teamId", "startDate", "endDate", "visibleUntil", "sensitive",
        # the CAF indicator and the lead professional
        "cafIndicators", "recordedBy", "updatedOn", "completedBy", "leadProfessional",
    }
)  # fmt: skip


def _keys(value: object, where: str = "") -> list[str]:
    if isinstance(value, dict):
        found = []
        for key, inner in value.items():
            found.append(f"{where}{key}")
            found += _keys(inner, f"{where}{key}.")
        return found
    if isinstance(value, list):
        return [k for item in value for k in _keys(item, where)]
    return []


@check(
    "cp.schedule-1-only",
    "A record shows only the fields Schedule 1 allows: no case information, no CAF content, on any path",
    requirements=["CP-R08"],
    profiles=CP,
)
def schedule_1_only(ctx: CheckContext) -> None:
    d = Directory(ctx)
    child = d.cast.child(upn=True)
    d.feed(
        d.cast.identity_update(child),
        d.cast.involvement_started(child, d.cast.involvement()),
        d.cast.caf_indicator(child, lead=d.cast.youth_worker),
    )
    with ctx.verifying("CP-R08"):
        found = d.one(child.identifiers.nhs_number)
        for path, view in (("found", found), ("viewed", d.view(found.contactpoint_id))):
            ctx.expect(view.raw, f"{path}: the adapter does not give the record as shown (DirectoryView.raw)")
            extra = sorted({k for k in _keys(view.raw) if k.rsplit(".", 1)[-1] not in SCHEDULE_1_FIELDS})
            ctx.expect(not extra, f"{path}: the record shows fields Schedule 1 does not allow: {extra[:8]}")


@check(
    "cp.no-guessed-merge",
    "A child that cannot be matched with confidence is held for a data manager, never merged by guess",
    requirements=["CP-R21"],
    profiles=CP,
)
def no_guessed_merge(ctx: CheckContext) -> None:
    d = Directory(ctx)
    # Each name of a child counts, not only the last: the brother below shares the child's middle name.
    known = d.cast.child(upn=True, given="Hannah Rose")
    other = d.cast.child(upn=True, given="Chloe")
    other = other.model_copy(
        update={"identifiers": other.identifiers.model_copy(update={"local_id": d.cast.serial("MIS")})}
    )
    d.feed(
        d.cast.identity_update(known),
        d.cast.involvement_started(known, d.cast.involvement()),
        d.cast.identity_update(other, sender=FEEDER_B),
    )
    record = d.one(known.identifiers.nhs_number)
    second = d.one(other.identifiers.nhs_number)
    assert known.address is not None
    nhs = str(known.identifiers.nhs_number)
    lower, higher = _nhs_either_side(nhs)
    # Messages about children the directory cannot tell apart with confidence: each must be held.
    ambiguous = {
        "a namesake born the same day, with no identifier and another address": d.cast.child(
            identifiers=False
        ).model_copy(update={"name": known.name, "date_of_birth": known.date_of_birth, "gender": known.gender}),
        "the child's NHS number with another name and date of birth": d.cast.child(
            nhs_number=nhs, family=d.cast.family_name("Else"), born=d.cast.born_years_ago(6)
        ),
        "the child's NHS number with the other child's UPN": known.model_copy(
            update={"identifiers": known.identifiers.model_copy(update={"upn": other.identifiers.upn})}
        ),
        "the child's UPN with the sender's own ID for the other child": known.model_copy(
            update={
                "identifiers": known.identifiers.model_copy(
                    update={"nhs_number": None, "local_id": other.identifiers.local_id}
                )
            }
        ),
        "the other child's NHS number with the child's UPN": known.model_copy(
            update={"identifiers": known.identifiers.model_copy(update={"nhs_number": other.identifiers.nhs_number})}
        ),
        "the child's UPN with a lower NHS number": known.model_copy(
            update={"identifiers": known.identifiers.model_copy(update={"nhs_number": lower})}
        ),
        "the child's UPN with a higher NHS number": known.model_copy(
            update={"identifiers": known.identifiers.model_copy(update={"nhs_number": higher})}
        ),
    }
    sent = {}
    for what, child in ambiguous.items():
        involvement = d.cast.involvement()
        message = d.cast.involvement_started(child, involvement, sender=FEEDER_B)
        ctx.deliver(message)
        sent[what] = (message.header.message_id, involvement.involvement_id)
    # A brother born the same day, at the same address, is another child: a record of his own.
    brother = d.cast.child(identifiers=False, given="Harry Rose").model_copy(
        update={"name": PersonName(given_names="Harry Rose", family_name=known.name.family_name),
                "date_of_birth": known.date_of_birth, "address": known.address}
    )  # fmt: skip
    brothers = d.cast.involvement()
    d.feed(d.cast.involvement_started(brother, brothers, sender=FEEDER_B))
    with ctx.verifying("CP-R21"):
        for cpid, name in ((record.contactpoint_id, "the child's"), (second.contactpoint_id, "the other child's")):
            shown = d.view(cpid)
            ids = {i.involvement_id for i in shown.involvements}
            for what, (_mid, involvement_id) in sent.items():
                ctx.expect(involvement_id not in ids, f"a message about {what} was merged into {name} record")
            ctx.expect(brothers.involvement_id not in ids, f"a brother born the same day was merged into {name} record")
        ctx.expect(
            d.view(record.contactpoint_id).family_name == known.name.family_name,
            "a message not matched with confidence changed the child's name",
        )
        ctx.expect(
            d.view(record.contactpoint_id).postcode == known.address.postcode,
            "a message not matched with confidence changed the child's address",
        )
        found = d.sut.search(
            SearchCriteria(
                family_name=known.name.family_name, given_names="Harry Rose", date_of_birth=known.date_of_birth
            ),
            user_id=d.user,
            reason=REASON,
        )
        ctx.expect(
            any(brothers.involvement_id in {i.involvement_id for i in r.involvements} for r in found),
            "a brother born the same day at the same address was not given a record of his own",
        )
        if isinstance(d.sut, MatchQueueUnderTest):
            held = {h.message_id: h for h in d.sut.held_messages(by=d.manager)}
            for what, (message_id, _inv) in sent.items():
                ctx.expect(message_id in held, f"a message about {what} is not held for a data manager")
                ctx.expect(held[message_id].reason, f"the message about {what} is held without a reason")
                ctx.expect(
                    record.contactpoint_id in held[message_id].candidates,
                    f"the message about {what} is held without the record it might be about",
                )
        else:
            ctx.evidence("the adapter offers no match queue (MatchQueueUnderTest): held messages were not read")


def _nhs_either_side(nhs: str) -> tuple[str, str]:
    """Valid NHS numbers below and above `nhs`."""
    found: list[str] = []
    for step in (-1, 1):
        base = int(nhs[:9])
        while True:
            base += step
            check = nhs_number_check_digit(f"{base:09d}")
            if check is not None and base > 0:
                found.append(f"{base:09d}{check}")
                break
    return found[0], found[1]


# --- shielding field by field, conflicting identifiers, data managers (issue 15) ---------------------

#: What a shielded record may show to a user without the child-protection override: SI 2007/2182
#: reg. 6(6) (the names and former names, gender, date of birth, the directory's ID, the names of the
#: people with parental responsibility or care), and what says the record is shielded.
SHIELDED_FIELDS = frozenset(
    {
        "contactpointId", "name", "givenNames", "familyName", "formerNames", "dateOfBirth", "expectedDateOfBirth",
        "gender", "shielded", "locationHidden", "parentsCarers", "relationship", "hasParentalResponsibility",
    }
)  # fmt: skip


def _filled_keys(value: object, where: str = "") -> list[str]:
    """The keys of a record as shown whose values are not empty (an empty list or null shows nothing)."""
    if isinstance(value, dict):
        found = []
        for key, inner in value.items():
            if inner in (None, "", [], {}):
                continue
            found.append(f"{where}{key}")
            found += _filled_keys(inner, f"{where}{key}.")
        return found
    if isinstance(value, list):
        return [k for item in value for k in _filled_keys(item, where)]
    return []


@check(
    "cp.shielded-record-fields",
    "A shielded record shows only what SI 2007/2182 reg. 6(6) allows, field by field, to every user without "
    "the override, on every path",
    requirements=["CP-R10"],
    profiles=CP,
)
def shielded_record_fields(ctx: CheckContext) -> None:
    d = Directory(ctx)
    cpid, nhs, postcode = _shielded_child(d)
    record = d.view(cpid)
    worker = d.cast.youth_worker
    hints = [postcode, *location_words(d.cast), worker.practitioner_id]
    if worker.contact is not None:
        hints += [v for v in (worker.contact.telephone, worker.contact.email) if v]
    users = {
        "a practitioner": d.user,
        "a child-protection user without the override": d.register(
            "child-protection", d.cast.social_care.organisation_id
        ),
        "a data manager": d.manager,
    }
    by_name = SearchCriteria(family_name=record.family_name, date_of_birth=record.date_of_birth)
    by_given = SearchCriteria(family_name=record.family_name, given_names=record.given_names)
    with ctx.verifying("CP-R10"):
        for who, user in users.items():
            paths = [("viewed by ID", d.view(cpid, user=user))]
            paths += [("found by NHS number", r) for r in d.find(nhs, user=user)]
            for what, criteria in (("name and date of birth", by_name), ("name", by_given)):
                found = d.sut.search(criteria, user_id=user, reason=REASON)
                paths += [(f"found by {what}", r) for r in found if r.contactpoint_id == cpid]
            ctx.expect(len(paths) >= 4, f"{who} does not find the shielded child by its NHS number and its name")
            for path, view in paths:
                where = f"{who}, {path}"
                ctx.expect(view.location_hidden, f"{where}: the record does not say its location is hidden")
                # (A field Schedule 1 does not allow at all is CP-R08's business.)
                extra = sorted(
                    k
                    for k in set(_filled_keys(view.raw))
                    if k.rsplit(".", 1)[-1] in SCHEDULE_1_FIELDS - SHIELDED_FIELDS
                )
                ctx.expect(
                    not extra, f"{where}: the shielded record shows fields reg. 6(6) does not allow: {extra[:8]}"
                )
                shown = _shown(view)
                for hint in hints:
                    ctx.expect(hint not in shown, f"{where}: {hint!r} (where the child is, or whom to ask) is shown")


@check(
    "cp.conflicting-identifier-held",
    "A namesake with the same postcode and another NHS number is held, never a new record beside the child's",
    requirements=["CP-R23"],
    profiles=CP,
)
def conflicting_identifier_held(ctx: CheckContext) -> None:
    d = Directory(ctx)
    cpid, nhs, postcode = _shielded_child(d)
    shielded = d.view(cpid)
    plain_child = d.cast.child(given="Chloe")
    d.feed(d.cast.identity_update(plain_child))
    plain = d.one(plain_child.identifiers.nhs_number)
    plain_postcode = str(plain_child.address.postcode if plain_child.address else "")
    cases = {
        "the shielded child": (shielded, nhs, postcode, True),
        "an unshielded child": (plain, str(plain_child.identifiers.nhs_number), plain_postcode, False),
    }
    sent = {}
    for what, (view, known, code, _shielded) in cases.items():
        typo = _nhs_either_side(known)[1]  # a valid NHS number: the check digit does not catch every slip
        child = d.cast.child(
            given=view.given_names, family=view.family_name, born=view.date_of_birth, postcode=code, nhs_number=typo
        )
        message = d.cast.involvement_started(child, d.cast.involvement(), sender=FEEDER_B)
        sent[what] = (message.header.message_id, typo, ctx.acknowledgement(ctx.deliver(message)))
    # A sender's own ID is an identifier too: a namesake it sends under another of its local IDs.
    local_child = d.cast.child(given="Daisy", family=d.cast.family_name("Local"), identifiers=False)
    local_child = local_child.model_copy(
        update={"identifiers": local_child.identifiers.model_copy(update={"local_id": d.cast.serial("MIS")})}
    )
    d.feed(d.cast.identity_update(local_child, sender=FEEDER_B))
    other_local = local_child.model_copy(
        update={"identifiers": local_child.identifiers.model_copy(update={"local_id": d.cast.serial("MIS")})}
    )
    local_message = d.cast.involvement_started(other_local, d.cast.involvement(), sender=FEEDER_B)
    local_ack = ctx.acknowledgement(ctx.deliver(local_message))
    with ctx.verifying("CP-R23"):
        what = "a child the sender knows by its own ID, sent under another of its IDs"
        rules = [f.rule_id for f in local_ack.findings]
        ctx.expect(local_ack.status.value != "rejected", f"the message about {what} was rejected: {rules}")
        ctx.expect("CP-MATCH-HELD" in rules, f"the sender is not told the message about {what} is held: {rules}")
        named = d.sut.search(
            SearchCriteria(family_name=local_child.name.family_name, date_of_birth=local_child.date_of_birth),
            user_id=d.user,
            reason=REASON,
        )
        ctx.expect(len(named) == 1, f"after a message about {what}, a search by its name finds {len(named)} records")
        ctx.expect(
            all(i.involvement_id != local_message.involvement.involvement_id for r in named for i in r.involvements),
            f"the message about {what} was merged into the record",
        )
        for what, (view, _known, code, is_shielded) in cases.items():
            message_id, typo, ack = sent[what]
            rules = [f.rule_id for f in ack.findings]
            ctx.expect(ack.status.value != "rejected", f"the message about {what} with another NHS number was rejected")
            ctx.expect("CP-MATCH-HELD" in rules, f"the sender is not told the message about {what} is held: {rules}")
            ctx.expect(not d.find(typo), f"the other NHS number sent for {what} made a record of its own")
            named = d.sut.search(
                SearchCriteria(
                    family_name=view.family_name, given_names=view.given_names, date_of_birth=view.date_of_birth
                ),
                user_id=d.user,
                reason=REASON,
            )
            ids = sorted(r.contactpoint_id for r in named)
            ctx.expect(
                ids == [view.contactpoint_id], f"a search by the name of {what} finds {ids[:4]}, not its one record"
            )
            by_postcode = d.sut.search(
                SearchCriteria(family_name=view.family_name, postcode=code), user_id=d.user, reason=REASON
            )
            found = sorted(r.contactpoint_id for r in by_postcode)
            # (Whether the shielded child itself is found by its postcode is CP-R11's business.)
            others = [r for r in found if r != view.contactpoint_id]
            ctx.expect(not others, f"a search by {what}'s name and postcode finds another record: {others[:4]}")
            if not is_shielded:
                ctx.expect(found == [view.contactpoint_id], f"a search by {what}'s name and postcode finds {found[:4]}")
            if isinstance(d.sut, MatchQueueUnderTest):
                held = {h.message_id: h for h in d.sut.held_messages(by=d.manager)}
                ctx.expect(message_id in held, f"the message about {what} is not held for a data manager")
                if message_id in held:
                    ctx.expect(
                        view.contactpoint_id in held[message_id].candidates,
                        f"the message about {what} is held without the record it may duplicate",
                    )


@check(
    "cp.data-managers-kept",
    "A data manager cannot change their own role; another data manager can, and the directory keeps one",
    requirements=["CP-R24"],
    profiles=CP,
)
def data_managers_kept(ctx: CheckContext) -> None:
    """Only users the suite registered change role: it cannot know the organisation of its own data manager.

    That is also why the last data manager is not demoted here: a vendor's directory may have
    others the suite does not know. A data manager changing their own role is how the last one
    would leave a directory without any over its API; the reference's own tests cover the rest.
    """
    from .protocol import SystemRefusal

    d = Directory(ctx)
    organisation = d.cast.social_care.organisation_id
    first, second = d.register("data-manager", organisation), d.register("data-manager", organisation)
    problems = []

    def acts_as_manager(user: str) -> bool:
        try:
            d.sut.audit_alerts(by=user)
            return True
        except AccessDenied:
            return False

    # Each change the directory wrongly allows is undone at once by the suite's data manager.
    for user, role in ((first, "practitioner"), (second, "child-protection")):
        try:
            d.sut.register_user(user, role, organisation, by=user)
            problems.append(f"a data manager changed their own role to {role!r}")
            d.sut.register_user(user, "data-manager", organisation, by=d.manager)
        except SystemRefusal as refusal:
            ctx.evidence(f"a data manager changing their own role to {role!r} was refused: {refusal.rule_id}")
    demoted = True
    try:
        d.sut.register_user(second, "practitioner", organisation, by=first)
    except SystemRefusal as refusal:
        demoted = False
        problems.append(f"a data manager could not change another data manager's role ({refusal.rule_id})")
    with ctx.verifying("CP-R24"):
        for problem in problems:
            ctx.expect(False, problem)
        ctx.expect(acts_as_manager(first), "a data manager who tried to change their own role is no longer one")
        ctx.expect(acts_as_manager(d.manager), "the suite's data manager is no longer a data manager")
        if demoted:
            ctx.expect(not acts_as_manager(second), "a data manager demoted by another still acts as one")
