"""The specification site, generated from the standard itself.

Every table the site shows about the standard (the data dictionary of each message type,
the code sets, the rule catalogue, the flows, the seed's statements, the requirement
catalogue and the schema downloads) is written here, from the models, the rule catalogue
and the shipped schemas and examples, when the site is built. Nothing is copied by hand,
so the site cannot drift from the code.

The functions are pure: each takes what it reads and returns Markdown. The MkDocs hook
(`docs/hooks/generate.py`) only calls `site_pages` and `schema_downloads`. Whatever the
standard's own data gets wrong (an example its schema rejects, a seed statement naming a
rule that does not exist, a flow whose diagram disagrees with the message classes) raises
`SiteBuildError`, which stops the build with a message saying what to fix.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import textwrap
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import attrs
from lxml import etree

from .codecs import NAMESPACE, from_json, from_xml
from .errors import IcsInteropError
from .examples import example_messages, social_care_involvement_started
from .findings import Severity
from .messages import MESSAGE_CLASSES, Message, MessageType
from .model._base import CodeSet, IcsModel
from .model.codes import SystemKind
from .rules import Rule, catalogue, run_rules
from .schemagen import EXAMPLES_FOLDER, XSD_FILE, json_schema_validator, version_folder
from .shape import FieldShape, shape_of, walk_models

__all__ = [
    "REQUIREMENTS_FILE",
    "DictionaryRow",
    "Flow",
    "FlowParticipant",
    "FlowStep",
    "Requirement",
    "SeedStatement",
    "SiteBuildError",
    "SiteSources",
    "check_example",
    "check_examples",
    "code_sets_page",
    "code_sets_used",
    "data_dictionary",
    "data_dictionary_table",
    "downloads_page",
    "flows_page",
    "hannah_story_page",
    "is_census_code_set",
    "load_flows",
    "load_requirements",
    "load_seed_statements",
    "message_index_page",
    "message_page",
    "requirements_page",
    "rules_page",
    "schema_downloads",
    "seed_statements_page",
    "sequence_diagram",
    "site_pages",
]

#: Where the requirement catalogue of the conformance suite is, relative to the repository.
REQUIREMENTS_FILE = "conformance/requirements.toml"


class SiteBuildError(ValueError):
    """The standard's data disagrees with itself, so the site is not built (the message says what to fix)."""


@attrs.frozen
class SiteSources:
    """Where the data the site is generated from lives."""

    docs_dir: Path  # holds flows.toml and seed-statements.toml
    requirements_file: Path  # the conformance suite's requirement catalogue; may not exist yet
    schemas_root: Path  # the `schemas/` folder: one sub-folder per major version
    coverage: CoverageMap | None = None  # from the conformance suite, when the build can read it


# --- Markdown helpers ---------------------------------------------------------------------------


def _text(value: str) -> str:
    """Plain text for a Markdown table cell: no raw HTML, no column breaks, one line."""
    return html.escape(" ".join(value.split()), quote=False).replace("|", "\\|")


def _code(value: str) -> str:
    """A code span (a `|` inside one does not break a table row)."""
    fence = "``" if "`" in value else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines) + "\n"


def _fit(table: str) -> str:
    """A wide table, marked so that the site's stylesheet fits it to the page."""
    return f'<div class="ics-fit" markdown>\n\n{table}\n</div>\n'


