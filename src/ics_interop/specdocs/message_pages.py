"""One page per message type, and the index of them all."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..codecs import NAMESPACE, from_json
from ..messages import MESSAGE_CLASSES, MessageType
from ..rules import Rule
from ..schemagen import EXAMPLES_FOLDER, XSD_FILE, version_folder
from . import markdown as md
from .dictionary import data_dictionary_table
from .flows import Flow


def message_page(
    message_type: MessageType, flows: Sequence[Flow], rules: Mapping[str, Rule], example: tuple[str, str]
) -> str:
    """The page of one message type: its flows, who sends it to whom, its rules, data dictionary and example."""
    cls = MESSAGE_CLASSES[message_type]
    name = message_type.value
    folder = version_folder()
    out = [
        md.WIDE,
        f"# {name}\n\n",
        md.generated_note(f"`{cls.__module__}.{cls.__name__}`, the rule catalogue and the examples"),
    ]
    out.append(md.text(" ".join((cls.__doc__ or "").split())) + "\n\n")
    senders = dict.fromkeys(
        f.participant(s.sender).label for f in flows if f.id in cls.flows for s in f.steps if s.message == name
    )
    flow_links = ", ".join(
        f"[{f.id}: {md.text(f.title)}](../flows.md#{md.anchor(f.id)})" for f in flows if f.id in cls.flows
    )
    out.append(
        f"- **Flows**: {flow_links}\n"
        f"- **Sent by**: {md.text(', '.join(senders))}\n"
        f"- **Sent to**: {md.text(md.kind_labels(cls.recipients))}\n"
        f"- **XML**: root element {md.code(name)} in the namespace {md.code(NAMESPACE)}; "
        f"[XML Schema](../schemas/{folder}/{XSD_FILE})\n"
        f"- **JSON**: [{name}.schema.json](../schemas/{folder}/json/{name}.schema.json)\n"
        f"- **Python**: {md.code(f'ics_interop.messages.{cls.__name__}')}\n"
    )
    applicable = [r for r in rules.values() if r.applies(message_type)]
    out.append("\n## Rules\n\n")
    out.append(
        "The business rules checked on this message type, beyond what the schemas say "
        "(see the [rule catalogue](../rules.md)).\n\n"
    )
    out.append(
        md.table(
            ["ID", "Severity", "Rule", "Checked by"],
            (
                [f"[{r.id}](../rules.md#{md.rule_anchor(r.id)})", r.severity.value, md.text(r.title), r.checked_by]
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
    out.append(md.fit(data_dictionary_table(cls)))
    xml_text, json_text = example
    out.append("\n## Example\n\n")
    header = from_json(json_text).header
    out.append(
        f"From [Hannah's story](../hannah.md): sent on {header.created_at.date().isoformat()} by "
        f"{md.text(header.sender.organisation_name or header.sender.organisation_id)} "
        f"({header.sender.system.label}) to "
        f"{md.text(header.recipient.organisation_name or header.recipient.organisation_id)} "
        f"({header.recipient.system.label}). Both forms were validated against their schemas, and against the "
        f"rules, when this site was built. Download: [{name}.xml](../schemas/{folder}/{EXAMPLES_FOLDER}/{name}.xml), "
        f"[{name}.json](../schemas/{folder}/{EXAMPLES_FOLDER}/{name}.json).\n\n"
    )
    out.append(f'=== "XML"\n\n    ```xml\n{_indent(xml_text)}\n    ```\n\n')
    out.append(f'=== "JSON"\n\n    ```json\n{_indent(json_text)}\n    ```\n')
    return "".join(out)


def message_index_page(flows: Sequence[Flow]) -> str:
    """The index of message types: one row per type, in the order of the flows."""
    out = ["# Message types\n\n", md.generated_note("the message classes, `ics_interop.messages`,")]
    out.append(
        "Every message is a header (the envelope: who sent what to whom, when, in reply to what) and the "
        "type's own content. Each type has a page with its data dictionary, its rules and a worked example.\n\n"
    )
    rows = []
    for message_type, cls in MESSAGE_CLASSES.items():
        flow_links = ", ".join(f"[{f}](../flows.md#{md.anchor(f)})" for f in cls.flows)
        rows.append(
            [
                f"[{message_type.value}]({message_type.value}.md)",
                flow_links,
                md.text(md.kind_labels(cls.recipients)),
                md.text(message_type.label.split(": ", 1)[-1]),
            ]
        )
    out.append(md.table(["Message type", "Flows", "Sent to", "What it says"], rows))
    return "".join(out)


def _indent(text: str, spaces: int = 4) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else "" for line in text.rstrip("\n").splitlines())
