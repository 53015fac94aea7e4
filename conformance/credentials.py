"""The suite's own token issuer: how it authenticates as every system and every user a check needs.

A system under test over HTTP accepts tokens only from issuers it trusts. For accreditation the
tester configures it to trust the conformance suite's issuer as well (its ID, `issuer`, and its
public keys, written by `ics-interop conformance keygen`), so the suite can sign, for the
system's audience,

- a system token for every connected system a check plays (each sender of a message, with the
  scopes the check gives it), and
- a user token for every user a check sets up (with the user's practitioner details),

and, for the checks of the binding's security, the tokens a system must refuse: expired, for
another audience, signed by a key it does not trust, without the scope, of the wrong type. The
private key stays with the tester (`--option issuer-key=FILE`); the report never shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._adapters import LocalIssuer, load_private_key, new_signing_key, save_private_key

__all__ = ["SUITE_ISSUER", "keygen", "suite_issuer"]

#: The issuer ID of the suite's tokens, unless the tester names another (`--option issuer=...`).
SUITE_ISSUER = "urn:ics-interop:conformance-suite"


class CredentialsMissing(ValueError):
    """Raised when an HTTP target is given without the suite's issuer key."""


def keygen(path: Path) -> dict[str, Any]:
    """Make the suite's signing key, save it (readable by its owner only); the public JWKS to configure."""
    key = new_signing_key()
    save_private_key(key, path)
    return {"keys": [key.as_dict(private=False)]}


def suite_issuer(options: Mapping[str, str]) -> LocalIssuer:
    """The suite's issuer for a run, from the target's options (`issuer-key`, and `issuer` to rename it)."""
    key_file = options.get("issuer-key")
    if not key_file:
        raise CredentialsMissing(
            "a system over HTTP accepts only tokens it trusts: make the suite's key with "
            "`ics-interop conformance keygen --out suite-key.json`, configure the system to trust the issuer "
            f"{options.get('issuer', SUITE_ISSUER)!r} with the public keys it prints, and give "
            "--option issuer-key=suite-key.json"
        )
    return LocalIssuer(options.get("issuer", SUITE_ISSUER), load_private_key(Path(key_file)))