def _summary(doc: str | None) -> str:
    """The first paragraph of a docstring, on one line."""
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def _anchor(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def _rule_anchor(rule_id: str) -> str:
    return "rule-" + _anchor(rule_id)


#: Front matter of a page whose tables need the whole width: no table of contents beside them.
_WIDE = "---\nhide:\n  - toc\n---\n\n"


def _generated_note(source: str) -> str:
    return (
        '!!! info "Generated"\n'
        f"    This page is generated from {source} when the site is built: do not edit it by hand.\n\n"
    )


# --- the data dictionary ------------------------------------------------------------------------


@attrs.frozen
class DictionaryRow:
    """One element of a message: a nested element or a leaf, at its dotted JSON path."""

    path: str
    depth: int
    json_name: str
    xml_name: str
    cardinality: str
    type_name: str
    code_set: type[CodeSet] | None
    constraints: tuple[str, ...]
    definition: str
    is_nested: bool


def _length(minimum: int | None, maximum: int | None) -> str | None:
    if minimum is not None and minimum == maximum:
        return f"exactly {minimum} characters"
    if minimum is not None and maximum is not None:
        return f"{minimum} to {maximum} characters"
    if maximum is not None:
        return f"at most {maximum} characters"
    if minimum:
        return f"at least {minimum} characters"
    return None


def _constraints(shape: FieldShape, owner: type[IcsModel]) -> tuple[str, ...]:
    found: list[str] = []
    simple = shape.simple
    if simple is not None:
        if simple.base == "dateTime":
            found.append("a date and time with its offset from UTC, " + _code("2010-03-01T09:30:00Z"))
        if simple.pattern and not simple.xml_chars_only:
            found.append("pattern " + _code(simple.pattern))
        length = _length(simple.min_length, simple.max_length)
        if length:
            found.append(length)
        if simple.min_value is not None:
            found.append(f"at least {simple.min_value}")
        if simple.max_value is not None:
            found.append(f"at most {simple.max_value}")
    elif shape.kind == "date":
        found.append("a date, " + _code("YYYY-MM-DD"))
    if shape.choice_group is not None:
        group = owner.choice_groups[shape.choice_group]
        names = ", ".join(_code(s.json) for s in shape_of(owner) if s.name in group)
        found.append(f"exactly one of {names}")
    return tuple(found)


def data_dictionary(cls: type[IcsModel]) -> list[DictionaryRow]:
    """Every element of a model, nested models walked depth first: one row per nested element and per leaf.

    A path is the dotted JSON path; below a list, `[]` stands for any one item (`episode.tacMembers[].role`).
    """
    rows: list[DictionaryRow] = []

    def walk(model: type[IcsModel], prefix: str, depth: int, ancestors: tuple[type[IcsModel], ...]) -> None:
        if model in ancestors:  # a model that contains itself would never end; v1 has none
            raise SiteBuildError(f"{model.__name__} contains itself: the data dictionary cannot be written")
        for shape in shape_of(model):
            path = prefix + shape.json
            rows.append(
                DictionaryRow(
                    path=path,
                    depth=depth,
                    json_name=shape.json,
                    xml_name=shape.xml,
                    cardinality=shape.cardinality,
                    type_name=shape.type_name,
                    code_set=shape.enum,
                    constraints=_constraints(shape, model),
                    definition=shape.description,
                    is_nested=shape.model is not None,
                )
            )
            if shape.model is not None:
                walk(shape.model, path + ("[]." if shape.is_list else "."), depth + 1, (*ancestors, model))

    walk(cls, "", 0, ())
    return rows


def data_dictionary_table(cls: type[IcsModel]) -> str:
    """The data dictionary of a model as a Markdown table."""
    rows = []
    for row in data_dictionary(cls):
        # A path may break after a dot, and only there; list markers are escaped so they are not read as links.
        path = (
            "<code>"
            + ".<wbr>".join(html.escape(p).replace("[]", "&#91;&#93;") for p in row.path.split("."))
            + "</code>"
        )
        if row.is_nested:
            path = f"<strong>{path}</strong>"
        type_name = row.type_name
        if row.code_set is not None:
            type_name = f"[{type_name}](../code-sets.md#{_anchor(type_name)}) (code list)"
        rows.append(
            [
                path,
                row.cardinality,
                type_name,
                "; ".join(row.constraints),
                _text(row.definition),
                _code(row.xml_name),
                _code(row.json_name),
            ]
        )
    header = ["Path (JSON)", "Cardinality", "Type", "Constraints", "Definition", "XML name", "JSON name"]
    return _table(header, rows)


# --- code sets ----------------------------------------------------------------------------------

_CENSUS = re.compile(r"Children in Need census|CIN census")


def is_census_code_set(code_set: type[CodeSet]) -> bool:
    """Whether the code set's own documentation says it is taken from the Children in Need census."""
    return bool(_CENSUS.search(code_set.__doc__ or ""))


def code_sets_used() -> dict[type[CodeSet], list[str]]:
    """Every code set the messages use, in the order first met, with the fields (`Model.jsonName`) using it."""
    used: dict[type[CodeSet], list[str]] = {}
    for model in walk_models(MESSAGE_CLASSES.values()):
        for shape in shape_of(model):
            if shape.enum is not None:
                used.setdefault(shape.enum, []).append(f"{model.__name__}.{shape.json}")
    return used


def code_sets_page() -> str:
    """The code sets page: every code set the messages use, its codes and labels."""
    used = code_sets_used()
    out = ["# Code sets\n\n", _generated_note("the code sets of `ics_interop.model.codes` and the messages")]
    out.append(
        "A code travels on the wire, in XML and JSON alike; the label is what a person reads. "
        "Where the Children in Need census already defines a set, the standard uses the census's "
        "codes and labels, so an authority's existing data needs no translation: those sets are marked "
        "**CIN census** below.\n\n"
    )
    summary = [
        [
            f"[{cls.__name__}](#{_anchor(cls.__name__)})",
            "CIN census" if is_census_code_set(cls) else "the standard's own",
            str(len(cls)),
            _text(_summary(cls.__doc__)),
        ]
        for cls in used
    ]
    out.append(_table(["Code set", "Source", "Codes", "What it is"], summary))
    for cls, fields in used.items():
        out.append(f"\n## {cls.__name__} {{#{_anchor(cls.__name__)}}}\n\n")
        out.append(_text(_summary(cls.__doc__)) + "\n\n")
        if is_census_code_set(cls):
            out.append("**CIN census**: the codes and labels of the Children in Need census.\n\n")
        out.append("Used by: " + ", ".join(_code(f) for f in fields) + ".\n\n")
        out.append(
            _table(["Code", "Label", "Python name"], ([_code(m.value), _text(m.label), _code(m.name)] for m in cls))
        )
    return "".join(out)


# --- rules --------------------------------------------------------------------------------------


def _message_link(name: str, prefix: str) -> str:
    return f"[{name}]({prefix}messages/{name}.md)"


def _applies_to(rule: Rule, prefix: str) -> str:
    if "*" in rule.applies_to:
        return "every message type"
    return ", ".join(_message_link(name, prefix) for name in rule.applies_to)


def rules_page(rules: Mapping[str, Rule]) -> str:
    """The rule catalogue page: one row per rule, in catalogue order."""
    out = [_WIDE, "# Rule catalogue\n\n", _generated_note("the rule catalogue, `src/ics_interop/rules/catalogue.toml`")]
    out.append(
        "What a schema cannot say. Every rule has a stable ID: a rule may be reworded, never renumbered, "
        "and a withdrawn rule's ID is not reused. An **error** rejects a message; a **warning** is reported "
        "and the message is accepted. Rules *checked by the validator* are checked on the message alone "
        "(`ics-interop validate`, `ics_interop.validate_message`); rules *checked by the receiver* need the "
        "receiving system's state, and a receiver reports them with this ID in its acknowledgement.\n\n"
    )
    rows = [
        [
            f'<a id="{_rule_anchor(rule.id)}"></a>**{rule.id}**',
            rule.severity.value,
            f"**{_text(rule.title)}.** {_text(rule.text)}",
            _text(rule.hint),
            _text(rule.source),
            _applies_to(rule, ""),
            rule.checked_by,
        ]
        for rule in rules.values()
    ]
    out.append(
        _fit(_table(["ID", "Severity", "Rule", "How to fix a failure", "Source", "Applies to", "Checked by"], rows))
    )
    return "".join(out)


# --- flows --------------------------------------------------------------------------------------

_PARTICIPANT_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_MERMAID_WORDS = frozenset({"end", "participant", "actor", "loop", "alt", "else", "opt", "par", "and", "note"})


@attrs.frozen
class FlowParticipant:
    """A system taking part in a flow; `system` is a SystemKind code, or empty for any system."""

    id: str
    label: str
    system: str = ""


@attrs.frozen
class FlowStep:
    """A message sent from one participant to another, or (with no message) a note over participants."""

    sender: str = ""
    receiver: str = ""
    message: str = ""
    text: str = ""
    note: str = ""
    over: tuple[str, ...] = ()


@attrs.frozen
class Flow:
    """One flow of the standard (F1–F10): who takes part, and the messages they exchange."""

    id: str
    title: str
    seed: str
    summary: str
    participants: tuple[FlowParticipant, ...]
    steps: tuple[FlowStep, ...]

    def participant(self, participant_id: str) -> FlowParticipant:
        """The participant with this ID."""
        for participant in self.participants:
            if participant.id == participant_id:
                return participant
        raise KeyError(participant_id)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise SiteBuildError(f"{path} is missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise SiteBuildError(f"{path} is not valid TOML: {exc}") from None


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise SiteBuildError(f"{where}: expected a string or a list of strings, got {value!r}")


def load_flows(path: Path) -> list[Flow]:
    """Read the data description of the flows (`docs/flows.toml`) and check it against the message classes.

    Every flow a message class names has an entry; every step's message type exists, serves that
    flow and may be sent to the receiving participant's kind of system; and every message type
    appears in a step of each flow it serves.
    """
    raw = _read_toml(path)
    flows: list[Flow] = []
    problems: list[str] = []
    kinds = {k.value for k in SystemKind}
    for entry in raw.get("flow", []):
        fid = entry.get("id", "?")
        participants = tuple(
            FlowParticipant(id=p.get("id", ""), label=p.get("label", ""), system=p.get("system", ""))
            for p in entry.get("participant", [])
        )
        steps = tuple(
            FlowStep(
                sender=s.get("from", ""),
                receiver=s.get("to", ""),
                message=s.get("message", ""),
                text=s.get("text", ""),
                note=s.get("note", ""),
                over=_strings(s.get("over"), f"{path}: flow {fid}"),
            )
            for s in entry.get("step", [])
        )
        flow = Flow(
            id=fid,
            title=entry.get("title", ""),
            seed=entry.get("seed", ""),
            summary=entry.get("summary", ""),
            participants=participants,
            steps=steps,
        )
        flows.append(flow)
        ids = [p.id for p in participants]
        if len(set(ids)) != len(ids):
            problems.append(f"flow {fid}: two participants share an ID")
        for p in participants:
            if not p.label:
                problems.append(f"flow {fid}: participant {p.id!r} has no label")
            if not _PARTICIPANT_ID.match(p.id) or p.id.lower() in _MERMAID_WORDS:
                problems.append(
                    f"flow {fid}: participant ID {p.id!r} must be letters, digits and '_', not a Mermaid word"
                )
            if p.system and p.system not in kinds:
                problems.append(f"flow {fid}: participant {p.id} has system {p.system!r}, not one of {sorted(kinds)}")
        for step in steps:
            named = [*([step.sender, step.receiver] if step.message else []), *step.over]
            problems.extend(f"flow {fid}: a step names participant {n!r}, not declared" for n in named if n not in ids)
            if not step.message:
                if not step.note:
                    problems.append(f"flow {fid}: a step has neither a message nor a note")
                continue
            try:
                cls = MESSAGE_CLASSES[MessageType(step.message)]
            except ValueError:
                problems.append(f"flow {fid}: {step.message!r} is not a message type")
                continue
            if fid not in cls.flows:
                problems.append(f"flow {fid}: {step.message} serves {', '.join(cls.flows)}, not {fid}")
            if step.receiver in ids:
                system = flow.participant(step.receiver).system
                if system and SystemKind(system) not in cls.recipients:
                    allowed = ", ".join(sorted(k.value for k in cls.recipients))
                    problems.append(f"flow {fid}: {step.message} may be sent to {allowed}, not to {system}")
    declared = {f.id for f in flows}
    if len(declared) != len(flows):
        problems.append("two flows share an ID")
    for message_type, cls in MESSAGE_CLASSES.items():
        for fid in cls.flows:
            if fid not in declared:
                problems.append(f"flow {fid} (served by {message_type.value}) has no entry")
                continue
            flow = next(f for f in flows if f.id == fid)
            if not any(s.message == message_type.value for s in flow.steps):
                problems.append(f"flow {fid}: {message_type.value} serves it but appears in no step")
    if problems:
        raise SiteBuildError(f"{path} disagrees with the message classes:\n  " + "\n  ".join(problems))
    return sorted(flows, key=lambda f: int(f.id[1:]) if f.id[1:].isdigit() else 0)


def _mermaid_text(value: str) -> str:
    # In a sequence diagram ';' ends a statement and '#' starts an entity code.
    return " ".join(value.split()).replace(";", ",").replace("#", "No.")


def _mermaid_label(value: str, width: int = 24) -> str:
    """A participant's label, wrapped into lines of about `width` characters so the diagram stays narrow."""
    return "<br>".join(textwrap.wrap(_mermaid_text(value), width))


def sequence_diagram(flow: Flow) -> str:
    """The Mermaid sequence diagram of a flow, as a fenced block."""
    lines = ["```mermaid", "sequenceDiagram"]
    lines.extend(f"    participant {p.id} as {_mermaid_label(p.label)}" for p in flow.participants)
    for step in flow.steps:
        if step.message:
            text = step.message + (f" ({_mermaid_text(step.text)})" if step.text else "")
            lines.append(f"    {step.sender}->>{step.receiver}: {text}")
        else:
            lines.append(f"    Note over {','.join(step.over)}: {_mermaid_text(step.note)}")
    lines.append("```")
    return "\n".join(lines) + "\n"


def _kind_labels(kinds: Iterable[SystemKind]) -> str:
    return ", ".join(k.label for k in SystemKind if k in set(kinds))


def flows_page(flows: Sequence[Flow]) -> str:
    """The flows page: a sequence diagram and a table of messages for each flow F1–F10."""
    out = ["# Flows\n\n", _generated_note("`docs/flows.toml`, checked against the message classes,")]
    out.append(
        "Each flow of the standard is a message, or a pair, between two kinds of system. "
        "For one child's way through them all, see [Hannah's story](hannah.md).\n\n"
    )
    out.append(
        _table(
            ["Flow", "What", "Seed", "Message types"],
            (
                [
                    f"[{f.id}](#{_anchor(f.id)})",
                    _text(f.title),
                    _text(f.seed),
                    ", ".join(dict.fromkeys(_message_link(s.message, "") for s in f.steps if s.message)),
                ]
                for f in flows
            ),
        )
    )
    for flow in flows:
        out.append(f"\n## {flow.id}: {_text(flow.title)} {{#{_anchor(flow.id)}}}\n\n")
        source = f"seed {flow.seed}" if flow.seed.startswith("§") else flow.seed
        out.append(f"{_text(flow.summary)} ({_text(source)})\n\n")
        out.append(sequence_diagram(flow) + "\n")
        rows = []
        for step in flow.steps:
            if not step.message:
                continue
            cls = MESSAGE_CLASSES[MessageType(step.message)]
            rows.append(
                [
                    _text(flow.participant(step.sender).label),
                    _text(flow.participant(step.receiver).label),
                    _message_link(step.message, ""),
                    _text(step.text or cls.message_type.label),
                    _text(_kind_labels(cls.recipients)),
                ]
            )
        out.append(_table(["From", "To", "Message", "What it says", "May be sent to"], rows))
    return "".join(out)


def _story_messages() -> list[Message]:
    messages = [*example_messages().values(), social_care_involvement_started()]
    return sorted(messages, key=lambda m: m.header.created_at)


def _flows_of(message: Message, flows: Sequence[Flow]) -> list[str]:
    """The flows a message takes part in: those with a step of its type from its sender's kind of system."""
    sender = message.header.sender.system.value
    found = [
        flow.id
        for flow in flows
        if any(
            step.message == message.message_type.value and flow.participant(step.sender).system in ("", sender)
            for step in flow.steps
        )
    ]
    return found or list(message.flows)


def hannah_story_page(flows: Sequence[Flow]) -> str:
    """Hannah's story (seed §3.1) as one sequence diagram, drawn from the worked examples themselves."""
    messages = _story_messages()
    participants: dict[tuple[str, str], tuple[str, str]] = {}
    for message in messages:
        for ref in (message.header.sender, message.header.recipient):
            key = (ref.system.value, ref.organisation_id)
            if key not in participants:
                name = ref.organisation_name or ref.organisation_id
                participants[key] = (f"P{len(participants) + 1}", f"{ref.system.label}: {name}")
    out = [_WIDE, "# Hannah's story\n\n", _generated_note("the worked examples, `ics_interop.examples`,")]
    out.append(
        "Hannah is 15 and a young carer for her mother and her three younger brothers and sisters "
        "(seed §3.1). Every message below is one of the standard's worked examples: the same "
        "messages as the examples on each message type's page, in the order they were sent. "
        "The story continues past the seed's own ending, through stepping up and down (seed §4.2, §4.3) "
        "and a move to another authority (seed §5.3).\n\n"
    )
    lines = ["```mermaid", "sequenceDiagram", "    autonumber"]
    lines.extend(f"    participant {pid} as {_mermaid_label(label)}" for pid, label in participants.values())
    rows: list[list[str]] = []
    for message in messages:
        header = message.header
        sender = participants[(header.sender.system.value, header.sender.organisation_id)]
        recipient = participants[(header.recipient.system.value, header.recipient.organisation_id)]
        day = header.created_at.date().isoformat()
        lines.append(f"    {sender[0]}->>{recipient[0]}: {day} {message.message_type.value}")
        rows.append(
            [
                str(len(rows) + 1),
                day,
                ", ".join(f"[{f}](flows.md#{_anchor(f)})" for f in _flows_of(message, flows)),
                _text(sender[1]),
                _text(recipient[1]),
                _message_link(message.message_type.value, ""),
                _text(message.message_type.label.split(": ", 1)[-1]),
            ]
        )
    lines.append("```")
    out.append("\n".join(lines) + "\n\n")
    out.append(_fit(_table(["#", "Date", "Flow", "From", "To", "Message", "What it says"], rows)))
    return "".join(out)


# --- examples -----------------------------------------------------------------------------------


def _xml_schema(version_dir: Path) -> etree.XMLSchema:
    path = version_dir / XSD_FILE
    try:
        return etree.XMLSchema(etree.parse(str(path)))
    except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        raise SiteBuildError(f"{path}: cannot be read as an XML Schema: {exc}") from None


def check_example(version_dir: Path, message_type: str, xml_schema: etree.XMLSchema | None = None) -> tuple[str, str]:
    """Validate the paired XML and JSON example of a message type; return their text (XML, JSON).

    The XML must be valid against the version's XML Schema, the JSON against the message type's
    JSON Schema; both must decode to the same message, and that message must break no rule of
    the catalogue with an error. Raises `SiteBuildError` naming the file and every problem.
    """
    schema = xml_schema if xml_schema is not None else _xml_schema(version_dir)
    examples = version_dir / EXAMPLES_FOLDER
    xml_path, json_path = examples / f"{message_type}.xml", examples / f"{message_type}.json"
    schema_path = version_dir / "json" / f"{message_type}.schema.json"
    fix = "fix the model or `ics_interop.examples`, then run `ics-interop schema generate`"
    problems: list[str] = []
    for path in (xml_path, json_path, schema_path):
        if not path.is_file():
            problems.append(f"{path}: missing")
    if problems:
        raise SiteBuildError(
            f"the example of {message_type} cannot be shown:\n  " + "\n  ".join(problems) + f"\n({fix})"
        )
    xml_bytes, json_bytes = xml_path.read_bytes(), json_path.read_bytes()
    try:
        document = etree.fromstring(xml_bytes, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        problems.append(f"{xml_path}: not well-formed XML: {exc}")
    else:
        if not schema.validate(document):
            problems.extend(f"{xml_path}:{e.line}: {e.message}" for e in cast(Iterable[Any], schema.error_log))
    try:
        data = json.loads(json_bytes)
        json.loads(schema_path.read_bytes())
        validator = json_schema_validator(message_type, schema_path.parent)
    except json.JSONDecodeError as exc:
        problems.append(f"{json_path} or its schema: not JSON: {exc}")
    else:
        for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
            where = "/" + "/".join(str(p) for p in error.absolute_path)
            problems.append(f"{json_path}: at {where}: {error.message}")
    if not problems:
        try:
            from_xml_message, from_json_message = from_xml(xml_bytes), from_json(json_bytes)
        except IcsInteropError as exc:
            problems.append(f"{xml_path.name} / {json_path.name}: cannot be decoded: {exc}")
        else:
            if from_xml_message != from_json_message:
                problems.append(f"{xml_path.name} and {json_path.name} are not the same message")
            elif from_xml_message.message_type.value != message_type:
                problems.append(f"{xml_path.name} holds a {from_xml_message.message_type.value}, not a {message_type}")
            problems.extend(
                f"{xml_path.name}: breaks rule {f.rule_id} at {f.path}: {f.message}"
                for f in run_rules(from_xml_message)
                if f.severity is Severity.ERROR
            )
    if problems:
        raise SiteBuildError(f"the example of {message_type} is not valid:\n  " + "\n  ".join(problems) + f"\n({fix})")
    return xml_bytes.decode("utf-8"), json_bytes.decode("utf-8")


def check_examples(version_dir: Path) -> dict[str, tuple[str, str]]:
    """Validate the examples of every message type (`check_example`); report every invalid one at once."""
    schema = _xml_schema(version_dir)
    checked: dict[str, tuple[str, str]] = {}
    problems: list[str] = []
    for message_type in MESSAGE_CLASSES:
        try:
            checked[message_type.value] = check_example(version_dir, message_type.value, schema)
        except SiteBuildError as exc:
            problems.append(str(exc))
    if problems:
        raise SiteBuildError("\n".join(problems))
    return checked


def _indent(text: str, spaces: int = 4) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else "" for line in text.rstrip("\n").splitlines())


# --- message pages ------------------------------------------------------------------------------


def message_page(
    message_type: MessageType, flows: Sequence[Flow], rules: Mapping[str, Rule], example: tuple[str, str]
) -> str:
    """The page of one message type: its flows, who sends it to whom, its rules, data dictionary and example."""
    cls = MESSAGE_CLASSES[message_type]
    name = message_type.value
    folder = version_folder()
    out = [
        _WIDE,
        f"# {name}\n\n",
        _generated_note(f"`{cls.__module__}.{cls.__name__}`, the rule catalogue and the examples"),
    ]
    out.append(_text(" ".join((cls.__doc__ or "").split())) + "\n\n")
    senders = dict.fromkeys(
        f.participant(s.sender).label for f in flows if f.id in cls.flows for s in f.steps if s.message == name
    )
    flow_links = ", ".join(
        f"[{f.id}: {_text(f.title)}](../flows.md#{_anchor(f.id)})" for f in flows if f.id in cls.flows
    )
    out.append(
        f"- **Flows**: {flow_links}\n"
        f"- **Sent by**: {_text(', '.join(senders))}\n"
        f"- **Sent to**: {_text(_kind_labels(cls.recipients))}\n"
        f"- **XML**: root element {_code(name)} in the namespace {_code(NAMESPACE)}; "
        f"[XML Schema](../schemas/{folder}/{XSD_FILE})\n"
        f"- **JSON**: [{name}.schema.json](../schemas/{folder}/json/{name}.schema.json)\n"
        f"- **Python**: {_code(f'ics_interop.messages.{cls.__name__}')}\n"
    )
    applicable = [r for r in rules.values() if r.applies(message_type)]
    out.append("\n## Rules\n\n")
    out.append(
        "The business rules checked on this message type, beyond what the schemas say "
        "(see the [rule catalogue](../rules.md)).\n\n"
    )
    out.append(
        _table(
            ["ID", "Severity", "Rule", "Checked by"],
            (
                [f"[{r.id}](../rules.md#{_rule_anchor(r.id)})", r.severity.value, _text(r.title), r.checked_by]
                for r in applicable
            ),
        )
    )
    out.append("\n## Data dictionary\n\n")
    out.append(
        "Every element, nested elements in **bold** followed by their contents. A path is the dotted JSON path; "
        "`[]` stands for any one item of a list. In XML, a list is its items repeated under their XML name, "
        "in this order.\n\n"
    )
    out.append(_fit(data_dictionary_table(cls)))
    xml_text, json_text = example
    out.append("\n## Example\n\n")
    header = from_json(json_text).header
    out.append(
        f"From [Hannah's story](../hannah.md): sent on {header.created_at.date().isoformat()} by "
        f"{_text(header.sender.organisation_name or header.sender.organisation_id)} ({header.sender.system.label}) to "
        f"{_text(header.recipient.organisation_name or header.recipient.organisation_id)} "
        f"({header.recipient.system.label}). Both forms were validated against their schemas, and against the "
        f"rules, when this site was built. Download: [{name}.xml](../schemas/{folder}/{EXAMPLES_FOLDER}/{name}.xml), "
        f"[{name}.json](../schemas/{folder}/{EXAMPLES_FOLDER}/{name}.json).\n\n"
    )
    out.append(f'=== "XML"\n\n    ```xml\n{_indent(xml_text)}\n    ```\n\n')
    out.append(f'=== "JSON"\n\n    ```json\n{_indent(json_text)}\n    ```\n')
    return "".join(out)


def message_index_page(flows: Sequence[Flow]) -> str:
    """The index of message types: one row per type, in the order of the flows."""
    out = ["# Message types\n\n", _generated_note("the message classes, `ics_interop.messages`,")]
    out.append(
        "Every message is a header (the envelope: who sent what to whom, when, in reply to what) and the "
        "type's own content. Each type has a page with its data dictionary, its rules and a worked example.\n\n"
    )
    rows = []
    for message_type, cls in MESSAGE_CLASSES.items():
        flow_links = ", ".join(f"[{f}](../flows.md#{_anchor(f)})" for f in cls.flows)
        rows.append(
            [
                f"[{message_type.value}]({message_type.value}.md)",
                flow_links,
                _text(_kind_labels(cls.recipients)),
                _text(message_type.label.split(": ", 1)[-1]),
            ]
        )
    out.append(_table(["Message type", "Flows", "Sent to", "What it says"], rows))
    return "".join(out)


# --- the seed's statements ----------------------------------------------------------------------


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
    raw = _read_toml(path)
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
            rules=_strings(entry.get("rules"), where),
            message_types=_strings(entry.get("message_types"), where),
            requirements=_strings(entry.get("requirements"), where),
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
        _WIDE,
        "# The seed's statements\n\n",
        _generated_note("`docs/seed-statements.toml`, checked against the rule catalogue and the message types,"),
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
            reqs = ", ".join(f"[{r}](requirements.md#{_anchor(r)})" for r in s.requirements)
        elif s.requirements:
            reqs = ", ".join(_code(r) for r in s.requirements) + " (to come)"
        else:
            reqs = "to come" if not requirements_published else ""
        rows.append(
            [
                f'<a id="{_anchor(s.id)}"></a>**{s.id}**',
                _text(s.section),
                _text(s.statement) + (f"<br>*{_text(s.note)}*" if s.note else ""),
                ", ".join(f"[{r}](rules.md#{_rule_anchor(r)})" for r in s.rules),
                ", ".join(_message_link(t, "") for t in s.message_types),
                reqs,
            ]
        )
    out.append(_fit(_table(["ID", "Seed", "Statement", "Rules", "Message types", "Requirements"], rows)))
    return "".join(out)


# --- the requirement catalogue (published by the conformance suite) ------------------------------


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
CoverageMap = Mapping[str, Mapping[str, Sequence[str]]]


def load_requirements(path: Path) -> list[Requirement] | None:
    """Read the conformance suite's requirement catalogue, or None while it does not exist.

    The catalogue is TOML: an array of tables `[[requirement]]`, each with `id` and `text`
    (or `statement`), and optionally `title`, `level` (SHALL, SHOULD...), `actors`, `source`,
    `rules` (rule IDs) and `message_types`. Other keys are ignored.
    """
    if not path.is_file():
        return None
    raw = _read_toml(path)
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
            actors=_strings(entry.get("actors", entry.get("actor")), where),
            source=entry.get("source", ""),
            rules=_strings(entry.get("rules"), where),
            message_types=_strings(entry.get("message_types"), where),
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
            how, checks = "not applicable: " + _text(reasons[profile]), ""
        elif r.verification == "attestation":
            how, checks = "attestation: " + _text(r.inspect), ""
        else:
            how = r.verification or "automated"
            found = (coverage or {}).get(r.id, {}).get(profile, ())
            checks = ", ".join(_code(c) for c in found) if coverage is not None else ""
            if coverage is not None and not found:
                checks = "**none**"
        rows.append([f"[{_text(r.id)}](#{_anchor(r.id)})", _text(r.level), _text(r.title or r.text[:80]), how, checks])
    if not rows:
        return ""
    return f"\n### Profile `{profile}`\n\n" + _fit(
        _table(["Requirement", "Level", "What", "Verified by", "Conformance checks"], rows)
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
    out = [_WIDE, *out, _generated_note(f"the conformance suite's requirement catalogue, `{REQUIREMENTS_FILE}`,")]
    out.append("The requirements an implementation is tested against for accreditation (seed §5.1).\n\n")
    rows = [
        [
            f'<a id="{_anchor(r.id)}"></a>**{_text(r.id)}**',
            _text(r.level),
            (f"**{_text(r.title)}.** " if r.title else "") + _text(r.text),
            _text(", ".join(r.actors)),
            _text(r.source),
            ", ".join(f"[{x}](rules.md#{_rule_anchor(x)})" for x in r.rules),
            ", ".join(_message_link(t, "") for t in r.message_types),
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
    out.append(_fit(_table(["ID", "Level", "Requirement", "Actors", "Source", "Rules", "Message types"], rows)))
    return "".join(out)


# --- schema downloads ---------------------------------------------------------------------------


def _versions(schemas_root: Path) -> list[Path]:
    """The published folders: `v1` (the current 1.x) and each frozen release beside it (`v1.0`), oldest first."""
    found = [p for p in schemas_root.iterdir() if p.is_dir() and re.fullmatch(r"v[0-9]+(\.[0-9]+)?", p.name)]

    def order(path: Path) -> tuple[int, int]:
        major, _, minor = path.name[1:].partition(".")
        return int(major), int(minor) if minor else 10**6  # the current line after its frozen releases

    return sorted(found, key=order)


def schema_downloads(schemas_root: Path) -> dict[str, Path]:
    """The schema files of every version, by their path in the site (`schemas/v1/ics-interop.xsd`, ...)."""
    files: dict[str, Path] = {}
    for version in _versions(schemas_root):
        candidates = [
            *version.glob("*.xsd"),
            *(version / "json").glob("*.schema.json"),
            *(version / EXAMPLES_FOLDER).glob("*.xml"),
            *(version / EXAMPLES_FOLDER).glob("*.json"),
            *(version / "openapi").glob("*.json"),
        ]
        for path in sorted(candidates):
            files["schemas/" + path.relative_to(schemas_root).as_posix()] = path
    return files


def _file_row(label: str, site_path: str, path: Path) -> list[str]:
    data = path.read_bytes()
    return [f"[{label}]({site_path})", f"{len(data):,} bytes", _code(hashlib.sha256(data).hexdigest()[:16])]


def downloads_page(schemas_root: Path) -> str:
    """The downloads page: the XML Schema, the JSON Schemas and the examples of each version."""
    out = ["# Schemas and downloads\n\n", _generated_note("the schemas the library ships, `schemas/`,")]
    out.append(
        "The schemas are generated from the models by `ics-interop schema generate` and shipped inside the "
        "package (`ics_interop.schemas_path.schemas_root()`). Each major version has its own folder and its "
        "own XML namespace; see [Versioning](versioning.md). The SHA-256 column shows the first 16 hex digits "
        "of each file's digest.\n\n"
    )
    for version in reversed(_versions(schemas_root)):
        xsd = version / XSD_FILE
        namespace = etree.parse(str(xsd)).getroot().get("targetNamespace", "") if xsd.is_file() else ""
        out.append(f"\n## {version.name}\n\n")
        if namespace:
            out.append(f"XML namespace: {_code(namespace)}.\n\n")
        rows = [_file_row(p.name, f"schemas/{version.name}/{p.name}", p) for p in sorted(version.glob("*.xsd"))]
        out.append("### XML Schema\n\n")
        out.append(_table(["File", "Size", "SHA-256"], rows))
        out.append("\n### JSON Schemas and examples\n\n")
        rows = []
        for schema in sorted((version / "json").glob("*.schema.json")):
            name = schema.name.removesuffix(".schema.json")
            cells = [name, f"[{schema.name}](schemas/{version.name}/json/{schema.name})"]
            for ext in ("xml", "json"):
                example = version / EXAMPLES_FOLDER / f"{name}.{ext}"
                site_path = f"schemas/{version.name}/{EXAMPLES_FOLDER}/{name}.{ext}"
                cells.append(f"[{ext.upper()}]({site_path})" if example.is_file() else "")
            rows.append(cells)
        out.append(_table(["Message type", "JSON Schema", "Example (XML)", "Example (JSON)"], rows))
        openapi = sorted((version / "openapi").glob("*.json"))
        if openapi:
            out.append("\n### The HTTP binding (OpenAPI)\n\n")
            out.append(
                "Each reference service's OpenAPI document: `POST /messages` is the standard's HTTP binding, "
                "and the other routes are the ones the conformance suite drives over HTTP.\n\n"
            )
            rows = [_file_row(p.name, f"schemas/{version.name}/openapi/{p.name}", p) for p in openapi]
            out.append(_table(["File", "Size", "SHA-256"], rows))
    return "".join(out)


# --- the whole site -----------------------------------------------------------------------------


def site_pages(sources: SiteSources) -> dict[str, str]:
    """Every generated page, by its path in the docs (`messages/ChildIdentityUpdate.md`, `rules.md`, ...).

    Raises `SiteBuildError` when an example is invalid or the docs' data disagrees with the code.
    """
    rules = catalogue()
    flows = load_flows(sources.docs_dir / "flows.toml")
    requirements = load_requirements(sources.requirements_file)
    statements = load_seed_statements(
        sources.docs_dir / "seed-statements.toml",
        rules,
        None if requirements is None else [r.id for r in requirements],
    )
    examples = check_examples(sources.schemas_root / version_folder())
    pages = {
        "messages/index.md": message_index_page(flows),
        "code-sets.md": code_sets_page(),
        "rules.md": rules_page(rules),
        "flows.md": flows_page(flows),
        "hannah.md": hannah_story_page(flows),
        "seed-statements.md": seed_statements_page(statements, requirements is not None),
        "requirements.md": requirements_page(requirements, sources.coverage),
        "downloads.md": downloads_page(sources.schemas_root),
    }
    for message_type in MESSAGE_CLASSES:
        pages[f"messages/{message_type.value}.md"] = message_page(
            message_type, flows, rules, examples[message_type.value]
        )
    return pages
