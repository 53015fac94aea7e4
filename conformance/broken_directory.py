"""Broken ContactPoint directories: the reference directory with one thing a vendor got wrong, inside it.

Each is a `ContactPointDirectory` whose own code is wrong, so the suite meets the same fault
through the Python adapter and over HTTP. `broken` lists them with the requirements they break.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import attrs
from sqlalchemy import delete, insert, select, update

from ics_interop import Finding, Severity, to_json, to_xml
from ics_interop.messages import ChildIdentityUpdate, InvolvementStarted
from ics_interop.model import Child
from ics_interop.model.identifiers import is_valid_contactpoint_id, nhs_number_check_digit

from ._adapters import (
    ContactPointDirectory,
    DirectoryRole,
    acknowledgement_for,
    directory_access,
    directory_matching,
    directory_records,
)
from .broken_plumbing import ReceiverFilter, decode, encode_like

__all__ = [
    "AcceptsCaseTypes",
    "AddressLinesDropped",
    "AnotherLocalIdIsTheSameChild",
    "AnotherNhsNumberIsAnotherChild",
    "ArchivedFoundByName",
    "ArchivedTheDayBefore",
    "BlankReasonAccepted",
    "ContactPointIdCheckDigitIgnored",
    "DataManagersChangeOwnRole",
    "DataManagersOverrideShielding",
    "DeathIgnoredAtEighteen",
    "DropsNotesElements",
    "EndDateNotShown",
    "GuessesByNameAndBirth",
    "IdentifiersOfTwoRecordsMerged",
    "InvolvementHiddenOnItsAnniversary",
    "LeadKeptAfterNoCaf",
    "LoosePostcodeSearch",
    "MaintenanceAsOfYesterday",
    "OlderDetailsWin",
    "OverrideWithoutReason",
    "RedeliveryByBytes",
    "RefusedAccessNotAudited",
    "RejectedInvolvementKept",
    "RejectsJsonIdentityUpdates",
    "RetentionCountedInYearsPlusOne",
    "ReusedIdApplied",
    "SearchAuditWithoutRecords",
    "SearchIndexNeverRefreshed",
    "SecondFeederNotMatched",
    "SecondParentDropped",
    "SensitiveShownInView",
    "SensitiveShownToChildProtection",
    "SensitiveShownToDataManagers",
    "ShieldedContactsShown",
    "ShieldedLocationInNameSearch",
    "ShieldedOrganisationShown",
    "ShieldedParentAddressShown",
    "TakesTheFirstOfMany",
    "TeamContactNotShown",
    "ViewNeedsNoReason",
]


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class _ShownDirectory(ContactPointDirectory):
    """A directory whose records pass through `shown` (each broken one below changes what is shown)."""

    def shown(self, record: Any, kwargs: dict[str, Any]) -> Any:
        return record

    def search(self, **kwargs: Any) -> Any:
        result = super().search(**kwargs)
        return result.model_copy(update={"records": [self.shown(r, kwargs) for r in result.records]})

    def view(self, contactpoint_id: str, **kwargs: Any) -> Any:
        return self.shown(super().view(contactpoint_id, **kwargs), {**kwargs, "view": True})

    def _viewer(self, kwargs: dict[str, Any]) -> Any:
        with self.store.reading() as connection:
            return directory_access.authorise(connection, self.tables, kwargs["practitioner_id"], "reading")

    def _parents_with_contacts(self, record: Any, *, hide_location: bool) -> list[Any]:
        """The record's parents and carers, each with the contact details the directory holds for them."""
        with self.store.reading() as connection:
            row = connection.execute(
                select(self.tables.child.c.details).where(self.tables.child.c.contactpoint_id == record.contactpoint_id)
            ).one()
        child = Child.model_validate(row.details)
        return [
            shown.model_copy(update={"contact": directory_records._contact(held.contact, hide_location)})
            for shown, held in zip(record.parents_carers, child.parents_carers, strict=False)
        ]

    def _involvements(self, record: Any, viewer: Any, *, sensitive_only: bool = False) -> list[Any]:
        """Every involvement of the record as `viewer` would see it if it belonged to its organisation."""
        inv = self.tables.involvement
        hide = bool(record.location_hidden)
        shown = []
        with self.store.reading() as connection:
            for row in connection.execute(select(inv).where(inv.c.contactpoint_id == record.contactpoint_id)):
                if sensitive_only and row.sensitive is None:
                    continue
                insider = attrs.evolve(viewer, organisation_id=row.organisation_id)
                found = directory_records._involvement(row, insider, _today(), hide)
                if found is not None:
                    shown.append(found)
        return shown

    def _with_sensitive(self, record: Any, kwargs: dict[str, Any]) -> Any:
        viewer = self._viewer(kwargs)
        known = {i.involvement_id for i in record.involvements}
        extra = [i for i in self._involvements(record, viewer, sensitive_only=True) if i.involvement_id not in known]
        return record.model_copy(update={"involvements": [*record.involvements, *extra]})


