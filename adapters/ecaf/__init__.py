"""National eCAF: the reference system for the national store of CAF episodes.

It holds each CAF episode whole (the assessment, the consent ledger, the Team Around the
Child, the lead professional, actions and reviews), lets practitioners with consent read and
update it (every access audited), tells ContactPoint that a CAF exists and whom to contact
(F3), steps children up to social care and takes them back (F4–F6), moves single episodes to
and from local eCAF systems (F7) and imports migration batches (F8). Rooms:

- `system`: `NationalEcaf`, the whole system;
- `practice`: what practitioners do with an episode; `changes`: how any change is checked and stored;
- `ledger`: consent; `audit`: the access audit; `conformity`: the standard's rules on a change;
- `directory_feed` (F3), `stepping` (F4–F6), `transfer` (F7), `migration` and `receiving` (F8);
- `reports`: open episodes; `maintenance`: the nightly run (it closes nothing);
- `routes`: the HTTP service; `refusals`: National eCAF's own rule IDs;
- `users`: its registration of users (managers, administrators) and the practitioner a request acts as;
- `handling`: a refusal inside a message handler becomes the F10 rejection naming its rule;
- `episodes`, `tables`: storage.
"""

from __future__ import annotations

from .audit import AccessRecord
from .errors import (
    ChangeRefused,
    ConsentRefused,
    EcafError,
    EpisodeConflict,
    InvalidInput,
    RoleRefused,
    UnknownEpisode,
    UnknownRecord,
)
from .maintenance import MaintenanceReport
from .migration import EpisodeImportResult, MigrationReport
from .refusals import HOUSE_RULES, HouseRule
from .reports import OpenEpisode
from .system import CONTACTPOINT, NationalEcaf
from .users import EcafRole, RegisteredUser, UserRegistration

__all__ = [
    "CONTACTPOINT",
    "HOUSE_RULES",
    "AccessRecord",
    "ChangeRefused",
    "ConsentRefused",
    "EcafError",
    "EcafRole",
    "EpisodeConflict",
    "EpisodeImportResult",
    "HouseRule",
    "InvalidInput",
    "MaintenanceReport",
    "MigrationReport",
    "NationalEcaf",
    "OpenEpisode",
    "RegisteredUser",
    "RoleRefused",
    "UnknownEpisode",
    "UnknownRecord",
    "UserRegistration",
]
