"""The shared adapter layer and the reference systems, under the name each tool knows them by.

At run time they are `ics_interop.adapters.*` (the package maps `adapters/` there). mypy checks
the tree as it lies on disk, where the same files are the top-level `adapters` package, and
cannot follow the mapping; so the type checker reads the one, the interpreter imports the other.
Only `reference_adapters`, the broken systems (`broken*`), `capture` (for the shared HTTP runner),
`credentials` and `signing` (the binding's keys) use this room.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adapters.auth import LocalIssuer, Principal, load_private_key, new_signing_key, save_private_key
    from adapters.auth.keys import SIGNING_ALGORITHMS, algorithm_for, key_set
    from adapters.auth.tokens import TokenVerifier
    from adapters.contactpoint import (
        AccessRefused,
        ContactPointDirectory,
        DirectoryError,
        DirectoryRecord,
        DirectoryRole,
        PractitionerRegistration,
        RecordNotFound,
        ShieldingChange,
    )
    from adapters.contactpoint import access as directory_access
    from adapters.contactpoint import matching as directory_matching
    from adapters.contactpoint import records as directory_records
    from adapters.ecaf import ConsentRefused, EcafError, EcafRole, NationalEcaf, UnknownRecord, UserRegistration
    from adapters.ecaf import episodes as ecaf_episodes
    from adapters.errors import Forbidden, NotFound, ServiceError
    from adapters.http import Authenticator, running_server
    from adapters.ics import ChangeRefused, IcsSettings, IcsSystem
    from adapters.ics import RecordNotFound as IcsRecordNotFound
    from adapters.messaging import TransportError, acknowledgement_for
    from adapters.services import service_app
    from adapters.transport import HttpTransport
else:
    from ics_interop.adapters.auth import LocalIssuer, Principal, load_private_key, new_signing_key, save_private_key
    from ics_interop.adapters.auth.keys import SIGNING_ALGORITHMS, algorithm_for, key_set
    from ics_interop.adapters.auth.tokens import TokenVerifier
    from ics_interop.adapters.contactpoint import (
        AccessRefused,
        ContactPointDirectory,
        DirectoryError,
        DirectoryRecord,
        DirectoryRole,
        PractitionerRegistration,
        RecordNotFound,
        ShieldingChange,
    )
    from ics_interop.adapters.contactpoint import access as directory_access
    from ics_interop.adapters.contactpoint import matching as directory_matching
    from ics_interop.adapters.contactpoint import records as directory_records
    from ics_interop.adapters.ecaf import (
        ConsentRefused,
        EcafError,
        EcafRole,
        NationalEcaf,
        UnknownRecord,
        UserRegistration,
    )
    from ics_interop.adapters.ecaf import episodes as ecaf_episodes
    from ics_interop.adapters.errors import Forbidden, NotFound, ServiceError
    from ics_interop.adapters.http import Authenticator, running_server
    from ics_interop.adapters.ics import ChangeRefused, IcsSettings, IcsSystem
    from ics_interop.adapters.ics import RecordNotFound as IcsRecordNotFound
    from ics_interop.adapters.messaging import TransportError, acknowledgement_for
    from ics_interop.adapters.services import service_app
    from ics_interop.adapters.transport import HttpTransport

__all__ = [
    "SIGNING_ALGORITHMS",
    "AccessRefused",
    "Authenticator",
    "ChangeRefused",
    "ConsentRefused",
    "ContactPointDirectory",
    "DirectoryError",
    "DirectoryRecord",
    "DirectoryRole",
    "EcafError",
    "EcafRole",
    "Forbidden",
    "HttpTransport",
    "IcsRecordNotFound",
    "IcsSettings",
    "IcsSystem",
    "LocalIssuer",
    "NationalEcaf",
    "NotFound",
    "PractitionerRegistration",
    "Principal",
    "RecordNotFound",
    "ServiceError",
    "ShieldingChange",
    "TokenVerifier",
    "TransportError",
    "UnknownRecord",
    "UserRegistration",
    "acknowledgement_for",
    "algorithm_for",
    "directory_access",
    "directory_matching",
    "directory_records",
    "ecaf_episodes",
    "key_set",
    "load_private_key",
    "new_signing_key",
    "running_server",
    "save_private_key",
    "service_app",
]
