"""Signing keys and key sets (JWK, JWKS), through joserfc: made, saved, read and published.

Keys are EC P-256 (ES256) by default: small, fast to verify, and accepted by every identity
provider worth plugging in. A private key is saved as a JWK file readable by its owner only;
what is published or registered is the public JWKS (`public_jwks`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey, KeySet, RSAKey, import_key

__all__ = [
    "SIGNING_ALGORITHMS",
    "algorithm_for",
    "key_set",
    "load_private_key",
    "new_signing_key",
    "public_jwks",
    "save_private_key",
]

#: The signature algorithms the binding accepts (asymmetric only: never `none`, never a shared secret).
SIGNING_ALGORITHMS = ("ES256", "ES384", "RS256", "PS256", "EdDSA")

SigningKey = ECKey | RSAKey


def new_signing_key() -> ECKey:
    """A fresh P-256 key with a thumbprint key ID."""
    return ECKey.generate_key("P-256", auto_kid=True)


def algorithm_for(key: Any) -> str:
    """The algorithm a key signs with."""
    if isinstance(key, ECKey):
        return {"P-256": "ES256", "P-384": "ES384"}.get(str(key.get("crv")), "ES256")
    if isinstance(key, RSAKey):
        return "RS256"
    return "EdDSA"


def public_jwks(keys: Iterable[Any]) -> dict[str, Any]:
    """The public JWKS of some keys, as an issuer publishes it or a client registers it."""
    return {"keys": [key.as_dict(private=False) for key in keys]}


def key_set(jwks: Mapping[str, Any]) -> KeySet:
    """A JWKS document as a key set (public keys only: private members are dropped)."""
    keys = []
    for entry in jwks.get("keys", []):
        key = import_key(dict(entry))
        keys.append(import_key(key.as_dict(private=False)))
    return KeySet(keys)


def save_private_key(key: Any, path: Path) -> None:
    """Write a private key as a JWK file only its owner may read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(key.as_dict(private=True), out, indent=2)


def load_private_key(path: Path) -> Any:
    """Read a private JWK file (as `save_private_key` writes it)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    key = import_key(data)
    if not key.is_private:
        raise ValueError(f"{path} holds a public key: give the private key (a JWK with its private members)")
    return key
