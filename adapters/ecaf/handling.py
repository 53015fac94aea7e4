"""Turning National eCAF's refusals into the receiver's: a handler refuses with the rule that failed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from ..messaging import HandlerRefusal
from .errors import ConsentRefused, EcafError

__all__ = ["refusing"]

M = TypeVar("M")


def refusing(handler: Callable[[Connection, M], None]) -> Callable[[Connection, Any], None]:
    """A handler whose `EcafError`s and `ConsentRefused`s reject the message (F10) instead of escaping."""

    def handle(connection: Connection, message: Any) -> None:
        try:
            handler(connection, message)
        except (EcafError, ConsentRefused) as exc:
            raise HandlerRefusal(exc.rule_id, exc.message, path=exc.where, hint=exc.hint) from exc

    return handle
