"""Turning a checked row into F1 messages: the columns that go together, the models, the project's rules.

A row becomes a message only when its cells have their forms (`rows`), the columns that go
together are given together, the standard's models accept the result, and the project's
business rules (`ics_interop.run_rules`: NHS check digits, under 18, end after start...) pass
on every message the row may send. A problem found in a message is placed back in the column
its field came from (`RowMessages.column_of`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError

from ics_interop import Message, Severity, SystemRef, run_rules
from ics_interop.messages import ChildIdentityUpdate, InvolvementEnded, InvolvementStarted, MessageType
from ics_interop.model import json_name

from .columns import PARENT_SLOTS, FeedKind, columns_for
from .feed import FeedMessage
from .rows import Row

__all__ = ["RowMessages", "RowRefused"]

#: A warning for a receiver, an error here: a feed never sends what reads like case information (seed §5.2).
_REFUSED_WARNINGS = frozenset({"CP-002"})

M = TypeVar("M", bound=Message)


class RowRefused(Exception):
    """The row cannot become a message; its problems are already recorded."""


def _build(row: Row, make: Callable[[], M], columns: Callable[[str], str]) -> M:
    """Build a message; a constraint the models refuse becomes a problem in the column the field came from."""
    try:
        return make()
    except ValidationError as exc:
        for error in exc.errors():
            path = ""
            for part in error["loc"]:
                path += f"[{part}]" if isinstance(part, int) else ("." if path else "") + json_name(str(part))
            row.problem(
                columns(path),
                "CSV-MODEL",
                f"{error['msg']} (at {path or 'the message'})",
                "correct the value: docs/csv-feeds.md gives each column's form",
            )
        raise RowRefused from None


class RowMessages:
    """Turns the rows of one file into messages for one sender."""

    def __init__(self, kind: FeedKind, sender: SystemRef, recipient: SystemRef, now: dt.datetime) -> None:
        self.kind = kind
        self.layout = columns_for(kind)
        self.sender = sender
        self.recipient = recipient
        self.now = now

    # --- where a message field came from

    def column_of(self, row: Row, path: str) -> str:
        """The column (layout name) a message path was filled from, or '' for the row as a whole."""

        def parent(match: re.Match[str]) -> str:
            index = int(match.group(1))
            slot = row.parent_slots[index] if index < len(row.parent_slots) else index + 1
            return f"child.parentsCarers[{slot - 1}]"

        def line(match: re.Match[str]) -> str:
            index = int(match.group(2))
            number = row.address_lines[index] if index < len(row.address_lines) else index + 1
            return f"{match.group(1)}.lines[{number - 1}]"

        path = re.sub(r"^child\.parentsCarers\[(\d+)\]", parent, path)
        path = re.sub(r"^(child\.(?:address|lastKnownAddress))\.lines\[(\d+)\]", line, path)
        best, length = "", -1
        for column in self.layout:
            for known in column.paths:
                if (path == known or path.startswith((known + ".", known + "["))) and len(known) > length:
                    best, length = column.name, len(known)
        return best

    # --- the row's parts

    def check_combinations(self, row: Row) -> None:
        """The columns that go together, or exclude each other (before any model is built)."""
        if row.given("date_of_birth") and row.given("expected_date_of_birth"):
            row.problem(
                "expected_date_of_birth",
                "CSV-COMBINATION",
                "a child has a date of birth or, unborn, an expected one: not both",
                "empty expected_date_of_birth (or date_of_birth, for an unborn child)",
            )
        elif not row.given("date_of_birth") and not row.given("expected_date_of_birth"):
            row.problem(
                "date_of_birth",
                "CSV-REQUIRED",
                "a child needs a date of birth",
                "give date_of_birth (or expected_date_of_birth for an unborn child)",
            )
        if row.given("former_given_names") or row.given("former_family_name"):
            row.require(("former_given_names", "former_family_name"), "for a former name")
        self._check_location(row)
        for slot in PARENT_SLOTS:
            prefix = f"parent{slot}_"
            if any(row.given(name) for name in row.raw if name.startswith(prefix)):
                parts = ("given_names", "family_name", "relationship", "parental_responsibility")
                row.require(tuple(prefix + part for part in parts), f"for parent or carer {slot}")
        if self.kind is FeedKind.INVOLVEMENTS:
            self._check_contact(row)
        if row.given("died_on") and row.given("expected_date_of_birth"):
            row.problem("died_on", "CSV-COMBINATION", "an unborn child has no date of death", "empty died_on")

    def _check_location(self, row: Row) -> None:
        status = row.values.get("address_status")
        lines = any(row.given(f"address_line_{n}") for n in range(1, 6))
        if status is None and not row.given("address_status"):
            status = "current" if lines or row.given("postcode") else None
        if status is None:
            if not row.given("address_status"):
                row.problem(
                    "address_line_1",
                    "CSV-REQUIRED",
                    "the child's address is needed, or a statement that there is none",
                    "give the address (address_line_1... and postcode), or set address_status to "
                    "no-known-address or left-england",
                )
            return
        if status in ("current", "last-known"):
            if not lines:
                row.problem(
                    "address_line_1",
                    "CSV-REQUIRED",
                    f"an address ({status}) needs at least one line",
                    "give address_line_1 (and more lines and the postcode where known)",
                )
            for name, what in (("address_status_date", "a date"), ("left_england_destination", "a destination")):
                if row.given(name):
                    row.problem(
                        name,
                        "CSV-COMBINATION",
                        f"{what} goes with address_status no-known-address or left-england, not {status}",
                        f"empty {name}, or correct address_status",
                    )
            return
        address_given = [n for n in [*(f"address_line_{k}" for k in range(1, 6)), "postcode"] if row.given(n)]
        for name in address_given:
            row.problem(
                name,
                "CSV-COMBINATION",
                f"address_status is {status}: the row cannot give an address too",
                "empty the address columns, or set address_status to current or last-known",
            )
        if status == "no-known-address" and row.given("left_england_destination"):
            row.problem(
                "left_england_destination",
                "CSV-COMBINATION",
                "a destination goes with address_status left-england",
                "empty left_england_destination, or set address_status to left-england",
            )

    def _check_contact(self, row: Row) -> None:
        practitioner, team = row.given("practitioner_id"), row.given("team_id")
        if practitioner and team:
            row.problem(
                "team_id",
                "CSV-COMBINATION",
                "an involvement names a practitioner or a team to contact, not both",
                "empty team_id (or practitioner_id and its name and role)",
            )
        elif not practitioner and not team:
            row.problem(
                "practitioner_id",
                "CSV-REQUIRED",
                "an involvement needs someone to contact",
                "give practitioner_id (with the practitioner's names and role), or team_id (with team_name)",
            )
        if practitioner:
            row.require(
                ("practitioner_given_names", "practitioner_family_name", "practitioner_role"), "with practitioner_id"
            )
        elif team:
            row.require(("team_name",), "with team_id")
            for name in ("practitioner_given_names", "practitioner_family_name", "practitioner_role"):
                if row.given(name):
                    row.problem(
                        name,
                        "CSV-COMBINATION",
                        "a practitioner's details with no practitioner_id",
                        "give practitioner_id (and empty team_id), or empty this column",
                    )
        if not row.given("contact_telephone") and not row.given("contact_email"):
            row.problem(
                "contact_telephone",
                "CSV-REQUIRED",
                "ContactPoint shows whom to contact: a telephone number or an e-mail address is needed",
                "give contact_telephone, contact_email, or both",
            )
        if row.given("sensitive_basis") and not row.given("sensitive_service"):
            row.problem(
                "sensitive_basis",
                "CSV-COMBINATION",
                "a basis is stated only for a sensitive service",
                "empty sensitive_basis, or give sensitive_service",
            )

    def child(self, row: Row) -> dict[str, Any]:
        """The child the row is about, as the model's data (every check passed)."""
        v = row.values
        former = []
        if "former_family_name" in v:
            former.append({"given_names": v["former_given_names"], "family_name": v["former_family_name"]})
        parents = []
        for slot in PARENT_SLOTS:
            prefix = f"parent{slot}_"
            if f"{prefix}given_names" not in v:
                continue
            telephone, email = v.get(f"{prefix}telephone"), v.get(f"{prefix}email")
            parents.append(
                {
                    "name": {"given_names": v[f"{prefix}given_names"], "family_name": v[f"{prefix}family_name"]},
                    "relationship": v[f"{prefix}relationship"],
                    "has_parental_responsibility": v[f"{prefix}parental_responsibility"],
                    "contact": {"telephone": telephone, "email": email} if telephone or email else None,
                }
            )
            row.parent_slots.append(slot)
        return {
            "identifiers": {
                "local_id": v["local_id"],
                "nhs_number": v.get("nhs_number"),
                "upn": v.get("upn"),
                "contactpoint_id": v.get("contactpoint_id"),
            },
            "name": {"given_names": v["given_names"], "family_name": v["family_name"]},
            "former_names": former,
            "date_of_birth": v.get("date_of_birth"),
            "expected_date_of_birth": v.get("expected_date_of_birth"),
            "gender": v["gender"],
            "parents_carers": parents,
            **self._location(row),
        }

    def _location(self, row: Row) -> dict[str, Any]:
        v = row.values
        status = v.get("address_status", "current")
        if status == "no-known-address":
            return {"no_known_address": {"recorded_on": v.get("address_status_date", self.now.date())}}
        if status == "left-england":
            return {
                "left_england": {
                    "left_on": v.get("address_status_date"),
                    "destination": v.get("left_england_destination"),
                }
            }
        row.address_lines = [n for n in range(1, 6) if f"address_line_{n}" in v]
        address = {"lines": [v[f"address_line_{n}"] for n in row.address_lines], "postcode": v.get("postcode")}
        return {"last_known_address" if status == "last-known" else "address": address}

    def involvement(self, row: Row) -> dict[str, Any]:
        """The involvement the row gives, without its end, as the model's data (every check passed)."""
        v = row.values
        organisation_id = v.get("organisation_id", self.sender.organisation_id)
        if "organisation_name" in v:
            organisation_name = v["organisation_name"]
        elif organisation_id == self.sender.organisation_id and self.sender.organisation_name:
            organisation_name = self.sender.organisation_name
        else:
            organisation_name = organisation_id
        organisation = {
            "organisation_id": organisation_id,
            "name": organisation_name,
            "agency_type": v["agency_type"],
            "la_code": v.get("la_code"),
        }
        contact = {"telephone": v.get("contact_telephone"), "email": v.get("contact_email")}
        involvement: dict[str, Any] = {
            "involvement_id": v["involvement_id"],
            "service": {
                "service_id": v["service_id"],
                "name": v["service_name"],
                "agency_type": v["agency_type"],
                "organisation": organisation,
                "sensitive": v.get("sensitive_service"),
            },
            "start_date": v["start_date"],
            "sensitive_basis": v.get("sensitive_basis"),
        }
        if "practitioner_id" in v:
            involvement["practitioner"] = {
                "practitioner_id": v["practitioner_id"],
                "name": {"given_names": v["practitioner_given_names"], "family_name": v["practitioner_family_name"]},
                "role": v["practitioner_role"],
                "organisation": organisation,
                "contact": contact,
            }
        else:
            involvement["team"] = {
                "team_id": v["team_id"],
                "name": v["team_name"],
                "organisation": organisation,
                "contact": contact,
            }
        return involvement

    def messages(self, row: Row) -> FeedMessage:
        """The row's message (and, for an ended involvement, the start to send if the directory lacks it)."""
        v = row.values
        child = self.child(row)

        def build(cls: type[M], message_type: MessageType, **content: Any) -> M:
            # Imported when used: the shared messaging layer brings SQLAlchemy and httpx (see the package docstring).
            from ...messaging import new_header

            header = new_header(message_type, self.sender, self.recipient, self.now)
            data = {"header": header, "child": child, **content}
            return _build(row, lambda: cls.model_validate(data), lambda path: self.column_of(row, path))

        if self.kind is FeedKind.CHILDREN:
            update = build(ChildIdentityUpdate, MessageType.CHILD_IDENTITY_UPDATE, died_on=v.get("died_on"))
            return FeedMessage(row.number, update)
        involvement = self.involvement(row)
        if "end_date" not in v:
            return FeedMessage(
                row.number, build(InvolvementStarted, MessageType.INVOLVEMENT_STARTED, involvement=involvement)
            )
        ended = build(
            InvolvementEnded,
            MessageType.INVOLVEMENT_ENDED,
            involvement_id=v["involvement_id"],
            start_date=v["start_date"],
            end_date=v["end_date"],
        )
        fallback = build(
            InvolvementStarted,
            MessageType.INVOLVEMENT_STARTED,
            involvement={**involvement, "end_date": v["end_date"]},
        )
        return FeedMessage(row.number, ended, fallback)

    def check_rules(self, row: Row, built: FeedMessage) -> None:
        """The project's business rules, on every message the row may send."""
        for message in (built.message, built.fallback):
            if message is None:
                continue
            for finding in run_rules(message):
                refused = finding.rule_id in _REFUSED_WARNINGS
                severity = Severity.ERROR if refused else finding.severity
                note = " (a feed never sends text that reads like case information, seed §5.2)" if refused else ""
                row.problem(
                    self.column_of(row, finding.path),
                    finding.rule_id,
                    finding.message + note,
                    finding.hint,
                    severity,
                )
