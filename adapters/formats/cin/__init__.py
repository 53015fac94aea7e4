"""The Children in Need census return: read, validate, import into the standard's models, export.

Every English authority sends DfE a CIN census return each year. This package reads one
(`reader`: safe parsing, the year's schema with line numbers), holds it in memory
(`census`), checks it against the census's own rules with their real codes (`rules`, with
working days from `calendar`), maps it to and from the standard's case records (`mapping`),
and writes one for any collection year from 2022 to 2026 (`writer`, `exporting`); what changes
between years is in `years`. The `ics-interop cin` commands are in `cli`.
"""

from __future__ import annotations

from .census import (
    Assessment,
    CensusChild,
    CensusReturn,
    CinEpisode,
    CinPlan,
    Header,
    ProtectionPlan,
    Section47,
    Sex,
)
from .exporting import ExportResult, export_case_records, export_census, export_return
from .importing import ImportedReturn, ImportResult, census_to_imported, import_return, read_imported
from .reader import SourceLines, parse_return, read_census, read_return, schema_findings
from .rules import CensusRule, rule_list, rules_for, run_census_rules
from .validation import CinReport, validate_return
from .writer import write_return
from .years import YEARS, CollectionYear, collection_year

__all__ = [
    "YEARS",
    "Assessment",
    "CensusChild",
    "CensusReturn",
    "CensusRule",
    "CinEpisode",
    "CinPlan",
    "CinReport",
    "CollectionYear",
    "ExportResult",
    "Header",
    "ImportResult",
    "ImportedReturn",
    "ProtectionPlan",
    "Section47",
    "Sex",
    "SourceLines",
    "census_to_imported",
    "collection_year",
    "export_case_records",
    "export_census",
    "export_return",
    "import_return",
    "parse_return",
    "read_census",
    "read_imported",
    "read_return",
    "rule_list",
    "rules_for",
    "run_census_rules",
    "schema_findings",
    "validate_return",
    "write_return",
]
