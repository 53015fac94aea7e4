"""Checks of the contactpoint profile: what the directory holds, shows, hides, audits and forgets.

Time is the real clock's: a system over HTTP cannot be told what day it is, so the checks send
dates relative to today (an involvement that ended 300 days ago must still show, one that ended
400 days ago must not) and ask the directory to run its maintenance as a data manager would.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json

from ics_interop import to_json, to_xml
from ics_interop.messages import CaseRecordTransfer, MessageType
from ics_interop.model import PersonName, Team
from ics_interop.model.codes import SensitiveBasis, SensitiveService

from .context import CheckContext, CheckFailed
from .protocol import AccessDenied, DirectoryUnderTest, DirectoryView, NotFound, SearchCriteria
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
    "The child's identifying details are shown as last sent, with former names",
    requirements=["CP-R04"],
    profiles=CP,
)
def identity_details(ctx: CheckContext) -> None:
    d = Directory(ctx)
    child = d.cast.child()
    d.feed(d.cast.identity_update(child))
    with ctx.verifying("CP-R04"):
        view = d.one(child.identifiers.nhs_number)
        ctx.expect(view.family_name == child.name.family_name, f"family name {view.family_name!r}")
        ctx.expect(view.given_names == child.name.given_names, f"given names {view.given_names!r}")
        ctx.expect(view.date_of_birth == child.date_of_birth, f"date of birth {view.date_of_birth}")
        ctx.expect(view.gender == child.gender.value, f"gender {view.gender!r}")
        ctx.expect(view.postcode == (child.address.postcode if child.address else None), f"postcode {view.postcode!r}")
        ctx.expect(any("Julie" in n for n in view.parent_carer_names), f"parents and carers {view.parent_carer_names}")
        renamed = child.model_copy(
            update={"name": PersonName(given_names="Hannah", family_name=d.cast.family_name("New"))}
        )
        d.feed(d.cast.identity_update(renamed))
        view = d.one(child.identifiers.nhs_number)
        ctx.expect(view.family_name == renamed.name.family_name, "the new name sent is not shown")
        ctx.expect(
            child.name.family_name in view.former_family_names, "the name the child had is not kept as a former name"
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
    "An ended involvement is shown for a year after its end, and not after",
    requirements=["CP-R06"],
    profiles=CP,
)
def ended_involvement_one_year(ctx: CheckContext) -> None:
    d = Directory(ctx)
    today = d.cast.today
    child = d.cast.child()
    recent = d.cast.involvement(start=today - dt.timedelta(days=900))
    old = d.cast.involvement(start=today - dt.timedelta(days=900))
    d.feed(
        d.cast.involvement_started(child, recent),
        d.cast.involvement_started(child, old),
        d.cast.involvement_ended(child, recent, today - dt.timedelta(days=300)),
        d.cast.involvement_ended(child, old, today - dt.timedelta(days=400)),
    )
    with ctx.verifying("CP-R06"):
        for when in ("before maintenance", "after maintenance"):
            shown = {i.involvement_id: i for i in d.one(child.identifiers.nhs_number).involvements}
            ctx.expect(recent.involvement_id in shown, f"{when}: an involvement that ended 300 days ago is not shown")
            ctx.expect(
                shown[recent.involvement_id].end_date == today - dt.timedelta(days=300),
                f"{when}: the ended involvement is shown without its end date",
            )
            ctx.expect(
                old.involvement_id not in shown, f"{when}: an involvement that ended 400 days ago is still shown"
            )
            if when == "before maintenance":
                d.sut.run_maintenance(by=d.manager)


@check(
    "cp.caf-indicator",
    "The CAF indicator, its author and the lead professional are shown; 'no CAF' removes them",
    requirements=["CP-R07"],
    profiles=CP,
)
def caf_indicator(ctx: CheckContext) -> None:
    d = Directory(ctx)
    child = d.cast.child()
    d.feed(d.cast.caf_indicator(child, lead=d.cast.youth_worker))
    with ctx.verifying("CP-R07"):
        view = d.one(child.identifiers.nhs_number)
        ctx.expect(view.caf_indicator, "the record does not show that a CAF exists")
        ctx.expect(view.caf_completed_by == d.cast.mentor.practitioner_id, f"completed by {view.caf_completed_by!r}")
        ctx.expect(
            view.lead_professional_id == d.cast.youth_worker.practitioner_id,
            f"lead professional shown as {view.lead_professional_id!r}",
        )
        d.feed(d.cast.caf_indicator(child, exists=False))
        view = d.one(child.identifiers.nhs_number)
        ctx.expect(not view.caf_indicator, "the CAF indicator is still shown after 'no CAF exists'")


@check(
    "cp.sensitive-services",
    "A sensitive service is recorded only with its basis, and shown only to its own organisation",
    requirements=["CP-R09"],
    profiles=CP,
)
def sensitive_services(ctx: CheckContext) -> None:
    d = Directory(ctx)
    child = d.cast.child()
    clinic_user = d.register("practitioner", d.cast.clinic.organisation_id)
    sensitive = d.cast.involvement(sensitive=SensitiveService.SEXUAL_HEALTH, basis=SensitiveBasis.CONSENT)
    unlawful = d.cast.involvement(sensitive=SensitiveService.MENTAL_HEALTH)
    d.feed(d.cast.identity_update(child), d.cast.involvement_started(child, sensitive, sender=FEEDER_B))
    with ctx.verifying("CP-R09"):
        ack = ctx.acknowledgement(ctx.deliver(d.cast.involvement_started(child, unlawful, sender=FEEDER_B)))
        ctx.expect(ack.status.value == "rejected", "a sensitive service with no basis was accepted")
        ctx.expect("INV-001" in [f.rule_id for f in ack.findings], "the rejection does not name INV-001")
        own = {i.involvement_id for i in d.one(child.identifiers.nhs_number, user=clinic_user).involvements}
        ctx.expect(sensitive.involvement_id in own, "the clinic's own user does not see the clinic's involvement")
        other = d.one(child.identifiers.nhs_number)
        ctx.expect(
            all(i.involvement_id != sensitive.involvement_id for i in other.involvements),
            "a user of another organisation sees a sensitive service's involvement",
        )
        ctx.expect(
            "Sexual health" not in _shown(other), "a user of another organisation is shown the sensitive service"
        )


def _shielded_child(d: Directory) -> tuple[str, str, str]:
    """A child fed and shielded: (ContactPoint ID, NHS number, postcode); the family name is the cast's."""
    child = d.cast.child()
    d.feed(d.cast.identity_update(child), d.cast.involvement_started(child, d.cast.involvement()))
    view = d.one(child.identifiers.nhs_number)
    d.sut.set_shielding(view.contactpoint_id, True, by=d.manager, reason="fleeing domestic violence")
    postcode = child.address.postcode if child.address and child.address.postcode else ""
    return view.contactpoint_id, str(child.identifiers.nhs_number), postcode


