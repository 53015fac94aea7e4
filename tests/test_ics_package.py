"""The ICS package as a whole: its public face, its rule table, and the walls between the reference systems."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import ics_interop.adapters.ics as ics_package
from ics_interop.adapters.ics import ICS_RULES

from ics_interop import catalogue

PACKAGE = Path(ics_package.__file__).parent


def test_everything_the_package_exports_exists_in_every_room() -> None:
    for name in ics_package.__all__:
        assert hasattr(ics_package, name), name
    for path in sorted(PACKAGE.glob("*.py")):
        module = importlib.import_module(f"ics_interop.adapters.ics.{path.stem}")
        assert module.__doc__, f"{path.name} says what the room is for"
        for name in getattr(module, "__all__", []):
            assert hasattr(module, name), f"{path.name}: {name}"


def test_every_rule_the_system_refuses_with_is_in_its_table_or_the_catalogue() -> None:
    source = "\n".join(path.read_text() for path in PACKAGE.glob("*.py"))
    used = set(re.findall(r'"((?:ICS|DATE|STEP|CAF|CP|XFER|MIG|ENV|CHILD|ID)-\d{3})"', source))
    assert used, "the pattern finds the rule IDs"
    unknown = sorted(used - set(ICS_RULES) - set(catalogue()))
    assert unknown == []
    assert not set(ICS_RULES) & set(catalogue()), "the system's own IDs never shadow the standard's"
    assert all(rule.hint and rule.title for rule in ICS_RULES.values())


def test_the_ics_system_never_reaches_into_the_other_reference_systems() -> None:
    # ARCHITECTURE.md: the three systems talk only through the standard's messages.
    for path in PACKAGE.glob("*.py"):
        text = path.read_text()
        for other in ("contactpoint", "ecaf"):
            assert f"from ..{other}" not in text, path
            assert f"adapters.{other}" not in text, path
