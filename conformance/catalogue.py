"""The requirement catalogue: `requirements.toml` read into `Requirement`s, and checked as it is read.

The catalogue is data (one place, read by the suite, its coverage command and the
documentation site). Reading it checks what a reader could get wrong: an ID used twice or of
the wrong form, an unknown profile, level, verification, flow, DOMAIN.md point or rule, an
attestation that does not say what to inspect, a not-applicable reason for a profile the
requirement does not bind.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

import attrs

from ics_interop.messages import MessageType
from ics_interop.rules import catalogue as rule_catalogue

__all__ = [
    "FLOWS",
    "LEVELS",
    "PROFILE_NAMES",
    "VERIFICATIONS",
    "CatalogueError",
    "DomainPoint",
    "Requirement",
    "domain_points",
    "parse_catalogue",
    "requirements",
]

#: The profiles a requirement may bind, as named on the command line.
PROFILE_NAMES = ("contactpoint", "ecaf", "ics", "feed-source")
#: The levels of a requirement (RFC 2119).
LEVELS = ("SHALL", "SHOULD", "MAY")
#: How a requirement is verified.
VERIFICATIONS = ("automated", "attestation", "not-applicable")
#: The flows of the standard (DOMAIN.md).
FLOWS = tuple(f"F{n}" for n in range(1, 11))

Verification = Literal["automated", "attestation", "not-applicable"]

_ID = re.compile(r"^(MSG|SEC|CP|ECAF|ICS|FEED)-R[0-9]{2}$")
_POINT_ID = re.compile(r"^D-[0-9]{2}$")


class CatalogueError(ValueError):
    """Raised when the requirement catalogue is malformed; the message lists every problem."""


@attrs.frozen
class DomainPoint:
    """A normative point of DOMAIN.md that the catalogue must cover."""

    id: str
    text: str


@attrs.frozen
class Requirement:
    """One requirement of the catalogue."""

    id: str
    level: str
    title: str
    text: str
    actors: tuple[str, ...]
    source: str
    verification: Verification
    inspect: str = ""
    not_applicable: Mapping[str, str] = attrs.field(factory=dict)
    flows: tuple[str, ...] = ()
    points: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    message_types: tuple[str, ...] = ()

    def binds(self, profile: str) -> bool:
        """Whether the requirement names `profile` among its actors."""
        return profile in self.actors

    def applies_to(self, profile: str) -> bool:
        """Whether the requirement binds `profile` and is not declared not applicable to it."""
        return self.binds(profile) and profile not in self.not_applicable and self.verification != "not-applicable"

    def verification_for(self, profile: str) -> Verification:
        """How the requirement is verified for `profile`."""
        if profile in self.not_applicable:
            return "not-applicable"
        return self.verification

    def to_dict(self) -> dict[str, Any]:
        """The requirement as JSON-ready data (as the catalogue states it)."""
        return {
            "id": self.id,
            "level": self.level,
            "title": self.title,
            "text": self.text,
            "actors": list(self.actors),
            "source": self.source,
            "verification": self.verification,
            "inspect": self.inspect,
            "notApplicable": dict(self.not_applicable),
            "flows": list(self.flows),
            "points": list(self.points),
            "rules": list(self.rules),
            "messageTypes": list(self.message_types),
        }


def _strings(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: expected a list of strings")
        return ()
    return tuple(value)


def _requirement(entry: Mapping[str, Any], points: set[str], problems: list[str]) -> Requirement | None:
    rid = entry.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        problems.append(
            f"requirement {rid!r}: the ID must look like MSG-R01, SEC-R01, CP-R01, ECAF-R01, ICS-R01 or FEED-R01"
        )
        return None
    where = f"requirement {rid}"
    missing = [
        key for key in ("level", "title", "text", "source", "verification") if not str(entry.get(key, "")).strip()
    ]
    if missing:
        problems.append(f"{where}: needs {', '.join(missing)}")
        return None
    actors = _strings(entry.get("actors"), f"{where}.actors", problems)
    not_applicable = entry.get("not_applicable", {})
    if not isinstance(not_applicable, dict) or not all(isinstance(v, str) for v in not_applicable.values()):
        problems.append(f"{where}.not_applicable: expected a table of profile = reason")
        not_applicable = {}
    requirement = Requirement(
        id=rid,
        level=entry["level"],
        title=entry["title"],
        text=entry["text"],
        actors=actors,
        source=entry["source"],
        verification=entry["verification"],
        inspect=str(entry.get("inspect", "")),
        not_applicable=dict(not_applicable),
        flows=_strings(entry.get("flows"), f"{where}.flows", problems),
        points=_strings(entry.get("points"), f"{where}.points", problems),
        rules=_strings(entry.get("rules"), f"{where}.rules", problems),
        message_types=_strings(entry.get("message_types"), f"{where}.message_types", problems),
    )
    if requirement.level not in LEVELS:
        problems.append(f"{where}: level {requirement.level!r} is not one of {', '.join(LEVELS)}")
    if requirement.verification not in VERIFICATIONS:
        problems.append(f"{where}: verification {requirement.verification!r} is not one of {', '.join(VERIFICATIONS)}")
    if not actors:
        problems.append(f"{where}: names no actor")
    problems.extend(f"{where}: {a!r} is not a profile" for a in actors if a not in PROFILE_NAMES)
    problems.extend(
        f"{where}.not_applicable: {p!r} is not one of its actors" for p in requirement.not_applicable if p not in actors
    )
    problems.extend(
        f"{where}.not_applicable: the reason for {p!r} is empty"
        for p, reason in requirement.not_applicable.items()
        if not reason.strip()
    )
    if requirement.verification == "attestation" and not requirement.inspect.strip():
        problems.append(f"{where}: an attestation must say what the tester inspects (inspect)")
    problems.extend(f"{where}: {f!r} is not a flow" for f in requirement.flows if f not in FLOWS)
    problems.extend(
        f"{where}: point {p!r} is not a [[point]] of the catalogue" for p in requirement.points if p not in points
    )
    known_rules = rule_catalogue()
    problems.extend(
        f"{where}: rule {r} is not in the rule catalogue" for r in requirement.rules if r not in known_rules
    )
    known_types = {t.value for t in MessageType}
    problems.extend(f"{where}: {t} is not a message type" for t in requirement.message_types if t not in known_types)
    return requirement


def parse_catalogue(text: str) -> tuple[list[Requirement], list[DomainPoint]]:
    """Read a catalogue from TOML text; raise `CatalogueError` listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"the requirement catalogue is not valid TOML: {exc}") from exc
    problems: list[str] = []
    found_points: list[DomainPoint] = []
    for entry in raw.get("point", []):
        pid, ptext = entry.get("id"), entry.get("text")
        if not isinstance(pid, str) or not _POINT_ID.match(pid) or not isinstance(ptext, str) or not ptext.strip():
            problems.append(f"point {pid!r}: needs an ID like D-01 and a text")
            continue
        found_points.append(DomainPoint(pid, ptext))
    point_ids = {p.id for p in found_points}
    found = [r for entry in raw.get("requirement", []) if (r := _requirement(entry, point_ids, problems)) is not None]
    for kind, ids in (("requirement", [r.id for r in found]), ("point", [p.id for p in found_points])):
        problems.extend(f"{kind} ID {i} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1}))
    if problems:
        raise CatalogueError("the requirement catalogue has problems:\n  " + "\n  ".join(problems))
    return found, found_points


@cache
def _load() -> tuple[tuple[Requirement, ...], tuple[DomainPoint, ...]]:
    text = resources.files("ics_interop.conformance").joinpath("requirements.toml").read_text("utf-8")
    found, points = parse_catalogue(text)
    return tuple(found), tuple(points)


def requirements() -> dict[str, Requirement]:
    """Every requirement of the catalogue, by ID, in catalogue order."""
    return {r.id: r for r in _load()[0]}


def domain_points() -> dict[str, DomainPoint]:
    """The normative points of DOMAIN.md the catalogue covers, by ID."""
    return {p.id: p for p in _load()[1]}