# --- time edges --------------------------------------------------------------------------------------


class InvolvementHiddenOnItsAnniversary(_ShownDirectory):
    """Counts 'a year after the end' as ending the day before the anniversary (`<` where `<=` was meant)."""

    def shown(self, record: Any, kwargs: dict[str, Any]) -> Any:
        kept = [i for i in record.involvements if i.visible_until is None or i.visible_until > _today()]
        return record.model_copy(update={"involvements": kept})


class EndDateNotShown(_ShownDirectory):
    """Shows an ended involvement as if it were current: the end date is left off the screen."""

    def shown(self, record: Any, kwargs: dict[str, Any]) -> Any:
        return record.model_copy(
            update={"involvements": [i.model_copy(update={"end_date": None}) for i in record.involvements]}
        )


class MaintenanceAsOfYesterday(ContactPointDirectory):
    """Runs the nightly maintenance as of the day before (the job's clock is local midnight, read as UTC)."""

    def run_maintenance(self, now: dt.datetime | None = None, *, by: Any = None) -> Any:
        return super().run_maintenance((now or self.clock()) - dt.timedelta(days=1), by=by)


class DeathIgnoredAtEighteen(ContactPointDirectory):
    """Archives every record at the 18th birthday, even in the year after a child's death."""

    def run_maintenance(self, now: dt.datetime | None = None, *, by: Any = None) -> Any:
        report = super().run_maintenance(now, by=by)
        today = (now or self.clock()).date()
        child = self.tables.child
        with self.store.transaction() as connection:
            rows = connection.execute(
                select(child.c.contactpoint_id, child.c.date_of_birth).where(child.c.status == "live")
            )
            adults = [r.contactpoint_id for r in rows if r.date_of_birth and _add_years(r.date_of_birth, 18) <= today]
            if adults:
                connection.execute(
                    update(child).where(child.c.contactpoint_id.in_(adults)).values(status="archived", archived_at=now)
                )
        return report


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