@check(
    "cp.shielding-hides-location",
    "A shielded child's location is hidden from every view",
    requirements=["CP-R10"],
    profiles=CP,
)
def shielding_hides_location(ctx: CheckContext) -> None:
    d = Directory(ctx)
    cpid, nhs, postcode = _shielded_child(d)
    with ctx.verifying("CP-R10"):
        for view in (d.view(cpid), d.one(nhs)):
            ctx.expect(view.location_hidden, "the record does not say its location is hidden")
            ctx.expect(view.postcode is None, f"the shielded child's postcode is shown: {view.postcode}")
            ctx.expect(postcode not in _shown(view), "the shielded child's postcode appears in what is shown")
            ctx.expect("Wren House" not in _shown(view), "the shielded child's address appears in what is shown")


@check(
    "cp.shielding-search",
    "A search on a hidden field does not find a shielded child",
    requirements=["CP-R11"],
    profiles=CP,
)
def shielding_search(ctx: CheckContext) -> None:
    d = Directory(ctx)
    cpid, _nhs, postcode = _shielded_child(d)
    control = d.cast.child(family=d.cast.family_name("Control"))
    d.feed(d.cast.identity_update(control))
    family = control.name.family_name
    control_postcode = control.address.postcode if control.address else None
    with ctx.verifying("CP-R11"):
        found = d.sut.search(
            SearchCriteria(postcode=control_postcode, family_name=family), user_id=d.user, reason=REASON
        )
        ctx.expect(found, "a search by postcode does not find even an unshielded child: the check cannot tell")
        shielded_family = d.cast.family_name()
        for criteria in (
            SearchCriteria(postcode=postcode, family_name=shielded_family),
            SearchCriteria(postcode=postcode, family_name=family),
        ):
            found = d.sut.search(criteria, user_id=d.user, reason=REASON)
            ctx.expect(
                all(r.contactpoint_id != cpid for r in found),
                f"a search by the shielded child's postcode ({criteria}) found the child",
            )


