"""The rule engine: the catalogue (data) joined to the checks (code), run over a message.

The catalogue, `catalogue.toml`, says what each rule is: a stable ID, a severity, the
requirement in words, how to fix a failure, and the source (seed section or regulation).
The documentation and the conformance suite read the same file. A check is a function
registered for one rule ID; given the message and its index (one walk shared by every rule),
it yields `Violation`s, each a path and what is wrong there.
Every rule in the catalogue has exactly one check, and every check a rule (tested).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from importlib import resources

import attrs

from ..findings import Finding, Severity
from ..messages import Message, MessageType
from .index import MessageIndex

__all__ = ["Rule", "Violation", "catalogue", "check", "registered_checks", "run_rules"]


@attrs.frozen
class Rule:
    """One business rule of the standard, as the catalogue states it."""

    id: str
    severity: Severity
    title: str
    text: str
    hint: str
    source: str
    applies_to: tuple[str, ...]  # message type names, or "*" for every message
    checked_by: str = "validator"  # or "receiver": needs the receiving system's state

    def applies(self, message_type: MessageType) -> bool:
        """Whether the rule is checked on messages of this type."""
        return "*" in self.applies_to or message_type.value in self.applies_to


@attrs.frozen
class Violation:
    """Where a message breaks a rule, and what exactly is wrong there."""

    path: str
    detail: str


Check = Callable[[Message, MessageIndex], Iterable[Violation]]
_CHECKS: dict[str, Check] = {}


def check(rule_id: str) -> Callable[[Check], Check]:
    """Register the function as the check of the catalogue rule `rule_id`."""

    def register(fn: Check) -> Check:
        if rule_id in _CHECKS:
            raise ValueError(f"rule {rule_id} has two checks")
        _CHECKS[rule_id] = fn
        return fn

    return register


def registered_checks() -> dict[str, Check]:
    """Every registered check by rule ID."""
    from . import checks  # noqa: F401  (registers the checks)

    return dict(_CHECKS)


@cache
def catalogue() -> dict[str, Rule]:
    """The rule catalogue, by rule ID, in catalogue order."""
    raw = tomllib.loads(resources.files("ics_interop.rules").joinpath("catalogue.toml").read_text("utf-8"))
    rules = {}
    for entry in raw["rule"]:
        rule = Rule(
            id=entry["id"],
            severity=Severity(entry["severity"]),
            title=entry["title"],
            text=entry["text"],
            hint=entry["hint"],
            source=entry["source"],
            applies_to=tuple(entry.get("applies_to", ["*"])),
            checked_by=entry.get("checked_by", "validator"),
        )
        if rule.checked_by not in ("validator", "receiver"):
            raise ValueError(f"rule {rule.id}: checked_by must be 'validator' or 'receiver'")
        if rule.id in rules:
            raise ValueError(f"rule {rule.id} appears twice in the catalogue")
        rules[rule.id] = rule
    return rules


@cache
def _plan() -> dict[MessageType, tuple[tuple[Rule, Check], ...]]:
    checks = registered_checks()
    rules = {k: r for k, r in catalogue().items() if r.checked_by == "validator"}
    missing = sorted(set(rules) - set(checks))
    extra = sorted(set(checks) - set(rules))
    if missing or extra:
        raise RuntimeError(f"catalogue and checks disagree: no check for {missing}, no rule for {extra}")
    return {t: tuple((r, checks[r.id]) for r in rules.values() if r.applies(t)) for t in MessageType}


def run_rules(message: Message, *, record: int | None = None) -> Iterator[Finding]:
    """Check a decoded message against every rule that applies to its type."""
    index = MessageIndex(message)
    for rule, fn in _plan()[message.message_type]:
        for violation in fn(message, index):
            yield Finding(
                rule.id,
                rule.severity,
                f"{rule.title}: {violation.detail}",
                path=violation.path,
                hint=rule.hint,
                record=record,
                message_id=message.header.message_id,
                source=rule.source,
            )