class RetentionCountedInYearsPlusOne(ContactPointDirectory):
    """Purges a year late: the retention period is configured in whole years and one is added 'to be safe'."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "retention_years": kwargs.get("retention_years", 6) + 1})


class ArchivedTheDayBefore(ContactPointDirectory):
    """Stamps a record archived the day before it was (local midnight read as UTC): it is purged a day early."""

    def run_maintenance(self, now: dt.datetime | None = None, *, by: Any = None) -> Any:
        report = super().run_maintenance(now, by=by)
        archived = report.archived_at_eighteen + report.archived_after_death
        if archived:
            child = self.tables.child
            with self.store.transaction() as connection:
                connection.execute(
                    update(child)
                    .where(child.c.contactpoint_id.in_(archived))
                    .values(archived_at=report.ran_at - dt.timedelta(days=1))
                )
        return report


# --- paths ------------------------------------------------------------------------------------------


class ArchivedFoundByName(ContactPointDirectory):
    """Searches by name run on the whole table: archived records are found (the status filter was forgotten)."""

    def search(self, **kwargs: Any) -> Any:
        result = super().search(**kwargs)
        family = kwargs.get("family_name")
        if not family or kwargs.get("identifier"):
            return result
        child, names = self.tables.child, self.tables.name
        shown = {r.contactpoint_id for r in result.records}
        extra = []
        with self.store.reading() as connection:
            viewer = directory_access.authorise(connection, self.tables, kwargs["practitioner_id"], "reading")
            rows = connection.execute(
                select(child.c.contactpoint_id)
                .join(names, names.c.contactpoint_id == child.c.contactpoint_id)
                .where(child.c.status == "archived", names.c.family_key == directory_matching.name_key(family))
            )
            for row in rows:
                if row.contactpoint_id not in shown:
                    shown.add(row.contactpoint_id)
                    extra.append(
                        directory_records.render(
                            connection, self.tables, row.contactpoint_id, viewer, _today(), reveal_location=False
                        )
                    )
        return result.model_copy(update={"records": [*result.records, *extra]})


class SensitiveShownInView(_ShownDirectory):
    """Filters sensitive services out of search results, but not out of the record viewed by its ID."""

    def shown(self, record: Any, kwargs: dict[str, Any]) -> Any:
        return self._with_sensitive(record, kwargs) if kwargs.get("view") else record


class ShieldedLocationInNameSearch(_ShownDirectory):
    """Builds the results of a search by name from the full record: the shielding filter is on the other paths."""

    def shown(self, record: Any, kwargs: dict[str, Any]) -> Any:
        if kwargs.get("view") or not kwargs.get("family_name") or kwargs.get("postcode") or not record.shielded:
            return record
        with self.store.reading() as connection:
            viewer = directory_access.authorise(connection, self.tables, kwargs["practitioner_id"], "reading")
            full = directory_records.render(
                connection, self.tables, record.contactpoint_id, viewer, _today(), reveal_location=True
            )
        return full.model_copy(update={"location_hidden": True})


class LoosePostcodeSearch(ContactPointDirectory):
    """Matches a postcode typed in another form (lower case, no space) fuzzily, past the shielding filter."""

    def search(self, **kwargs: Any) -> Any:
        typed = kwargs.get("postcode")
        canonical = directory_matching.postcode_key(typed) if typed else None
        as_printed = typed is not None and typed == typed.upper() and " " in typed
        if not typed or as_printed or not kwargs.get("family_name"):
            return super().search(**kwargs)
        result = super().search(**kwargs)
        child, names = self.tables.child, self.tables.name
        shown = {r.contactpoint_id for r in result.records}
        extra = []
        with self.store.reading() as connection:
            viewer = directory_access.authorise(connection, self.tables, kwargs["practitioner_id"], "reading")
            rows = connection.execute(
                select(child.c.contactpoint_id)
                .join(names, names.c.contactpoint_id == child.c.contactpoint_id)
                .where(
                    child.c.status == "live",
                    child.c.postcode_key == canonical,
                    names.c.family_key == directory_matching.name_key(kwargs["family_name"]),
                )
            )
            for row in rows:
                if row.contactpoint_id not in shown:
                    shown.add(row.contactpoint_id)
                    extra.append(
                        directory_records.render(
                            connection, self.tables, row.contactpoint_id, viewer, _today(), reveal_location=False
                        )
                    )
        return result.model_copy(update={"records": [*result.records, *extra]})


# --- roles and organisations ----------------------------------------------------------------------


class SensitiveShownToDataManagers(_ShownDirectory):
    """Lets data managers see sensitive services ('they run the directory')."""

    def shown(self, record: Any, kwargs: dict[str, Any]) -> Any:
        viewer = self._viewer(kwargs)
        return self._with_sensitive(record, kwargs) if viewer.role is DirectoryRole.DATA_MANAGER else record


class SensitiveShownToChildProtection(_ShownDirectory):
    """Lets child-protection users of any organisation see sensitive services."""

    def shown(self, record: Any, kwargs: dict[str, Any]) -> Any:
        viewer = self._viewer(kwargs)
        return self._with_sensitive(record, kwargs) if viewer.role is DirectoryRole.CHILD_PROTECTION else record


class DataManagersOverrideShielding(ContactPointDirectory):
    """Lets data managers override shielding as child protection may."""

    def _override(self, viewer: Any, override_shielding: str | None) -> bool:
        if override_shielding and viewer.role is DirectoryRole.DATA_MANAGER:
            return True
        return bool(super()._override(viewer, override_shielding))


class OverrideWithoutReason(ContactPointDirectory):
    """Takes any override header as a reason, a blank one too."""

    def _override(self, viewer: Any, override_shielding: str | None) -> bool:
        if override_shielding is not None and not override_shielding.strip():
            override_shielding = "(no reason given)"
        return bool(super()._override(viewer, override_shielding))


class BlankReasonAccepted(ContactPointDirectory):
    """Counts a reason of spaces as a reason (the form only checks the field was sent)."""

    def search(self, **kwargs: Any) -> Any:
        return super().search(**_filled(kwargs))

    def view(self, contactpoint_id: str, **kwargs: Any) -> Any:
        return super().view(contactpoint_id, **_filled(kwargs))


def _filled(kwargs: dict[str, Any]) -> dict[str, Any]:
    reason = kwargs.get("reason")
    if reason is not None and not reason.strip():
        return {**kwargs, "reason": "(reason field sent)"}
    return kwargs


class ViewNeedsNoReason(ContactPointDirectory):
    """Asks for a reason on searches only: a record opened from a link needs none."""

    def view(self, contactpoint_id: str, **kwargs: Any) -> Any:
        if not kwargs.get("reason"):
            kwargs = {**kwargs, "reason": "opened from a search"}
        return super().view(contactpoint_id, **kwargs)


# --- the audit ----------------------------------------------------------------------------------------


class RefusedAccessNotAudited(ContactPointDirectory):
    """Writes the audit entry in the same transaction as the access, so a refused access leaves none."""

    def _audited(
        self, action: str, user: Any, reason: Any, query: Any, run: Any, *, records_if_failed: Any = None
    ) -> Any:
        now = self.clock()
        with self.store.transaction() as connection:
            access = run(connection, now)
            self.audit.write(
                connection,
                at=now,
                practitioner_id=directory_access.user_id_of(user),
                action=action,
                outcome="ok",
                reason=reason,
                records=access.records,
                query=query,
                detail=access.detail,
                alerts=access.alerts,
            )
        return access.result


class SearchAuditWithoutRecords(ContactPointDirectory):
    """Audits each search with its criteria but not the records it showed."""

    def _audited(self, action: str, user: Any, reason: Any, query: Any, run: Any, **kwargs: Any) -> Any:
        if action != "search":
            return super()._audited(action, user, reason, query, run, **kwargs)

        def unrecorded(connection: Any, now: dt.datetime) -> Any:
            return attrs.evolve(run(connection, now), records=[])

        return super()._audited(action, user, reason, query, unrecorded, **kwargs)


# --- fields and sequences --------------------------------------------------------------------------------


class ShieldedParentAddressShown(_ShownDirectory):
    """Hides the child's address when shielded, but shows the parents' contact details whole."""

    def shown(self, record: Any, kwargs: dict[str, Any]) -> Any:
        if not record.location_hidden:
            return record
        parents = self._parents_with_contacts(record, hide_location=False)
        return record.model_copy(update={"parents_carers": parents})


class ShieldedOrganisationShown(_ShownDirectory):
    """Hides a shielded child's address, but still names the organisations working with the child."""

    def shown(self, record: Any, kwargs: dict[str, Any]) -> Any:
        if not record.location_hidden:
            return record
        viewer = self._viewer(kwargs)
        revealed = {
            i.involvement_id: i
            for i in self._involvements(record.model_copy(update={"location_hidden": False}), viewer)
        }
        hidden = [i for i in self._involvements(record, viewer) if i.sensitive is None]
        involvements = [
            i.model_copy(update={"organisation_name": revealed[i.involvement_id].organisation_name})
            if i.involvement_id in revealed
            else i
            for i in hidden
        ]
        return record.model_copy(update={"involvements": involvements})


