"""Who may use National eCAF, and as what: its registration of users, and the practitioner a request acts for.

A user is known by the subject of their access token. National eCAF registers some users with a
role: **managers** read the management reports and the access audit, **administrators** register
users. Any other authenticated user is a **practitioner**: their details (name, organisation,
contact) come from National eCAF's registration of them, or else from the `practitioner` claim
of their token (the standard's Practitioner), which must name the token's own subject and
organisation. What a practitioner may see of an episode is then decided by its consent ledger
(CAF-002), practitioner by practitioner: a token is never a reason to show a CAF.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

from pydantic import Field, ValidationError
from sqlalchemy import insert, select, update

from ics_interop.model import IcsModel, Practitioner

from ..auth.principal import Principal
from .context import Context
from .errors import RoleRefused

__all__ = ["EcafRole", "RegisteredUser", "UserRegistration", "acting_practitioner", "register_user", "require_role"]


class EcafRole(enum.StrEnum):
    """What a registered user of National eCAF may do beyond a practitioner's work with consent."""

    PRACTITIONER = "practitioner"
    MANAGER = "manager"
    ADMINISTRATOR = "administrator"


class UserRegistration(IcsModel):
    """A user to register (or re-register with another role): the practitioner, and the role."""

    practitioner: Practitioner = Field(description="The user; their practitionerId is the subject of their tokens.")
    role: EcafRole = Field(description="practitioner, manager (reports and audit) or administrator (users).")


class RegisteredUser(UserRegistration):
    """A registered user."""

    registered_at: dt.datetime = Field(description="When (UTC).")
    registered_by: str | None = Field(default=None, description="The administrator, or none for the operator.")


def register_user(ctx: Context, registration: UserRegistration, *, by: Practitioner | None) -> RegisteredUser:
    """Register a user (an administrator's act; `by=None` is the operator at the command line)."""
    if by is not None:
        require_role(ctx, by, (EcafRole.ADMINISTRATOR,))
    practitioner = registration.practitioner
    now = ctx.now()
    table = ctx.tables.users
    values = {
        "organisation_id": practitioner.organisation.organisation_id,
        "role": registration.role.value,
        "practitioner": practitioner.model_dump(mode="json", by_alias=True, exclude_none=True),
        "registered_at": now,
        "registered_by": by.practitioner_id if by is not None else None,
    }
    with ctx.store.transaction() as connection:
        where = table.c.user_id == practitioner.practitioner_id
        if connection.execute(select(table.c.user_id).where(where)).first() is None:
            connection.execute(insert(table).values(user_id=practitioner.practitioner_id, **values))
        else:
            connection.execute(update(table).where(where).values(**values))
    return RegisteredUser(
        practitioner=practitioner,
        role=registration.role,
        registered_at=now,
        registered_by=values["registered_by"],
    )


def _registered(ctx: Context, user_id: str) -> tuple[EcafRole, Practitioner] | None:
    with ctx.store.reading() as connection:
        row = connection.execute(select(ctx.tables.users).where(ctx.tables.users.c.user_id == user_id)).first()
    if row is None:
        return None
    return EcafRole(row.role), Practitioner.model_validate(row.practitioner)


def require_role(ctx: Context, by: Practitioner, roles: Iterable[EcafRole]) -> None:
    """Refuse (NECAF-ROLE) unless `by` is registered here with one of `roles`, in the same organisation."""
    allowed = tuple(roles)
    found = _registered(ctx, by.practitioner_id)
    registered_role = found[0] if found is not None else EcafRole.PRACTITIONER
    same_organisation = found is None or found[1].organisation.organisation_id == by.organisation.organisation_id
    if registered_role not in allowed or not same_organisation:
        raise RoleRefused(
            "NECAF-ROLE",
            f"{by.practitioner_id} is registered as {registered_role.value!r}; this needs "
            + " or ".join(repr(r.value) for r in allowed),
            where="Authorization",
            hint="ask a National eCAF administrator to register you with that role",
        )


def acting_practitioner(ctx: Context, principal: Principal) -> Practitioner:
    """The practitioner an authenticated user's request acts as: from the registration, else from the token."""
    found = _registered(ctx, principal.subject)
    if found is not None:
        practitioner = found[1]
        if practitioner.organisation.organisation_id != principal.organisation_id:
            raise RoleRefused(
                "NECAF-USER",
                f"the token names the organisation {principal.organisation_id}, but {principal.subject} is "
                f"registered with {practitioner.organisation.organisation_id}",
                where="Authorization",
                hint="use a token from your own organisation, or ask an administrator to update your registration",
            )
        return practitioner
    if principal.practitioner is not None:
        try:
            claimed: Practitioner | None = Practitioner.model_validate(principal.practitioner)
        except ValidationError:
            claimed = None
        if (
            claimed is not None
            and claimed.practitioner_id == principal.subject
            and claimed.organisation.organisation_id == principal.organisation_id
        ):
            return claimed
    raise RoleRefused(
        "NECAF-USER",
        f"National eCAF does not know who {principal.subject} is: not registered here, and the token carries "
        "no practitioner details of its own subject and organisation",
        where="Authorization",
        hint="ask an administrator to register you, or use a token that carries your practitioner details",
    )
