"""What the story prints: plain text for a terminal, and ContactPoint's and National eCAF's screens as text."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from typing import TextIO

from ics_interop.model import CafEpisode, Practitioner

from ..contactpoint import DirectoryPractitioner, DirectoryRecord


class Page:
    """Plain text for a terminal: wrapped lines and tables, no colours."""

    width = 110

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def line(self, text: str = "", indent: int = 2) -> None:
        if not text:
            self.out.write("\n")
            return
        pad = " " * indent
        self.out.write(textwrap.fill(text, self.width, initial_indent=pad, subsequent_indent=pad + "  ") + "\n")

    def heading(self, number: int, title: str, when: str, seed: str) -> None:
        rule = "=" * self.width
        self.out.write(f"\n{rule}\nStep {number}. {title}\n{when}  ({seed})\n{rule}\n")

    def section(self, title: str) -> None:
        self.out.write(f"\n  {title}\n")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], *, indent: int = 4, cap: int = 40) -> None:
        """A table whose long cells wrap within their column."""
        widths = [min(cap, max([len(h)] + [len(r[i]) for r in rows])) for i, h in enumerate(headers)]
        pad = " " * indent

        def emit(cells: Sequence[str]) -> None:
            wrapped = [textwrap.wrap(cell, widths[i]) or [""] for i, cell in enumerate(cells)]
            for k in range(max(len(w) for w in wrapped)):
                parts = [(w[k] if k < len(w) else "").ljust(widths[i]) for i, w in enumerate(wrapped)]
                self.out.write((pad + "  ".join(parts)).rstrip() + "\n")

        emit(headers)
        self.out.write(pad + "  ".join("-" * w for w in widths) + "\n")
        for row in rows:
            emit(row)


def name_of(p: Practitioner | DirectoryPractitioner) -> str:
    return f"{p.name.given_names} {p.name.family_name}"


def phone_of(p: Practitioner | DirectoryPractitioner) -> str:
    return p.contact.telephone or "-"


def iso_day(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else "-"


def show_record(page: Page, record: DirectoryRecord) -> None:
    """A ContactPoint record as the practitioner's screen shows it: who the child is, and whom to contact."""
    page.line(
        f"{record.name.given_names} {record.name.family_name.upper()}    ContactPoint ID {record.contactpoint_id}", 6
    )
    page.line(f"born {iso_day(record.date_of_birth)}, {record.gender.label.lower()}", 6)
    if record.location_hidden:
        page.line("shielded: address, contacts and services withheld (a child-protection user may override)", 6)
    elif record.address is not None:
        parts = [*record.address.lines, *([record.address.postcode] if record.address.postcode else [])]
        page.line("address: " + ", ".join(parts), 6)
    for parent in record.parents_carers:
        responsibility = ", parental responsibility" if parent.has_parental_responsibility else ""
        telephone = parent.contact.telephone if parent.contact is not None and parent.contact.telephone else "-"
        page.line(
            f"parent/carer: {parent.name.given_names} {parent.name.family_name} "
            f"({parent.relationship.label.lower()}{responsibility}), tel. {telephone}",
            6,
        )
    if record.involvements:
        page.line("services involved:", 6)
        rows = []
        for inv in record.involvements:
            if inv.practitioner is not None:
                contact, telephone = (
                    f"{name_of(inv.practitioner)} ({inv.practitioner.role})",
                    phone_of(inv.practitioner),
                )
            elif inv.team is not None:
                contact, telephone = inv.team.name, inv.team.contact.telephone or "-"
            else:
                contact, telephone = "-", "-"
            ended = (
                "-" if inv.end_date is None else f"{iso_day(inv.end_date)} (listed until {iso_day(inv.visible_until)})"
            )
            rows.append(
                [
                    inv.service_name,
                    inv.organisation_name or "-",
                    contact,
                    telephone,
                    iso_day(inv.start_date),
                    ended,
                ]
            )
        page.table(["service", "organisation", "contact", "telephone", "started", "ended"], rows, indent=8, cap=28)
    else:
        page.line("services involved: none listed", 6)
    if record.caf_indicators:
        page.line("CAF: a common assessment exists (ContactPoint never holds the CAF itself)", 6)
        page.table(
            ["recorded by", "updated", "completed or updated by", "telephone", "email"],
            [
                [
                    c.recorded_by,
                    iso_day(c.updated_on),
                    name_of(c.completed_by),
                    phone_of(c.completed_by),
                    c.completed_by.contact.email or "-",
                ]
                for c in record.caf_indicators
            ],
            indent=8,
        )
    else:
        page.line("CAF: none recorded", 6)
    lead = record.lead_professional
    page.line(
        f"lead professional: {name_of(lead)} ({lead.role}), tel. {phone_of(lead)}"
        if lead
        else "lead professional: none",
        6,
    )


def _member_names(episode: CafEpisode) -> dict[str, str]:
    """Practitioners' names by ID: the TAC's members, and the assessor (who may not have joined the TAC yet)."""
    known = [m.practitioner for m in episode.tac_members]
    if episode.assessment is not None:
        known.append(episode.assessment.assessor)
    return {p.practitioner_id: name_of(p) for p in known}


def show_episode(page: Page, episode: CafEpisode, *, full: bool = False) -> None:
    """A CAF episode as National eCAF shows it to a practitioner with consent (`full`: its conclusions and ledger)."""
    names = _member_names(episode)
    page.line(
        f"episode {episode.episode_id}: {episode.status.label.lower()} since {iso_day(episode.opened_on)}; "
        f"responsibility: {episode.responsibility.label}",
        6,
    )
    if episode.assessment is not None:
        conclusions = f": {episode.assessment.conclusions}" if full and episode.assessment.conclusions else ""
        page.line(
            f"common assessment of {iso_day(episode.assessment.assessment_date)} by "
            f"{name_of(episode.assessment.assessor)}{conclusions}",
            6,
        )
    if full:
        page.line("consent ledger:", 6)
        page.table(
            ["consent", "decision", "given by", "for", "recorded"],
            [
                [
                    c.consent_id,
                    c.decision.label.lower(),
                    c.given_by.label.lower()
                    + (f" ({c.given_by_name.given_names} {c.given_by_name.family_name})" if c.given_by_name else ""),
                    names.get(c.practitioner_id or "", c.practitioner_id or c.organisation_id or "-"),
                    iso_day(c.recorded_on),
                ]
                for c in episode.consents
            ],
            indent=8,
        )
    if episode.tac_members:
        lead = episode.lead_professional
        page.line("Team Around the Child:", 6)
        page.table(
            ["member", "role", "organisation", "joined", "lead professional"],
            [
                [
                    name_of(m.practitioner),
                    m.practitioner.role,
                    m.practitioner.organisation.name,
                    iso_day(m.joined_on),
                    f"since {iso_day(lead.appointed_on)}"
                    if lead is not None and lead.practitioner_id == m.practitioner.practitioner_id
                    else "",
                ]
                for m in episode.tac_members
            ],
            indent=8,
            cap=44,
        )
    if episode.actions:
        page.line("actions agreed (who, what, by when):", 6)
        page.table(
            ["who", "what", "by", "done"],
            [
                [names.get(a.owner_id, a.owner_id), a.description, iso_day(a.due_on), iso_day(a.completed_on)]
                for a in episode.actions
            ],
            indent=8,
            cap=60,
        )
    for review in episode.reviews:
        page.line(
            f"review of {iso_day(review.review_date)} (next {iso_day(review.next_review_on)}): {review.summary}", 6
        )
    if episode.shared_with:
        page.line("shared with: " + ", ".join(names.get(p, p) for p in episode.shared_with), 6)