class SecondParentDropped(_ShownDirectory):
    """Shows one parent or carer: the screen has room for one."""

    def shown(self, record: Any, kwargs: dict[str, Any]) -> Any:
        return record.model_copy(update={"parents_carers": record.parents_carers[:1]})


class AddressLinesDropped(_ShownDirectory):
    """Shows the first line of the address and the postcode only."""

    def shown(self, record: Any, kwargs: dict[str, Any]) -> Any:
        if record.address is None:
            return record
        return record.model_copy(
            update={"address": record.address.model_copy(update={"lines": record.address.lines[:1]})}
        )


class LeadKeptAfterNoCaf(_ShownDirectory):
    """Removes the CAF indicator when told no CAF exists, but keeps showing the last lead professional."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.leads: dict[str, Any] = {}

    def shown(self, record: Any, kwargs: dict[str, Any]) -> Any:
        if record.lead_professional is not None:
            self.leads[record.contactpoint_id] = record.lead_professional
            return record
        if not record.caf_indicators and record.contactpoint_id in self.leads:
            return record.model_copy(update={"lead_professional": self.leads[record.contactpoint_id]})
        return record


# --- what is received ----------------------------------------------------------------------------------


def _acknowledged(message: Any, content_type: str, findings: list[Finding], status: int) -> tuple[bytes, str, int]:
    header = message.header
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ack = acknowledgement_for(header.message_id, header.recipient, header.sender, findings, now)
    if "json" in content_type:
        return to_json(ack), "application/json", status
    return to_xml(ack), "application/xml", status


class RedeliveryByBytes(ContactPointDirectory):
    """Tells a redelivery by its bytes: the same message sent again in the other form is 'a different message'."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        seen: dict[str, str] = {}

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            message = decode(body)
            digest = hashlib.sha256(body).hexdigest()
            if message is not None:
                known = seen.setdefault(message.header.message_id, digest)
                if known != digest:
                    finding = Finding("ENV-003", Severity.ERROR, "this message ID was used for other bytes")
                    return _acknowledged(message, content_type, [finding], 422)
            return receive(body, content_type, client)

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]


