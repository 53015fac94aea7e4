"""Errors of the directory's own API (search, record view, data management), each with an ID, a place and a fix.

::

    ServiceError (adapters.errors; an IcsInteropError, so a ValueError)
    └── DirectoryError                bad input to the directory's API               HTTP 422
        ├── AccessRefused (Forbidden)  unregistered user, wrong role, no reason       HTTP 403
        ├── RecordNotFound (NotFound)  no such live record, or queue entry            HTTP 404
        └── DirectoryConflict          the request contradicts what is stored         HTTP 409

Messages (F1–F3) are never answered with these: a message is answered with an F10
acknowledgement, and a refusal there is a `HandlerRefusal` with a rule ID.

The IDs (not rules of the standard's catalogue: they belong to this directory's API):

- ``CP-ACCESS-UNREGISTERED``: the user is not a registered practitioner of the directory;
- ``CP-ACCESS-ROLE``: the user's role does not allow the operation;
- ``CP-ACCESS-ORGANISATION``: the user's credential names another organisation than their registration;
- ``CP-ACCESS-REASON``: no reason was given for an access, or for overriding shielding;
- ``CP-OWN-ROLE``: a data manager tried to change their own role;
- ``CP-LAST-DATA-MANAGER``: the change would leave the directory without a data manager;
- ``CP-SEARCH-CRITERIA``: the search criteria are too few, or malformed;
- ``CP-INPUT``: a request's body or parameters are malformed;
- ``CP-NOT-FOUND``: no live record, or no queue entry, with that ID;
- ``CP-QUEUE-RESOLVED``: the held message was already resolved;
- ``CP-IDENTIFIER-CONFLICT``: an identifier of the message already belongs to another record;
- ``CP-INV-UNKNOWN``: an involvement is ended that the directory never received;
- ``CP-TEST-CLOCK``: maintenance was asked to run as of another day (``asOf``) by a directory
  that has no test clock: its own clock decides, a caller cannot move it.
"""

from __future__ import annotations

from ..errors import Conflict, Forbidden, NotFound, ServiceError

__all__ = ["AccessRefused", "DirectoryConflict", "DirectoryError", "RecordNotFound"]


class DirectoryError(ServiceError):
    """Raised when a call to the directory's API has bad input; carries an ID, where, and how to fix it."""


class AccessRefused(DirectoryError, Forbidden):
    """Raised when the user may not do this: not registered, the wrong role, or no reason given."""


class RecordNotFound(DirectoryError, NotFound):
    """Raised when there is no live record (or no queue entry) with the ID asked for."""


class DirectoryConflict(DirectoryError, Conflict):
    """Raised when a request contradicts what the directory holds (an identifier of another record, say)."""
