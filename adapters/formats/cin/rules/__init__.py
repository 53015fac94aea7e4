"""The census's own validation rules: each with its real code, checked over a return in memory.

The rule list (`data/rule_list.csv`, one row per rule of the data-to-insight CIN validator:
rule set, code, module, ERROR or QUERY, message, affected fields) is data; this module holds
one check per code, registered with `child_rule` (checked child by child) or `return_rule`
(checked over the whole return, such as duplicates and percentages). A later rule set's row
replaces an earlier one's with the same code (see `years.py` for which sets a year uses), and
a check reads the year where the rule's meaning changed (sex codes, school age).

A query (code ending in `Q`) is reported as a warning: DfE accepts a return with queries
when the authority explains them. Every check is written from the rule's message and the
fields it names; where the message leaves a choice, the choice is in a comment and in
`docs/cin-census.md`.

The checks live by census module: `child_identifiers`, `characteristics` (and disabilities),
`cin_details`, `assessments`, `cin_plans`, `section47`, `protection_plans` (with their
reviews), and `whole_return` (the header, duplicates, percentages); `registry` holds the one
registry they register into, the rule list, and the run over a return.
"""

from __future__ import annotations

# Importing the census modules registers their checks.
from . import (  # noqa: F401
    assessments,
    characteristics,
    child_identifiers,
    cin_details,
    cin_plans,
    protection_plans,
    section47,
    whole_return,
)
from .registry import (
    Breach,
    CensusRule,
    CensusRun,
    ReturnCheck,
    child_rule,
    registered_codes,
    return_rule,
    rule_fix,
    rule_list,
    rules_for,
    run_census_rules,
)

__all__ = [
    "Breach",
    "CensusRule",
    "CensusRun",
    "ReturnCheck",
    "child_rule",
    "registered_codes",
    "return_rule",
    "rule_fix",
    "rule_list",
    "rules_for",
    "run_census_rules",
]