def _fixing(system: ContactPointDirectory, fix: Callable[[Any], Any]) -> None:
    def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
        message = decode(body)
        if message is not None:
            changed = fix(message)
            if changed is not message:
                body = encode_like(changed, body)
        return receive(body, content_type, client)

    system.receiver = ReceiverFilter(system.receiver, intercept)  # type: ignore[assignment]


class ContactPointIdCheckDigitIgnored(ContactPointDirectory):
    """Drops a ContactPoint ID that fails its check digit instead of rejecting the message (ID-004)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def fix(message: Any) -> Any:
            child: Any = getattr(message, "child", None)
            sent = child.identifiers.contactpoint_id if child is not None else None
            if sent is None or is_valid_contactpoint_id(sent):
                return message
            identifiers = child.identifiers.model_copy(update={"contactpoint_id": None})
            return message.model_copy(update={"child": child.model_copy(update={"identifiers": identifiers})})

        _fixing(self, fix)


class OlderDetailsWin(ContactPointDirectory):
    """Applies a child's details in the order the messages arrive, whenever they were written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def fix(message: Any) -> Any:
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            if not isinstance(message, ChildIdentityUpdate) or now - message.header.created_at > dt.timedelta(days=1):
                return message  # (an old message replayed from the archive keeps its date)
            return message.model_copy(update={"header": message.header.model_copy(update={"created_at": now})})

        _fixing(self, fix)


class GuessesByNameAndBirth(ContactPointDirectory):
    """Merges a child sent without identifiers into the record with the same name and birth date, wherever they live."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def fix(message: Any) -> Any:
            child = getattr(message, "child", None)
            if (
                child is None
                or child.identifiers.nhs_number
                or child.identifiers.upn
                or child.identifiers.contactpoint_id
            ):
                return message
            names, table = self.tables.name, self.tables.child
            with self.store.reading() as connection:
                row = connection.execute(
                    select(table.c.contactpoint_id)
                    .join(names, names.c.contactpoint_id == table.c.contactpoint_id)
                    .where(
                        names.c.family_key == directory_matching.name_key(child.name.family_name),
                        table.c.date_of_birth == child.date_of_birth,
                        table.c.status == "live",
                    )
                ).first()
            if row is None:
                return message
            identifiers = child.identifiers.model_copy(update={"contactpoint_id": row.contactpoint_id})
            return message.model_copy(update={"child": child.model_copy(update={"identifiers": identifiers})})

        _fixing(self, fix)


# --- messages in: what a lenient receiver lets through -----------------------------------------------------


def _rejected_here(message: Any, content_type: str, rule: str, text: str) -> tuple[bytes, str, int]:
    return _acknowledged(message, content_type, [Finding(rule, Severity.ERROR, text)], 422)


class RejectsJsonIdentityUpdates(ContactPointDirectory):
    """Its JSON reader was written for involvements only: a child's details sent as JSON are rejected."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            message = decode(body)
            if isinstance(message, ChildIdentityUpdate) and "json" in content_type:
                return _rejected_here(message, content_type, "INPUT-001", "this directory reads JSON involvements only")
            return receive(body, content_type, client)

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]


