"""Matching an incoming child to the directory's records, so that no child gets two.

Duplicates were a real failure of the national directory: a shielded child's location
leaked through an unshielded duplicate (DOMAIN.md). So the directory matches on what it
can trust, and where it cannot be sure it does not guess: the message is held for a data
manager.

1. Identifiers first: the ContactPoint ID, the NHS number, the UPN, the sender's own local ID
   (scoped by sender: two systems' local IDs never meet), and for an involvement already on
   record, the involvement itself. All hits must be the same record, and that record must
   not contradict the message (another NHS number; both name and date of birth different).
2. Otherwise name, date of birth and postcode: a record with the same family name (current
   or former), date of birth, first given name, postcode and gender (or a gender not known),
   and no identifier that says otherwise, is the child. The same name and date of birth with a
   different or missing postcode, another gender, or two such records, is held: it may be the
   same child, moved.
3. The same name and date of birth while an identifier of the same kind differs (another NHS
   number, UPN, or the same sender's other local ID) is held too, never a new record: a
   mistyped number is as likely as another child, and a new record beside a shielded child's
   would show the location the shielding hides (the failure DOMAIN.md names).
4. No record shares family name, date of birth and first given name: a new child (twins
   share the rest).

The policy, row by row, is a table in the documentation (docs/contactpoint.md), and each row
has a test on SQLite and PostgreSQL (tests/test_contactpoint_matching.py).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable

import attrs
from sqlalchemy import and_, bindparam, or_, select, text
from sqlalchemy.engine import Connection

from ics_interop.model import Child
from ics_interop.model.codes import Gender

from .tables import DirectoryTables

__all__ = [
    "ChildMatch",
    "identifier_keys",
    "identifier_owners",
    "match_child",
    "name_key",
    "postcode_key",
    "serialise_matching",
]


def name_key(value: str) -> str:
    """A name as the directory compares it: no accents, no case, punctuation as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def postcode_key(value: str | None) -> str | None:
    """A postcode as the directory compares it: capitals, no spaces."""
    if value is None:
        return None
    key = "".join(value.split()).upper()
    return key or None


def child_postcode(child: Child) -> str | None:
    """The postcode of the child's address, or last-known address."""
    address = child.address or child.last_known_address
    return postcode_key(address.postcode) if address is not None else None


def identifier_keys(child: Child, sender: str) -> list[tuple[str, str, str]]:
    """The (scheme, scope, value) keys of a child's identifiers, the local ID scoped by its sender."""
    ids = child.identifiers
    keys = []
    if ids.nhs_number:
        keys.append(("nhs", "", ids.nhs_number))
    if ids.upn:
        keys.append(("upn", "", ids.upn))
    if ids.local_id:
        keys.append(("local", sender, ids.local_id))
    return keys


@attrs.frozen
class ChildMatch:
    """The outcome of matching: a record, a new child (perhaps with an ID to adopt), or a hold."""

    contactpoint_id: str | None = None
    held: str | None = None  # why the message is held for a data manager
    candidates: tuple[str, ...] = ()
    #: The record each of the message's identifiers already belongs to (read while matching).
    owners: dict[tuple[str, str, str], str] = attrs.field(factory=dict)


def serialise_matching(connection: Connection, child: Child) -> None:
    """On PostgreSQL, let one transaction at a time match children of the same family name and birth date.

    Without it, two messages about the same new child arriving at once could each create a
    record. (Identifiers are unique in the table, which catches the case where both carry one.)
    """
    if connection.dialect.name != "postgresql":
        return  # SQLite allows one writer at a time already
    born = child.date_of_birth or child.expected_date_of_birth
    digest = hashlib.blake2b(f"{name_key(child.name.family_name)}|{born}".encode(), digest_size=8).digest()
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest, "big", signed=True)})


def _names(connection: Connection, tables: DirectoryTables, contactpoint_id: str) -> list[tuple[str, str]]:
    rows = connection.execute(
        tables.sql(
            lambda t: select(t.name.c.family_key, t.name.c.given_key).where(t.name.c.contactpoint_id == bindparam("id"))
        ),
        {"id": contactpoint_id},
    ).all()
    return [(row.family_key, row.given_key) for row in rows]


