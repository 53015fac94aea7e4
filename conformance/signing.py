"""The evidence bundle, signed by the tester, and verified by anyone who has the tester's public keys.

An evidence bundle holds `SHA256SUMS`, a line per file (its SHA-256 and its name), and the
manifest it lists names the system tested, the tester, the date and the suite's and standard's
versions. The tester signs `SHA256SUMS` with their own key: `SHA256SUMS.jws` is a JWS in
compact form with a detached payload (RFC 7515, appendix F: `header..signature`; the payload is
the `SHA256SUMS` file itself). So the signature covers every file of the bundle through its
hash, and the bundle proves both that nothing in it changed and who vouched for it.

`verify_bundle` checks a bundle as a reviewer does: every file listed, with its hash; nothing
in the bundle that is not listed; and, given the tester's published keys (a JWKS), the
signature. The keys must come from the tester (published, or sent apart from the bundle): a key
inside the bundle would prove nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

__all__ = ["SIGNATURE_FILE", "SUMS_FILE", "BundleCheck", "sign_sums", "signer_key", "verify_bundle"]

SUMS_FILE = "SHA256SUMS"
SIGNATURE_FILE = "SHA256SUMS.jws"
#: The JWS `typ` of a bundle's signature, so it cannot be taken for an access token or the reverse.
SIGNATURE_TYPE = "ics-interop-evidence+jws"


def signer_key(path: str | Path) -> Any:
    """The tester's private signing key (a JWK file, as `conformance keygen --tester` writes it)."""
    from ._adapters import load_private_key

    try:
        return load_private_key(Path(path))
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(
            f"--sign-key {path}: {error}; make a key with `ics-interop conformance keygen --tester --out {path} "
            "--jwks-out tester-jwks.json` and publish the JWKS"
        ) from None


def sign_sums(sums: bytes, key: Any) -> str:
    """The detached JWS of `SHA256SUMS`: `header..signature`."""
    from joserfc import jws

    from ._adapters import algorithm_for

    header = {"alg": algorithm_for(key), "kid": key.kid, "typ": SIGNATURE_TYPE}
    detached: str = jws.detach_content(jws.serialize_compact(header, sums, key))
    return detached


@attrs.frozen
class BundleCheck:
    """What a bundle's verification found: its problems (none when it holds), whether it is signed, and by which key."""

    problems: tuple[str, ...]
    signed: bool
    signature_verified: bool
    key_id: str | None
    manifest: Mapping[str, Any]

    @property
    def holds(self) -> bool:
        """Nothing changed, and (when it is signed and keys were given) the signature is good."""
        return not self.problems


def verify_bundle(bundle: bytes, jwks: Mapping[str, Any] | None = None) -> BundleCheck:
    """Check a bundle's files against `SHA256SUMS`, and its signature against the tester's `jwks`."""
    try:
        with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
            files = {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ValueError(f"not an evidence bundle (a zip file): {error}") from None
    if SUMS_FILE not in files:
        raise ValueError(f"not an evidence bundle: it has no {SUMS_FILE}")
    problems: list[str] = []
    sums = files[SUMS_FILE]
    listed: dict[str, str] = {}
    for number, line in enumerate(sums.decode("utf-8", "replace").splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep:
            problems.append(f"{SUMS_FILE} line {number} is not 'SHA256  NAME'")
            continue
        listed[name] = digest
    for name, digest in sorted(listed.items()):
        if name not in files:
            problems.append(f"{name} is listed in {SUMS_FILE} but missing from the bundle")
        elif hashlib.sha256(files[name]).hexdigest() != digest:
            problems.append(f"{name} changed: its SHA-256 is not the one {SUMS_FILE} lists")
    for name in sorted(set(files) - set(listed) - {SUMS_FILE, SIGNATURE_FILE}):
        problems.append(f"{name} is in the bundle but not in {SUMS_FILE}: it was added afterwards")
    try:
        manifest = json.loads(files.get("manifest.json", b"{}"))
    except ValueError:
        manifest = {}
        problems.append("manifest.json is not JSON")
    signature = files.get(SIGNATURE_FILE)
    key_id = None
    verified = False
    if signature is None:
        if jwks is not None:
            problems.append(f"the bundle is not signed (no {SIGNATURE_FILE}): it proves no tester vouched for it")
    else:
        key_id, verified, problem = _check_signature(signature.decode("ascii", "replace").strip(), sums, jwks)
        if problem:
            problems.append(problem)
    return BundleCheck(tuple(problems), signature is not None, verified, key_id, manifest)


def _check_signature(detached: str, sums: bytes, jwks: Mapping[str, Any] | None) -> tuple[str | None, bool, str]:
    from joserfc import jws
    from joserfc.errors import JoseError

    from ._adapters import SIGNING_ALGORITHMS, key_set

    parts = detached.split(".")
    if len(parts) != 3 or parts[1]:
        return None, False, f"{SIGNATURE_FILE} is not a detached JWS (header..signature)"
    try:
        header = jws.extract_compact(detached.encode("ascii"), payload=sums).protected
    except (JoseError, ValueError) as error:
        return None, False, f"{SIGNATURE_FILE} cannot be read as a JWS ({type(error).__name__})"
    key_id = str(header["kid"]) if header.get("kid") else None
    if jwks is None:
        return key_id, False, ""
    if header.get("alg") not in SIGNING_ALGORITHMS:
        return key_id, False, f"{SIGNATURE_FILE}: alg {header.get('alg')!r} is not an asymmetric signature"
    if header.get("typ") != SIGNATURE_TYPE:
        return key_id, False, f"{SIGNATURE_FILE}: typ {header.get('typ')!r} is not {SIGNATURE_TYPE!r}"
    try:
        jws.deserialize_compact(detached, key_set(jwks), algorithms=[str(header["alg"])], payload=sums)
    except (JoseError, ValueError) as error:
        return (
            key_id,
            False,
            (
                f"the signature does not verify with the keys given ({type(error).__name__}): "
                "the bundle changed after it was signed, or another key signed it"
            ),
        )
    return key_id, True, ""
