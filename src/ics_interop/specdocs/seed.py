"""The seed's statements (`docs/seed-statements.toml`) and the rules or requirements that carry each one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import attrs

from ..messages import MESSAGE_CLASSES
from ..rules import Rule
from . import markdown as md
from .sources import REQUIREMENTS_FILE, SiteBuildError, read_toml, strings


@attrs.frozen
class SeedStatement:
    """A normative statement of the seed, and where the standard meets it."""

    id: str
    section: str
    statement: str
    rules: tuple[str, ...] = ()
    message_types: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    note: str = ""


def load_seed_statements(
    path: Path, rules: Mapping[str, Rule], requirement_ids: Iterable[str] | None
) -> list[SeedStatement]:
    """Read `docs/seed-statements.toml`; every rule ID and message type it names must exist.

    Requirement IDs are checked once the requirement catalogue exists (`requirement_ids` is not None).
    """
    raw = read_toml(path)
    statements: list[SeedStatement] = []
    problems: list[str] = []
    known_types = {t.value for t in MESSAGE_CLASSES}
    known_requirements = None if requirement_ids is None else set(requirement_ids)
    for entry in raw.get("statement", []):
        sid = entry.get("id", "")
        where = f"statement {sid or '(no id)'}"
        missing = [k for k in ("id", "section", "statement") if not entry.get(k)]
        if missing:
            problems.append(f"{where}: {', '.join(missing)} missing")
            continue
        statement = SeedStatement(
            id=sid,
            section=entry["section"],
            statement=entry["statement"],
            rules=strings(entry.get("rules"), where),
            message_types=strings(entry.get("message_types"), where),
            requirements=strings(entry.get("requirements"), where),
            note=entry.get("note", ""),
        )
        problems.extend(f"{where}: rule {r} is not in the rule catalogue" for r in statement.rules if r not in rules)
        problems.extend(f"{where}: {t} is not a message type" for t in statement.message_types if t not in known_types)
        if known_requirements is not None:
            problems.extend(
                f"{where}: requirement {r} is not in {REQUIREMENTS_FILE}"
                for r in statement.requirements
                if r not in known_requirements
            )
        statements.append(statement)
    ids = [s.id for s in statements]
    problems.extend(f"statement ID {i} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1}))
    if problems:
        raise SiteBuildError(f"{path}:\n  " + "\n  ".join(problems))
    return statements


def seed_statements_page(statements: Sequence[SeedStatement], requirements_published: bool) -> str:
    """The seed's statements, and where each is met."""
    out = [
        md.WIDE,
        "# The seed's statements\n\n",
        md.generated_note("`docs/seed-statements.toml`, checked against the rule catalogue and the message types,"),
    ]
    out.append(
        "The standard starts from the DCSF guidance note *The Integrated Children's System (ICS) and "
        "'interoperability'* (the seed). Each normative statement it makes is listed here, quoted or "
        "paraphrased, with where the standard meets it: the business rules that check it, the message types "
        "that carry it and the requirements of the conformance suite that test it.\n\n"
    )
    if not requirements_published:
        out.append(
            '!!! note "Requirements to come"\n    The conformance suite\'s requirement catalogue is not yet '
            "published; the requirement column fills in when it is (see [Requirements](requirements.md)).\n\n"
        )
    rows = []
    for s in statements:
        if s.requirements and requirements_published:
            reqs = ", ".join(f"[{r}](requirements.md#{md.anchor(r)})" for r in s.requirements)
        elif s.requirements:
            reqs = ", ".join(md.code(r) for r in s.requirements) + " (to come)"
        else:
            reqs = "to come" if not requirements_published else ""
        rows.append(
            [
                f'<a id="{md.anchor(s.id)}"></a>**{s.id}**',
                md.text(s.section),
                md.text(s.statement) + (f"<br>*{md.text(s.note)}*" if s.note else ""),
                ", ".join(f"[{r}](rules.md#{md.rule_anchor(r)})" for r in s.rules),
                ", ".join(md.message_link(t, "") for t in s.message_types),
                reqs,
            ]
        )
    out.append(md.fit(md.table(["ID", "Seed", "Statement", "Rules", "Message types", "Requirements"], rows)))
    return "".join(out)
