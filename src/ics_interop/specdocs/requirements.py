"""The conformance suite's requirement catalogue, and the page that shows what verifies each requirement."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs

from ..messages import MESSAGE_CLASSES
from ..rules import catalogue
from . import markdown as md
from .sources import REQUIREMENTS_FILE, CoverageMap, SiteBuildError, read_toml, strings


@attrs.frozen
class Requirement:
    """A requirement of the conformance suite, as its catalogue states it."""

    id: str
    text: str
    title: str = ""
    level: str = ""
    actors: tuple[str, ...] = ()
    source: str = ""
    rules: tuple[str, ...] = ()
    message_types: tuple[str, ...] = ()
    verification: str = ""
    not_applicable: tuple[tuple[str, str], ...] = ()  # (profile, reason)
    inspect: str = ""


#: Requirement ID -> profile -> the IDs of the conformance checks that verify it there.


def load_requirements(path: Path) -> list[Requirement] | None:
    """Read the conformance suite's requirement catalogue, or None while it does not exist.

    The catalogue is TOML: an array of tables `[[requirement]]`, each with `id` and `text`
    (or `statement`), and optionally `title`, `level` (SHALL, SHOULD...), `actors`, `source`,
    `rules` (rule IDs) and `message_types`. Other keys are ignored.
    """
    if not path.is_file():
        return None
    raw = read_toml(path)
    entries = raw.get("requirement", raw.get("requirements", []))
    if not isinstance(entries, list):
        raise SiteBuildError(f"{path}: expected an array of tables [[requirement]]")
    known_types = {t.value for t in MESSAGE_CLASSES}
    rules = catalogue()
    found: list[Requirement] = []
    problems: list[str] = []
    for entry in entries:
        rid = entry.get("id", "")
        text = entry.get("text") or entry.get("statement") or entry.get("description") or ""
        if not rid or not text:
            problems.append(f"requirement {rid or '(no id)'}: needs an id and a text")
            continue
        where = f"requirement {rid}"
        requirement = Requirement(
            id=rid,
            text=text,
            title=entry.get("title", ""),
            level=entry.get("level", ""),
            actors=strings(entry.get("actors", entry.get("actor")), where),
            source=entry.get("source", ""),
            rules=strings(entry.get("rules"), where),
            message_types=strings(entry.get("message_types"), where),
            verification=entry.get("verification", ""),
            not_applicable=tuple(sorted((str(k), str(v)) for k, v in dict(entry.get("not_applicable", {})).items())),
            inspect=entry.get("inspect", ""),
        )
        problems.extend(f"{where}: rule {r} is not in the rule catalogue" for r in requirement.rules if r not in rules)
        problems.extend(
            f"{where}: {t} is not a message type" for t in requirement.message_types if t not in known_types
        )
        found.append(requirement)
    ids = [r.id for r in found]
    problems.extend(f"requirement ID {i} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1}))
    if problems:
        raise SiteBuildError(f"{path}:\n  " + "\n  ".join(problems))
    return found


def _profile_table(profile: str, requirements: Sequence[Requirement], coverage: CoverageMap | None) -> str:
    rows = []
    for r in requirements:
        reasons = dict(r.not_applicable)
        if profile not in r.actors and profile not in reasons:
            continue
        if profile in reasons:
            how, checks = "not applicable: " + md.text(reasons[profile]), ""
        elif r.verification == "attestation":
            how, checks = "attestation: " + md.text(r.inspect), ""
        else:
            how = r.verification or "automated"
            found = (coverage or {}).get(r.id, {}).get(profile, ())
            checks = ", ".join(md.code(c) for c in found) if coverage is not None else ""
            if coverage is not None and not found:
                checks = "**none**"
        rows.append(
            [f"[{md.text(r.id)}](#{md.anchor(r.id)})", md.text(r.level), md.text(r.title or r.text[:80]), how, checks]
        )
    if not rows:
        return ""
    return f"\n### Profile `{profile}`\n\n" + md.fit(
        md.table(["Requirement", "Level", "What", "Verified by", "Conformance checks"], rows)
    )


def requirements_page(requirements: Sequence[Requirement] | None, coverage: CoverageMap | None = None) -> str:
    """The requirement catalogue page, or a note that it is not yet published.

    With `coverage` (from the conformance suite), a matrix per profile shows the checks that
    verify each automated requirement.
    """
    out = ["# Requirements\n\n"]
    if requirements is None:
        out.append(
            '!!! note "Not yet published"\n'
            "    The requirement catalogue of the conformance suite is not yet published. Accreditation "
            "(seed §5.1) tests a system against a specified set of requirements; once the conformance suite "
            f"publishes them in `{REQUIREMENTS_FILE}`, this page lists them, requirement by requirement, "
            "the next time the site is built.\n\n"
            "Until then, the [rule catalogue](rules.md) states what the validator checks on each message, and "
            "[the seed's statements](seed-statements.md) say where the standard meets each statement of the seed.\n"
        )
        return "".join(out)
    out = [md.WIDE, *out, md.generated_note(f"the conformance suite's requirement catalogue, `{REQUIREMENTS_FILE}`,")]
    out.append("The requirements an implementation is tested against for accreditation (seed §5.1).\n\n")
    rows = [
        [
            f'<a id="{md.anchor(r.id)}"></a>**{md.text(r.id)}**',
            md.text(r.level),
            (f"**{md.text(r.title)}.** " if r.title else "") + md.text(r.text),
            md.text(", ".join(r.actors)),
            md.text(r.source),
            ", ".join(f"[{x}](rules.md#{md.rule_anchor(x)})" for x in r.rules),
            ", ".join(md.message_link(t, "") for t in r.message_types),
        ]
        for r in requirements
    ]
    out.append("## By profile: what verifies each requirement\n\n")
    out.append(
        "A vendor declares the profiles its system implements. For each, every requirement is verified by the "
        "conformance checks named (automated), inspected by the tester (attestation), or declared not applicable "
        "with the reason. `ics-interop conformance coverage` prints the same matrix and fails when an automated "
        "requirement has no check.\n"
    )
    profiles = sorted(
        {a for r in requirements for a in r.actors} | {p for r in requirements for p, _ in r.not_applicable}
    )
    for profile in profiles:
        out.append(_profile_table(profile, requirements, coverage))
    out.append("\n## The catalogue\n\n")
    out.append(md.fit(md.table(["ID", "Level", "Requirement", "Actors", "Source", "Rules", "Message types"], rows)))
    return "".join(out)
