"""The directory's feed: applying F1, F2 and F3 messages to children's records.

Every message names a child; the child is matched (`matching`) and the message applied to
that record, or a new record is made, or the message is held for a data manager (the
acknowledgement says so with the warning ``CP-MATCH-HELD``). The feed is one way (seed
§5.2): the directory never answers a sender with anything but the acknowledgement.

What a message brings:

- the child's details (all three types carry them): the record takes the details of the
  most recently created message, keeps the names it replaces as former names, and gains the
  sender's identifiers;
- ChildIdentityUpdate: a date of death, which keeps the record live one more year;
- InvolvementStarted / InvolvementEnded: the involvement, keyed by the sender and its own
  involvement ID (a resent start updates it; an end keeps it visible for a year, seed §3.1);
- CafIndicatorUpdate: the CAF indicator of the sending eCAF system, replaced by its later
  updates and removed when it says no CAF exists (seed §5.1, §5.3).

A message older than what the record already holds from the same source changes nothing
of it (messages may arrive out of order after a retry).
"""

from __future__ import annotations

import datetime as dt
import secrets
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, literal_column, or_, select, update
from sqlalchemy.engine import Connection

from ics_interop import Finding, Severity
from ics_interop.codecs import from_json_data
from ics_interop.messages import (
    CafIndicatorUpdate,
    ChildIdentityUpdate,
    InvolvementEnded,
    InvolvementStarted,
    Message,
)
from ics_interop.model import Child, ChildIdentifiers, PersonName
from ics_interop.model.identifiers import contactpoint_id_check_digit

from ..messaging import Clock, HandlerRefusal
from .errors import DirectoryConflict
from .matching import (
    ChildMatch,
    child_postcode,
    identifier_keys,
    identifier_owners,
    match_child,
    name_key,
    serialise_matching,
)
from .tables import DirectoryTables

__all__ = ["FEED_TYPES", "HELD_RULE", "DirectoryFeed", "FeedMessage"]

FeedMessage = ChildIdentityUpdate | InvolvementStarted | InvolvementEnded | CafIndicatorUpdate
FEED_TYPES = (ChildIdentityUpdate, InvolvementStarted, InvolvementEnded, CafIndicatorUpdate)

HELD_RULE = "CP-MATCH-HELD"

#: An involvement row not read yet (as opposed to None: read, and not on file).
_UNREAD: Any = object()