class TakesTheFirstOfMany(ContactPointDirectory):
    """Given a JSON array of messages, applies the first and ignores the rest, instead of refusing the delivery."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            if body.lstrip().startswith(b"["):
                try:
                    first = json.loads(body)[0]
                except (ValueError, IndexError, KeyError):
                    return receive(body, content_type, client)
                return receive(json.dumps(first).encode(), content_type, client)
            return receive(body, content_type, client)

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]


class ReusedIdApplied(ContactPointDirectory):
    """Gives a message that reuses an ID for other content an ID of its own, and applies it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        seen: dict[str, str] = {}

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            message = decode(body)
            if message is not None:
                digest = hashlib.sha256(to_json(message)).hexdigest()
                known = seen.setdefault(message.header.message_id, digest)
                if known != digest:
                    original = message.header.message_id
                    header = message.header.model_copy(update={"message_id": str(uuid.uuid4())})
                    reply, kind, status = receive(
                        encode_like(message.model_copy(update={"header": header}), body), content_type, client
                    )
                    ack = decode(reply)
                    if ack is None:
                        return reply, kind, status
                    answered = ack.model_copy(  # the sender is answered under the ID it sent
                        update={
                            "acknowledged_message_id": original,
                            "header": ack.header.model_copy(update={"correlation_id": original}),
                        }
                    )
                    return encode_like(answered, reply), kind, status
            return receive(body, content_type, client)

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]


class RejectedInvolvementKept(ContactPointDirectory):
    """Rejects an involvement whose dates are wrong (DATE-001), but keeps it, without its end, 'to be safe'."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            answer = receive(body, content_type, client)
            message = decode(body)
            ack = decode(answer[0])
            rules = [f.rule_id for f in getattr(ack, "findings", [])]
            if isinstance(message, InvolvementStarted) and rules == ["DATE-001"]:
                kept = message.model_copy(
                    update={
                        "header": message.header.model_copy(update={"message_id": str(uuid.uuid4())}),
                        "involvement": message.involvement.model_copy(update={"end_date": None}),
                    }
                )
                receive(to_xml(kept), "application/xml", client)
            return answer

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]


class AcceptsCaseTypes(ContactPointDirectory):
    """Answers any message type it does not handle as accepted (and drops it), so feeders see no errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        handled = set(self.receiver.handlers)

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            message = decode(body)
            if message is not None and message.message_type not in handled:
                return _acknowledged(message, content_type, [], 200)
            return receive(body, content_type, client)

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]


class DropsNotesElements(ContactPointDirectory):
    """Cleans deliveries of notes it does not know (any element or member named like 'notes') and accepts the rest."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def intercept(body: bytes, content_type: str, client: Any, receive: Callable[..., Any]) -> Any:
            text = body.decode("utf-8", "replace")
            if body.lstrip().startswith(b"<"):
                text = re.sub(r"<(\w*[Nn]otes)>.*?</\1>", "", text, flags=re.DOTALL)
            else:
                with contextlib.suppress(ValueError):
                    text = json.dumps(_without_notes(json.loads(text)))
            return receive(text.encode("utf-8"), content_type, client)

        self.receiver = ReceiverFilter(self.receiver, intercept)  # type: ignore[assignment]


def _without_notes(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_notes(v) for k, v in data.items() if "notes" not in k.lower()}
    if isinstance(data, list):
        return [_without_notes(v) for v in data]
    return data


class TeamContactNotShown(_ShownDirectory):
    """Shows an involvement's practitioner, but not the team when a team is whom to contact."""

    def shown(self, record: Any, kwargs: dict[str, Any]) -> Any:
        return record.model_copy(
            update={"involvements": [i.model_copy(update={"team": None}) for i in record.involvements]}
        )


class SecondFeederNotMatched(ContactPointDirectory):
    """Keys a school's UPN-bearing messages on the NHS number the school's MIS generated, so a second feeder's
    message about a known child never meets the record the first feeder made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        first: dict[str, str] = {}

        def fix(message: Any) -> Any:
            child: Any = getattr(message, "child", None)
            nhs = child.identifiers.nhs_number if child is not None else None
            if nhs is None:
                return message
            sender = message.header.sender.organisation_id
            if first.setdefault(nhs, sender) == sender or child.identifiers.upn is None:
                return message
            if not isinstance(message, InvolvementStarted):
                return message
            local = _another_nhs_number(nhs)
            identifiers = child.identifiers.model_copy(update={"nhs_number": local})
            return message.model_copy(update={"child": child.model_copy(update={"identifiers": identifiers})})

        _fixing(self, fix)


def _another_nhs_number(nhs: str) -> str:
    base = int(nhs[:9])
    while True:
        base = (base + 7919) % 10**9
        check = nhs_number_check_digit(f"{base:09d}")
        if check is not None:
            return f"{base:09d}{check}"


# --- shielding field by field, conflicting identifiers, data managers (issue 15) -----------------------


class ShieldedContactsShown(_ShownDirectory):
    """Hides a shielded child's addresses and organisations, but still gives whom to call: the parents' and
    practitioners' telephone numbers and e-mail addresses (whose area codes and domains name the places)."""

    def shown(self, record: Any, kwargs: dict[str, Any]) -> Any:
        if not record.location_hidden:
            return record
        parents = self._parents_with_contacts(record, hide_location=True)
        viewer = self._viewer(kwargs)
        involvements = [i for i in self._involvements(record, viewer) if i.sensitive is None]
        return record.model_copy(update={"parents_carers": parents, "involvements": involvements})