@check(
    "cp.shielding-override",
    "Child protection may override shielding, with an audit alert; other roles may not",
    requirements=["CP-R12"],
    profiles=CP,
)
def shielding_override(ctx: CheckContext) -> None:
    d = Directory(ctx)
    cpid, _nhs, postcode = _shielded_child(d)
    protector = d.register("child-protection", d.cast.social_care.organisation_id)
    reason = f"section 47 enquiry {d.cast.token}"
    with ctx.verifying("CP-R12"):
        try:
            d.view(cpid, override=reason)
            raise CheckFailed("a practitioner (not child protection) was allowed to override shielding")
        except AccessDenied:
            pass
        view = d.view(cpid, user=protector, override=reason)
        ctx.expect(view.postcode == postcode, "a child-protection override does not show the child's location")
        alerts = d.sut.audit_alerts(by=d.manager)
        ctx.expect(
            any(a.user_id == protector and a.contactpoint_id == cpid for a in alerts),
            "the child-protection override raised no audit alert",
        )
        ctx.expect(
            not any(a.user_id == d.user for a in alerts), "the refused override raised an alert as if it happened"
        )


@check(
    "cp.audit",
    "Every search and view is audited, refused ones included",
    requirements=["CP-R13"],
    profiles=CP,
)
def audit(ctx: CheckContext) -> None:
    d = Directory(ctx)
    child = d.cast.child()
    d.feed(d.cast.identity_update(child))
    view = d.one(child.identifiers.nhs_number)
    d.view(view.contactpoint_id)
    with contextlib.suppress(AccessDenied):
        d.sut.view(view.contactpoint_id, user_id=d.user, reason=None)
    with ctx.verifying("CP-R13"):
        entries = [e for e in d.sut.audit_entries(by=d.manager) if e.user_id == d.user]
        ok = [e for e in entries if view.contactpoint_id in e.records and e.outcome in ("ok", "allowed", "permitted")]
        ctx.expect(len(ok) >= 2, f"the search and the view of the record are not both audited ({len(ok)} entries)")
        ctx.expect(any(e.reason == REASON for e in ok), "the audit does not keep the reason given")
        refused = [e for e in entries if e not in ok]
        ctx.expect(refused, "a view refused for want of a reason was not audited")


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
    criteria = SearchCriteria(identifier=child.identifiers.nhs_number)
    with ctx.verifying("CP-R14"):
        for user, reason, who in (
            (f"NOBODY-{d.cast.token}", REASON, "an unregistered user"),
            (d.user, None, "no reason"),
        ):
            try:
                found = d.sut.search(criteria, user_id=user, reason=reason)
                raise CheckFailed(f"a search with {who} was answered ({len(found)} records)")
            except AccessDenied:
                pass


@check(
    "cp.archive-at-18",
    "A record is archived at the 18th birthday and can no longer be found",
    requirements=["CP-R15"],
    profiles=CP,
)
def archive_at_18(ctx: CheckContext) -> None:
    d = Directory(ctx)
    eighteen = d.cast.child(born=d.cast.born_years_ago(18, days=10))
    seventeen = d.cast.child(born=d.cast.born_years_ago(17, days=10))
    sent_when_17 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=30)
    d.feed(d.cast.identity_update(eighteen, created_at=sent_when_17), d.cast.identity_update(seventeen))
    cpid = d.one(eighteen.identifiers.nhs_number).contactpoint_id
    d.sut.run_maintenance(by=d.manager)
    with ctx.verifying("CP-R15"):
        ctx.expect(not d.find(eighteen.identifiers.nhs_number), "an 18-year-old's record is still found")
        try:
            d.view(cpid)
            raise CheckFailed("an 18-year-old's record is still shown")
        except NotFound:
            pass
        ctx.expect(d.find(seventeen.identifiers.nhs_number), "a 17-year-old's record was archived")


@check(
    "cp.death-keeps-record-a-year",
    "A child's death keeps the record live one year, then it is archived",
    requirements=["CP-R16"],
    profiles=CP,
)
def death(ctx: CheckContext) -> None:
    d = Directory(ctx)
    today = d.cast.today
    recent = d.cast.child(born=d.cast.born_years_ago(18, days=100))
    older = d.cast.child(born=d.cast.born_years_ago(12))
    for child, died in ((recent, today - dt.timedelta(days=200)), (older, today - dt.timedelta(days=400))):
        moment = dt.datetime.combine(died + dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC)
        d.feed(d.cast.identity_update(child, created_at=moment, died_on=died))
    d.sut.run_maintenance(by=d.manager)
    with ctx.verifying("CP-R16"):
        ctx.expect(
            d.find(recent.identifiers.nhs_number),
            "the record of a child who died 200 days ago (and would now be 18) is no longer live",
        )
        ctx.expect(
            not d.find(older.identifiers.nhs_number), "the record of a child who died 400 days ago is still live"
        )


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
