"""The reference ContactPoint directory: the national index of children in England (seed §2.2, §5.2).

For every child up to the 18th birthday the directory holds basic identifying information,
the contact details of parents and carers, and the services and practitioners involved,
with the CAF indicator and the lead professional (SI 2007/2182, Schedule 1; seed §5.1). It
holds **no case information**: the messages it accepts (F1 ChildIdentityUpdate,
InvolvementStarted, InvolvementEnded; F2 the same from an ICS; F3 CafIndicatorUpdate) have
no place for any, an element they do not define is rejected, and any other message type is
rejected (rule CP-001) with nothing stored. It is fed one way and never updates its feeders.

Policies, and where they come from:

- **Matching** (`matching`). Identifiers first (ContactPoint ID, NHS number, UPN, the sender's
  local ID scoped by sender), then name, date of birth and postcode; a child that cannot be
  matched with confidence is held for a data manager (acknowledged with the warning
  ``CP-MATCH-HELD``, saying why), never guessed, because duplicates once leaked shielded
  children: a namesake whose identifier conflicts (a mistyped NHS number) is held, never made a
  new record. When a data manager resolves a held message, the result is shielded if any
  record in play was.
- **Access and audit** (`access`). Only registered users (`DirectoryRole`: practitioner,
  child-protection, data-manager) may search or view, each access with a stated reason, and
  every access is audited, refused ones included. A directory keeps a data manager
  (``CP-LAST-DATA-MANAGER``), and nobody changes their own role (``CP-OWN-ROLE``).
- **Shielding** (`records`; SI 2007/2182 reg. 6(5)-(6)). A shielded child's record shows
  only the names, gender, date of birth, ID and the parents' and carers' names, and cannot be
  found by postcode; a child-protection user may override with a reason, which raises an
  audit alert; data managers set and lift shielding, with a reason.

The matching table and the shielded record's fields, row by row, are in docs/contactpoint.md.
- **Sensitive services** (SI 2007/2182 reg. 10 and Sch. 1). An involvement of a sexual health,
  mental health or substance misuse service is recorded only on a stated basis, the child's
  consent or suspected significant harm (rule INV-001 rejects it otherwise), and is shown
  only to users of the service's own organisation: to everyone else, including data managers
  and child-protection users, the involvement does not exist.
- **Retention** (`retention`). An ended involvement is shown for a year after its end (seed
  §3.1); the record is archived at the 18th birthday, or a year after the child's death, and
  purged after a retention period (six years by default), by `run_maintenance`.
"""

from __future__ import annotations

from .errors import AccessRefused, DirectoryConflict, DirectoryError, RecordNotFound
from .retention import DEFAULT_RETENTION_YEARS, MaintenanceReport
from .system import CONTACTPOINT_IDENTITY, ContactPointDirectory, run_maintenance
from .views import (
    AuditAlert,
    AuditEntry,
    DirectoryCafIndicator,
    DirectoryContact,
    DirectoryInvolvement,
    DirectoryParentCarer,
    DirectoryPractitioner,
    DirectoryRecord,
    DirectoryRole,
    DirectoryTeam,
    MatchCandidate,
    MatchQueueEntry,
    MatchResolution,
    MatchResolved,
    PractitionerRegistration,
    RegisteredPractitioner,
    SearchResult,
    ShieldingChange,
    ShieldingState,
)

__all__ = [
    "CONTACTPOINT_IDENTITY",
    "DEFAULT_RETENTION_YEARS",
    "AccessRefused",
    "AuditAlert",
    "AuditEntry",
    "ContactPointDirectory",
    "DirectoryCafIndicator",
    "DirectoryConflict",
    "DirectoryContact",
    "DirectoryError",
    "DirectoryInvolvement",
    "DirectoryParentCarer",
    "DirectoryPractitioner",
    "DirectoryRecord",
    "DirectoryRole",
    "DirectoryTeam",
    "MaintenanceReport",
    "MatchCandidate",
    "MatchQueueEntry",
    "MatchResolution",
    "MatchResolved",
    "PractitionerRegistration",
    "RecordNotFound",
    "RegisteredPractitioner",
    "SearchResult",
    "ShieldingChange",
    "ShieldingState",
    "run_maintenance",
]