def _first(given_key: str) -> str:
    return given_key.split(" ", 1)[0]


def _child_names(child: Child) -> list[tuple[str, str]]:
    return [(name_key(n.family_name), name_key(n.given_names)) for n in [child.name, *child.former_names]]


def _identifiers_of(connection: Connection, tables: DirectoryTables, contactpoint_id: str) -> set[tuple[str, str, str]]:
    rows = connection.execute(
        tables.sql(
            lambda t: select(t.identifier.c.scheme, t.identifier.c.scope, t.identifier.c.value).where(
                t.identifier.c.contactpoint_id == bindparam("id")
            )
        ),
        {"id": contactpoint_id},
    ).all()
    return {(row.scheme, row.scope, row.value) for row in rows}


def _contradicts(
    held: set[tuple[str, str, str]], keys: Iterable[tuple[str, str, str]], schemes: tuple[str, ...]
) -> bool:
    """Whether a record holds, for one of `schemes` (in the same scope), a value other than the message's."""
    for scheme, scope, value in keys:
        if scheme not in schemes:
            continue
        if any(s == scheme and sc == scope and v != value for s, sc, v in held):
            return True
    return False


def match_child(
    connection: Connection,
    tables: DirectoryTables,
    child: Child,
    sender: str,
    *,
    pinned: str | None = None,
) -> ChildMatch:
    """Find the record `child` (as `sender` sends it) is about; `pinned` is a record an involvement already names."""
    keys = identifier_keys(child, sender)
    hits: set[str] = set()
    if pinned is not None:
        hits.add(pinned)
    sent_id = child.identifiers.contactpoint_id
    sent_id_known = False
    if sent_id is not None:
        found = connection.execute(
            select(tables.child.c.contactpoint_id).where(tables.child.c.contactpoint_id == sent_id)
        ).first()
        if found is not None:
            hits.add(sent_id)
            sent_id_known = True
    owners = identifier_owners(connection, tables, keys)
    hits.update(owners.values())
    if len(hits) > 1:
        return ChildMatch(held="the child's identifiers point at more than one record", candidates=tuple(sorted(hits)))
    if hits:
        return attrs.evolve(
            _confirm(connection, tables, child, keys, hits.pop(), sent_id, sent_id_known), owners=owners
        )
    return attrs.evolve(_by_details(connection, tables, child, keys), owners=owners)


def identifier_owners(
    connection: Connection, tables: DirectoryTables, keys: list[tuple[str, str, str]]
) -> dict[tuple[str, str, str], str]:
    """The record each of `keys` (at most three: NHS number, UPN, local ID) belongs to, in one statement."""
    if not keys:
        return {}
    if len(keys) > 3:
        raise ValueError("a child has at most three identifier keys")
    params: dict[str, str | None] = {}
    for i in range(3):
        scheme, scope, value = keys[i] if i < len(keys) else (None, None, None)
        params |= {f"scheme{i}": scheme, f"scope{i}": scope, f"value{i}": value}
    rows = connection.execute(
        tables.sql(
            lambda t: select(t.identifier).where(
                or_(
                    *(
                        and_(
                            t.identifier.c.scheme == bindparam(f"scheme{i}"),
                            t.identifier.c.scope == bindparam(f"scope{i}"),
                            t.identifier.c.value == bindparam(f"value{i}"),
                        )
                        for i in range(3)
                    )
                )
            )
        ),
        params,
    )
    return {(row.scheme, row.scope, row.value): row.contactpoint_id for row in rows}


def _confirm(
    connection: Connection,
    tables: DirectoryTables,
    child: Child,
    keys: list[tuple[str, str, str]],
    record: str,
    sent_id: str | None,
    sent_id_known: bool,
) -> ChildMatch:
    """An identifier names one record: take it, unless the record contradicts the message."""
    if sent_id is not None and not sent_id_known:
        return ChildMatch(
            held="the ContactPoint ID sent is not the ID of the record the other identifiers name", candidates=(record,)
        )
    if _contradicts(_identifiers_of(connection, tables, record), keys, ("nhs",)):
        return ChildMatch(held="the record the identifiers name has a different NHS number", candidates=(record,))
    row = connection.execute(
        tables.sql(lambda t: select(t.child.c.date_of_birth).where(t.child.c.contactpoint_id == bindparam("id"))),
        {"id": record},
    ).one()
    born = child.date_of_birth or child.expected_date_of_birth
    families = {family for family, _ in _names(connection, tables, record)}
    if row.date_of_birth != born and not families & {family for family, _ in _child_names(child)}:
        return ChildMatch(
            held="the record the identifiers name has a different name and date of birth", candidates=(record,)
        )
    return ChildMatch(contactpoint_id=record)