def _json(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class DirectoryFeed:
    """Applies feed messages to the directory's records, inside the receiver's transaction."""

    def __init__(self, tables: DirectoryTables, clock: Clock) -> None:
        self.tables = tables
        self.sql = tables.sql
        self.clock = clock

    # --- the receiver's handler -------------------------------------------------------------

    def handle(self, connection: Connection, message: Message) -> list[Finding]:
        """Match the message's child and apply it, or hold it; warnings for the acknowledgement."""
        if not isinstance(message, FEED_TYPES):
            raise TypeError(f"not a directory feed message: {message.message_type.value}")
        sender = message.header.sender.organisation_id
        child = message.child
        if isinstance(message, InvolvementEnded):
            self._refuse_another_senders(connection, sender, message.involvement_id)
        serialise_matching(connection, child)
        # The involvement already on file, if any: as good as an identifier for matching, and the row to update.
        involvement = self._involvement_on_file(connection, message)
        waiting = self._held_earlier(connection, message)
        if waiting is not None:
            match = ChildMatch(
                held="an earlier message about this child is held for a data manager", candidates=waiting
            )
        else:
            pinned = None if involvement is None else str(involvement.contactpoint_id)
            match = self.match(connection, child, sender, pinned=pinned)
        if match.held is not None:
            self._hold(connection, message, match)
            return [
                Finding(
                    HELD_RULE,
                    Severity.WARNING,
                    f"accepted and held for a data manager: {match.held}; the child could not be matched with "
                    "confidence to the directory's records, so nothing of this message is shown until a data "
                    "manager has matched it",
                    path="child",
                    hint="nothing to resend; check the child's identifiers and details in your own system (a "
                    "mistyped NHS number is held this way), and send the NHS number or UPN where you have it",
                )
            ]
        contactpoint_id = match.contactpoint_id
        if contactpoint_id is None:
            if isinstance(message, InvolvementEnded):
                raise HandlerRefusal(
                    "CP-INV-UNKNOWN",
                    f"involvement {message.involvement_id} of {sender} is not in the directory, so it cannot end",
                    path="involvementId",
                    hint="send the InvolvementStarted first (with the end date if it has ended already)",
                )
            contactpoint_id = self.create_record(connection, child)
            record = _NEW_RECORD
        else:
            record = None
        self.apply(
            connection,
            contactpoint_id,
            message,
            refuse=True,
            owners=match.owners,
            record=record,
            involvement=involvement,
        )
        return []

    def match(self, connection: Connection, child: Child, sender: str, *, pinned: str | None) -> ChildMatch:
        """The record `child` is about, a new child, or a hold (`matching.match_child`)."""
        return match_child(connection, self.tables, child, sender, pinned=pinned)

    # --- records ----------------------------------------------------------------------------

    def create_record(self, connection: Connection, child: Child, *, shielded: bool = False) -> str:
        """A new record for `child`; it keeps a ContactPoint ID the child already carries if no record has it."""
        wanted = child.identifiers.contactpoint_id
        if wanted is not None and not self._exists(connection, wanted):
            # A record re-loaded from another instance of the directory keeps its ID (the examples do this).
            contactpoint_id = str(wanted)
        else:
            contactpoint_id = self._new_id(connection)
        now = self.clock()
        connection.execute(
            self.sql(lambda t: insert(t.child)),
            {
                "contactpoint_id": contactpoint_id,
                "status": "live",
                "details": {},
                "details_as_of": dt.datetime(1900, 1, 1, tzinfo=dt.UTC),  # older than any message
                "shielded": shielded,
                "created_at": now,
            },
        )
        return contactpoint_id

    def _exists(self, connection: Connection, contactpoint_id: str) -> bool:
        found = connection.execute(
            self.sql(lambda t: select(t.child.c.contactpoint_id).where(t.child.c.contactpoint_id == bindparam("id"))),
            {"id": contactpoint_id},
        ).first()
        return found is not None

    def _new_id(self, connection: Connection) -> str:
        while True:
            digits = f"{secrets.randbelow(10**9):09d}"
            candidate = f"CP{digits}{contactpoint_id_check_digit(digits)}"
            if not self._exists(connection, candidate):
                return candidate

    def apply(
        self,
        connection: Connection,
        contactpoint_id: str,
        message: FeedMessage,
        *,
        refuse: bool,
        owners: dict[tuple[str, str, str], str] | None = None,
        record: Any = None,
        involvement: Any = _UNREAD,
    ) -> None:
        """Apply a message to one record. `refuse`: answer an impossible message with a refusal (the feed),
        rather than a `DirectoryConflict` (a data manager's resolution). What this transaction has just
        read may be passed on: `owners`, the records the message's identifiers belong to; `record`, the
        record's status and details (for one just created); `involvement`, the message's involvement row."""
        row = (
            record
            or connection.execute(
                self.sql(
                    lambda t: select(t.child.c.status, t.child.c.details, t.child.c.details_as_of).where(
                        t.child.c.contactpoint_id == bindparam("id")
                    )
                ),
                {"id": contactpoint_id},
            ).one()
        )
        if row.status != "live":
            problem = "the child's record is archived: the directory holds children up to the 18th birthday"
            if refuse:
                raise HandlerRefusal(
                    "CP-ARCHIVED",
                    problem,
                    path="child",
                    hint="stop sending this child; the record cannot change once archived",
                )
            raise DirectoryConflict("CP-ARCHIVED", problem, where="contactpointId", hint="choose a live record")
        sender = message.header.sender.organisation_id
        as_of = message.header.created_at
        self._bind_identifiers(connection, contactpoint_id, message.child, sender, owners)
        self._store_details(connection, contactpoint_id, message.child, as_of, row)
        if isinstance(message, ChildIdentityUpdate):
            if message.died_on is not None:
                connection.execute(
                    update(self.tables.child)
                    .where(self.tables.child.c.contactpoint_id == contactpoint_id)
                    .values(died_on=message.died_on)
                )
        elif isinstance(message, InvolvementStarted):
            self._start_involvement(connection, contactpoint_id, message, involvement)
        elif isinstance(message, InvolvementEnded):
            self._end_involvement(connection, contactpoint_id, message, involvement, refuse=refuse)
        else:
            self._caf_indicator(connection, contactpoint_id, message)

    def _bind_identifiers(
        self,
        connection: Connection,
        contactpoint_id: str,
        child: Child,
        sender: str,
        owners: dict[tuple[str, str, str], str] | None,
    ) -> None:
        keys = identifier_keys(child, sender)
        if owners is None:
            owners = identifier_owners(connection, self.tables, keys)
        new = []
        for key in keys:
            owner = owners.get(key)
            if owner is None:
                scheme, scope, value = key
                new.append({"scheme": scheme, "scope": scope, "value": value, "contactpoint_id": contactpoint_id})
            elif owner != contactpoint_id:
                # Matching never gets here for the feed; a data manager's resolution can.
                scheme, _, value = key
                raise DirectoryConflict(
                    "CP-IDENTIFIER-CONFLICT",
                    f"the message's {scheme} identifier {value} belongs to record {owner}",
                    where=f"child.identifiers.{scheme}",
                    hint=f"merge the message into {owner} instead",
                )
        if new:
            connection.execute(self.sql(lambda t: insert(t.identifier)), new)

    def _store_details(
        self, connection: Connection, contactpoint_id: str, child: Child, as_of: dt.datetime, row: Any
    ) -> None:
        """The child's details from a message, unless the record has newer ones; `row` is the record's."""
        if row.details and as_of < _aware(row.details_as_of):
            return  # the record already has newer details
        previous_names = bool(row.details)  # a record that never had details has no names yet
        previous = Child.model_validate(row.details) if row.details else None
        former: list[PersonName] = []
        for name in [*(previous.former_names if previous else []), *child.former_names]:
            if name != child.name and name not in former:
                former.append(name)
        if previous is not None and previous.name != child.name and previous.name not in former:
            former.append(previous.name)
        nhs = child.identifiers.nhs_number or (previous.identifiers.nhs_number if previous else None)
        upn = child.identifiers.upn or (previous.identifiers.upn if previous else None)
        # The sender's local ID is kept in the identifier table, scoped by sender; the record names no sender's ID.
        stored = child.model_copy(
            update={
                "identifiers": ChildIdentifiers(contactpoint_id=contactpoint_id, nhs_number=nhs, upn=upn),
                "former_names": former,
            }
        )
        born = child.date_of_birth or child.expected_date_of_birth
        connection.execute(
            self.sql(
                lambda t: (
                    update(t.child)
                    .where(t.child.c.contactpoint_id == bindparam("id"))
                    .values(
                        details=bindparam("details"),
                        details_as_of=bindparam("as_of"),
                        date_of_birth=bindparam("born"),
                        postcode_key=bindparam("postcode"),
                    )
                )
            ),
            {
                "id": contactpoint_id,
                "details": _json(stored),
                "as_of": as_of,
                "born": born,
                "postcode": child_postcode(child),
            },
        )
        previous_born = (previous.date_of_birth or previous.expected_date_of_birth) if previous else None
        if (
            previous is not None
            and previous.name == stored.name
            and previous.former_names == stored.former_names
            and previous_born == born
        ):
            return  # the names the record is found by are the same
        if previous_names:
            connection.execute(
                self.sql(lambda t: delete(t.name).where(t.name.c.contactpoint_id == bindparam("id"))),
                {"id": contactpoint_id},
            )
        connection.execute(
            self.sql(lambda t: insert(t.name)),
            [
                {
                    "contactpoint_id": contactpoint_id,
                    "family_key": name_key(name.family_name),
                    "given_key": name_key(name.given_names),
                    "current": name == stored.name,
                    "date_of_birth": born,
                }
                for name in [stored.name, *stored.former_names]
            ],
        )

    # --- involvements and the CAF indicator -------------------------------------------------

    def _refuse_another_senders(self, connection: Connection, sender: str, involvement_id: str) -> None:
        """CP-INV-OWNER: an involvement ends only by the system that started it."""
        if self._involvement_row(connection, sender, involvement_id) is not None:
            return
        inv = self.tables.involvement
        other = connection.execute(
            select(inv.c.sender).where(inv.c.involvement_id == involvement_id, inv.c.sender != sender).limit(1)
        ).first()
        if other is not None:
            raise HandlerRefusal(
                "CP-INV-OWNER",
                f"involvement {involvement_id} was started by another system, not by {sender}: only it may end it",
                path="involvementId",
                hint="end only the involvements your system started; ask the service that started it to end it",
            )

    def _involvement_row(self, connection: Connection, sender: str, involvement_id: str) -> Any:
        return connection.execute(
            self.sql(
                lambda t: select(t.involvement).where(
                    t.involvement.c.sender == bindparam("sender"),
                    t.involvement.c.involvement_id == bindparam("involvement_id"),
                )
            ),
            {"sender": sender, "involvement_id": involvement_id},
        ).first()

    def _involvement_on_file(self, connection: Connection, message: FeedMessage) -> Any:
        """The row of the involvement the message is about, if the sender has sent it before."""
        involvement_id = _involvement_id(message)
        if involvement_id is None:
            return None
        return self._involvement_row(connection, message.header.sender.organisation_id, involvement_id)

    def _start_involvement(
        self, connection: Connection, contactpoint_id: str, message: InvolvementStarted, on_file: Any = _UNREAD
    ) -> None:
        inv = self.tables.involvement
        sender = message.header.sender.organisation_id
        involvement = message.involvement
        values = {
            "contactpoint_id": contactpoint_id,
            "organisation_id": involvement.service.organisation.organisation_id,
            "sensitive": involvement.service.sensitive.value if involvement.service.sensitive else None,
            "start_date": involvement.start_date,
            "end_date": involvement.end_date,
            "as_of": message.header.created_at,
            "details": _json(involvement),
        }
        row = self._involvement_row(connection, sender, involvement.involvement_id) if on_file is _UNREAD else on_file
        if row is None:
            connection.execute(
                self.sql(lambda t: insert(t.involvement)),
                {"sender": sender, "involvement_id": involvement.involvement_id, **values},
            )
        elif message.header.created_at >= _aware(row.as_of):
            connection.execute(update(inv).where(inv.c.row_id == row.row_id).values(**values))

    def _end_involvement(
        self,
        connection: Connection,
        contactpoint_id: str,
        message: InvolvementEnded,
        on_file: Any = _UNREAD,
        *,
        refuse: bool,
    ) -> None:
        inv = self.tables.involvement
        sender = message.header.sender.organisation_id
        row = self._involvement_row(connection, sender, message.involvement_id) if on_file is _UNREAD else on_file
        if row is None:
            problem = f"involvement {message.involvement_id} of {sender} is not in the directory, so it cannot end"
            if refuse:
                raise HandlerRefusal(
                    "CP-INV-UNKNOWN",
                    problem,
                    path="involvementId",
                    hint="send the InvolvementStarted first (with the end date if it has ended)",
                )
            raise DirectoryConflict(
                "CP-INV-UNKNOWN",
                problem,
                where="involvementId",
                hint="resolve the held message that starts the involvement first",
            )
        if message.header.created_at < _aware(row.as_of):
            return
        details = dict(row.details)
        details["endDate"] = message.end_date.isoformat()
        connection.execute(
            update(inv)
            .where(inv.c.row_id == row.row_id)
            .values(
                contactpoint_id=contactpoint_id,
                end_date=message.end_date,
                as_of=message.header.created_at,
                details=details,
            )
        )

    def _caf_indicator(self, connection: Connection, contactpoint_id: str, message: CafIndicatorUpdate) -> None:
        caf = self.tables.caf_indicator
        sender = message.header.sender.organisation_id
        key = (caf.c.contactpoint_id == contactpoint_id) & (caf.c.sender == sender)
        row = connection.execute(select(caf.c.as_of).where(key)).first()
        if row is not None and message.header.created_at < _aware(row.as_of):
            return  # a later update from the same eCAF system is already here
        connection.execute(delete(caf).where(key))
        if message.caf_exists:
            connection.execute(
                insert(caf).values(
                    contactpoint_id=contactpoint_id,
                    sender=sender,
                    updated_on=message.updated_on,
                    as_of=message.header.created_at,
                    completed_by=_json(message.completed_by),
                    lead_professional=_json(message.lead_professional) if message.lead_professional else None,
                )
            )

    # --- holding for a data manager ---------------------------------------------------------

    def _held_earlier(self, connection: Connection, message: FeedMessage) -> tuple[str, ...] | None:
        """If an earlier message about the same child from the same sender is held, this one waits behind it."""
        sender = message.header.sender.organisation_id
        ids = message.child.identifiers
        involvement_id = _involvement_id(message)
        if not (ids.local_id or ids.nhs_number or involvement_id):
            return None
        row = connection.execute(
            self.sql(
                lambda t: (
                    select(t.match_queue.c.candidates)
                    .where(
                        # A literal, so the held-only indexes serve it.
                        t.match_queue.c.status == literal_column("'held'"),
                        or_(
                            *(
                                and_(t.match_queue.c.sender == bindparam("sender"), column == bindparam(column.name))
                                for column in (
                                    t.match_queue.c.local_id,
                                    t.match_queue.c.nhs_number,
                                    t.match_queue.c.involvement_id,
                                )
                            )
                        ),
                    )
                    .order_by(t.match_queue.c.entry_id)
                    .limit(1)
                )
            ),
            {
                "sender": sender,
                "local_id": ids.local_id,
                "nhs_number": ids.nhs_number,
                "involvement_id": involvement_id,
            },
        ).first()
        return None if row is None else tuple(row.candidates)

    def _hold(self, connection: Connection, message: FeedMessage, match: ChildMatch) -> None:
        ids = message.child.identifiers
        connection.execute(
            insert(self.tables.match_queue).values(
                received_at=self.clock(),
                message_id=message.header.message_id,
                message_type=message.message_type.value,
                sender=message.header.sender.organisation_id,
                local_id=ids.local_id,
                nhs_number=ids.nhs_number,
                involvement_id=_involvement_id(message),
                reason=match.held or "",
                candidates=list(match.candidates),
                message=_json(message),
                status="held",
            )
        )

    def held_message(self, data: Any) -> FeedMessage:
        """A held message back from the queue."""
        message = from_json_data(data)
        if not isinstance(message, FEED_TYPES):
            raise TypeError(f"the queue holds a {message.message_type.value}, not a feed message")
        return message


#: A record just created: live, with no details yet.
_NEW_RECORD = SimpleNamespace(status="live", details={}, details_as_of=dt.datetime(1900, 1, 1, tzinfo=dt.UTC))


def _involvement_id(message: FeedMessage) -> str | None:
    if isinstance(message, InvolvementStarted):
        return str(message.involvement.involvement_id)
    if isinstance(message, InvolvementEnded):
        return str(message.involvement_id)
    return None