#: The reference directory's feed, to break one decision of.
_DirectoryFeed: Any = ContactPointDirectory.feed_type


class _NewChildOnAnotherNhsNumber(_DirectoryFeed):  # type: ignore[misc]
    """A feed that takes another NHS number beside a namesake as proof of another child."""

    def match(self, connection: Any, child: Child, sender: str, *, pinned: str | None) -> Any:
        found = super().match(connection, child, sender, pinned=pinned)
        if found.held is not None and "another NHS number" in found.held:
            return directory_matching.ChildMatch(owners=found.owners)  # "a different NHS number: a different child"
        return found


class AnotherNhsNumberIsAnotherChild(ContactPointDirectory):
    """Makes a new record for a namesake at the same address with another NHS number (a typing slip), unshielded."""

    feed_type = _NewChildOnAnotherNhsNumber


class DataManagersChangeOwnRole(ContactPointDirectory):
    """Lets anyone re-register anyone with any role: data managers are trusted to know what they do."""

    def _keep_a_data_manager(self, connection: Any, registration: Any, by: Any) -> None:
        return None


# --- names searched by, identifiers of every kind (issue 10) -------------------------------------------


class _NamesIndexedOnce(_DirectoryFeed):  # type: ignore[misc]
    """A feed that indexes a child's names and date of birth for search when the record is made, never after."""

    def _store_details(self, connection: Any, contactpoint_id: str, child: Child, as_of: Any, row: Any) -> None:
        name = self.tables.name
        before = [
            dict(r)
            for r in connection.execute(select(name).where(name.c.contactpoint_id == contactpoint_id)).mappings()
        ]
        super()._store_details(connection, contactpoint_id, child, as_of, row)
        if before:
            connection.execute(delete(name).where(name.c.contactpoint_id == contactpoint_id))
            connection.execute(insert(name), before)


class SearchIndexNeverRefreshed(ContactPointDirectory):
    """Finds a child by the name and date of birth it was first sent with: later changes are shown, not searched."""

    feed_type = _NamesIndexedOnce


class _LocalIdsAreTyposToo(_DirectoryFeed):  # type: ignore[misc]
    """A feed that takes a sender's other local ID beside a namesake at the same address for the same child."""

    def match(self, connection: Any, child: Child, sender: str, *, pinned: str | None) -> Any:
        found = super().match(connection, child, sender, pinned=pinned)
        if found.held is not None and "another local ID" in found.held and len(found.candidates) == 1:
            return directory_matching.ChildMatch(contactpoint_id=found.candidates[0], owners=found.owners)
        return found


class AnotherLocalIdIsTheSameChild(ContactPointDirectory):
    """Merges a namesake a feeder sends under another of its own IDs into the record, instead of holding it."""

    feed_type = _LocalIdsAreTyposToo


class _FirstRecordNamed(_DirectoryFeed):  # type: ignore[misc]
    """A feed that, when a child's identifiers name two records, takes the first of them."""

    def match(self, connection: Any, child: Child, sender: str, *, pinned: str | None) -> Any:
        found = super().match(connection, child, sender, pinned=pinned)
        if found.held is not None and "more than one record" in found.held:
            first = min(found.candidates)
            # The first record keeps the identifiers it has; the other record's are left where they are.
            owners = dict.fromkeys(directory_matching.identifier_keys(child, sender), first)
            return directory_matching.ChildMatch(contactpoint_id=first, owners=owners)
        return found


class IdentifiersOfTwoRecordsMerged(ContactPointDirectory):
    """Applies a message whose identifiers name two records to the first of them, instead of holding it."""

    feed_type = _FirstRecordNamed