def _by_details(
    connection: Connection, tables: DirectoryTables, child: Child, keys: list[tuple[str, str, str]]
) -> ChildMatch:
    """No identifier is known: match on name, date of birth and postcode, or hold.

    The records in play are found through the names index by date of birth first (far more
    selective than a family name), and what is needed of them (every name, the identifiers,
    postcode and gender) is read in one statement each, however many there are.
    """
    born = child.date_of_birth or child.expected_date_of_birth
    names = _child_names(child)
    families = sorted({family for family, _ in names})
    firsts = {_first(given) for _, given in names}
    name = tables.name
    found = sorted(
        {
            row.contactpoint_id
            for row in connection.execute(
                select(name.c.contactpoint_id).where(
                    name.c.date_of_birth == born, name.c.family_key.in_(bindparam("families", expanding=True))
                ),
                {"families": families},
            )
        }
    )
    if not found:
        return ChildMatch()
    given_of: dict[str, set[str]] = {}
    for named in connection.execute(
        select(name.c.contactpoint_id, name.c.given_key).where(name.c.contactpoint_id.in_(found))
    ):
        given_of.setdefault(named.contactpoint_id, set()).add(_first(named.given_key))
    ident = tables.identifier
    held_ids: dict[str, set[tuple[str, str, str]]] = {}
    for held in connection.execute(
        select(ident.c.contactpoint_id, ident.c.scheme, ident.c.scope, ident.c.value).where(
            ident.c.contactpoint_id.in_(found)
        )
    ):
        held_ids.setdefault(held.contactpoint_id, set()).add((held.scheme, held.scope, held.value))
    records = connection.execute(
        select(tables.child.c.contactpoint_id, tables.child.c.postcode_key, tables.child.c.details).where(
            tables.child.c.contactpoint_id.in_(found), tables.child.c.date_of_birth == born
        )
    ).all()
    # A brother or sister born the same day has another first given name: not a candidate.
    likely = [row for row in records if firsts & given_of.get(row.contactpoint_id, set())]
    if not likely:
        return ChildMatch()
    candidates = tuple(sorted(r.contactpoint_id for r in likely))
    # An identifier of the same kind with another value: a typing slip, or another child. Not
    # for the directory to guess, and never a new record beside the one it may duplicate.
    conflicting = [
        label
        for scheme, label in _SCHEMES
        if any(_contradicts(held_ids.get(r.contactpoint_id, set()), keys, (scheme,)) for r in likely)
    ]
    if conflicting:
        return ChildMatch(
            held=f"a record has the child's name and date of birth, but another {' and '.join(conflicting)}",
            candidates=candidates,
        )
    if len(likely) > 1:
        return ChildMatch(held="more than one record has the child's name and date of birth", candidates=candidates)
    (row,) = likely
    postcode = child_postcode(child)
    if postcode is None or postcode != row.postcode_key:
        return ChildMatch(
            held="a record has the child's name and date of birth, but not the same postcode, and no identifier "
            "in common",
            candidates=candidates,
        )
    gender = Gender(row.details["gender"])
    if Gender.NOT_KNOWN not in (gender, child.gender) and gender != child.gender:
        return ChildMatch(
            held="a record has the child's name, date of birth and postcode, but another gender", candidates=candidates
        )
    if child.identifiers.contactpoint_id is not None:
        # The details are this record's, but the sender holds an ID the directory never gave it.
        return ChildMatch(
            held="the child's details match a record, but the ContactPoint ID sent is not that record's",
            candidates=candidates,
        )
    return ChildMatch(contactpoint_id=row.contactpoint_id)


#: The identifier schemes a record and a message can disagree on, as the acknowledgement names them.
_SCHEMES = (("nhs", "NHS number"), ("upn", "UPN"), ("local", "local ID from the same sender"))
