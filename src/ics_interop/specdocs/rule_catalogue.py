"""The rule catalogue page: every business rule, with its stable ID, severity and the message types it applies to."""

from __future__ import annotations

from collections.abc import Mapping

from ..rules import Rule
from . import markdown as md


def _applies_to(rule: Rule, prefix: str) -> str:
    if "*" in rule.applies_to:
        return "every message type"
    return ", ".join(md.message_link(name, prefix) for name in rule.applies_to)


def rules_page(rules: Mapping[str, Rule]) -> str:
    """The rule catalogue page: one row per rule, in catalogue order."""
    out = [
        md.WIDE,
        "# Rule catalogue\n\n",
        md.generated_note("the rule catalogue, `src/ics_interop/rules/catalogue.toml`"),
    ]
    out.append(
        "What a schema cannot say. Every rule has a stable ID: a rule may be reworded, never renumbered, "
        "and a withdrawn rule's ID is not reused. An **error** rejects a message; a **warning** is reported "
        "and the message is accepted. Rules *checked by the validator* are checked on the message alone "
        "(`ics-interop validate`, `ics_interop.validate_message`); rules *checked by the receiver* need the "
        "receiving system's state, and a receiver reports them with this ID in its acknowledgement.\n\n"
    )
    rows = [
        [
            f'<a id="{md.rule_anchor(rule.id)}"></a>**{rule.id}**',
            rule.severity.value,
            f"**{md.text(rule.title)}.** {md.text(rule.text)}",
            md.text(rule.hint),
            md.text(rule.source),
            _applies_to(rule, ""),
            rule.checked_by,
        ]
        for rule in rules.values()
    ]
    out.append(
        md.fit(md.table(["ID", "Severity", "Rule", "How to fix a failure", "Source", "Applies to", "Checked by"], rows))
    )
    return "".join(out)
