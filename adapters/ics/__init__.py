"""The ICS reference system: a local authority's children's social care case-management system (seed §2.1).

Start here: `IcsSystem` (casework, messages in and out, the local eCAF module, the HTTP app).
The CAF-to-initial-assessment mapping (F5) is data in `caf_mapping`; the system's own rules,
and the exceptions that carry them, are in `errors`.
"""

from __future__ import annotations

from .caf_mapping import CAF_TO_FRAMEWORK, ElementMapping, findings_from_caf
from .context import IcsSettings
from .errors import ICS_RULES, ChangeRefused, IcsRule, RecordNotFound, StateConflict
from .local_ecaf import LocalEcafModule, has_consent_to_store
from .system import IcsSystem
from .views import CafReferral, CaseSummary, DraftAssessment, LeftOutEpisode, LocalEpisode, MigrationReport, SentMessage

__all__ = [
    "CAF_TO_FRAMEWORK",
    "ICS_RULES",
    "CafReferral",
    "CaseSummary",
    "ChangeRefused",
    "DraftAssessment",
    "ElementMapping",
    "IcsRule",
    "IcsSettings",
    "IcsSystem",
    "LeftOutEpisode",
    "LocalEcafModule",
    "LocalEpisode",
    "MigrationReport",
    "RecordNotFound",
    "SentMessage",
    "StateConflict",
    "findings_from_caf",
    "has_consent_to_store",
]
