"""The three kinds of target: a service over HTTP, a Python adapter, a folder of exported messages.

`parse_target` reads what `--target` says: `http://host:port` (or https), the path of a
folder, or `package.module:factory` naming a Python adapter (a class or a function that
returns one). A target opens as the object the checks drive (`open`), and describes itself
for the report with its secrets redacted (`describe`): a password in a URL, a token in a
query or an option, any adapter description key that looks like a secret.
"""

from __future__ import annotations

import importlib
import re
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs

from ics_interop.messages import SystemRef
from ics_interop.model.codes import SystemKind

from .credentials import CredentialsMissing, suite_issuer
from .http_drivers import DirectoryOverHttp, EcafOverHttp, HttpSystem, IcsOverHttp
from .registry import TargetKind

__all__ = ["REDACTED", "Target", "TargetError", "parse_target", "redact", "redact_url"]

REDACTED = "***"
_SECRET = re.compile(r"(pass(word)?|secret|token|api[-_]?key|key|auth|credential|cookie|session)", re.IGNORECASE)
_FILES = ("*.xml", "*.json", "*.jsonl")


class TargetError(ValueError):
    """Raised when a target cannot be understood or opened; says what to give instead."""


def redact_url(url: str) -> str:
    """The URL without a password, and with secret-looking query values hidden."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{REDACTED}@{host}" if ":" in userinfo else f"{REDACTED}@{host}"
    query = urlencode([(k, REDACTED if _SECRET.search(k) else v) for k, v in parse_qsl(parts.query)])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact(values: Mapping[str, Any]) -> dict[str, Any]:
    """A description with every secret-looking value replaced (keys that name a secret; URLs with passwords)."""
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        if _SECRET.search(str(key)):
            cleaned[str(key)] = REDACTED
        elif isinstance(value, Mapping):
            cleaned[str(key)] = redact(value)
        elif isinstance(value, str) and "://" in value:
            cleaned[str(key)] = redact_url(value)
        else:
            cleaned[str(key)] = value
    return cleaned


def _default_identity(profile: str, organisation: str | None) -> SystemRef:
    if profile == "contactpoint":
        return SystemRef(system=SystemKind.CONTACTPOINT, organisation_id=organisation or "DCSF")
    if profile == "ecaf":
        return SystemRef(system=SystemKind.NATIONAL_ECAF, organisation_id=organisation or "DCSF")
    if profile in ("ics", "feed-source"):
        if not organisation:
            raise TargetError(
                "an ICS system over HTTP is addressed by its organisation: give --option organisation=ORG "
                "(for example LA206-CSC)"
            )
        return SystemRef(system=SystemKind.ICS, organisation_id=organisation)
    raise TargetError(f"unknown profile {profile!r}")


@attrs.frozen
class Target:
    """A system to test, as the command line named it."""

    kind: TargetKind
    spec: str
    options: Mapping[str, str] = attrs.field(factory=dict)
    adapter: Any = None  # an adapter object given directly (from Python or the pytest plugin)

    def describe(self) -> dict[str, Any]:
        """What the report says about the target, secrets redacted."""
        spec = redact_url(self.spec) if self.kind == "http" else self.spec
        return {"kind": self.kind, "target": spec, "options": redact(dict(self.options))}

    def folder_messages(self) -> list[tuple[str, bytes]]:
        """For a folder: every XML, JSON or JSON Lines file in it (and below), with its path in the folder."""
        if self.kind != "folder":
            return []
        root = Path(self.spec)
        files = sorted({p for pattern in _FILES for p in root.rglob(pattern) if p.is_file()})
        return [(p.relative_to(root).as_posix(), p.read_bytes()) for p in files]

    @contextmanager
    def open(self, profile: str) -> Iterator[Any]:
        """The object the checks drive (None for a folder), closed at the end of the block."""
        if self.kind == "folder":
            yield None
            return
        if self.kind == "http":
            system = self._http_system(profile)
            try:
                yield system
            finally:
                system.close()
            return
        adapter = self.adapter if self.adapter is not None else _load_adapter(self.spec)
        try:
            yield adapter
        finally:
            if self.adapter is None and callable(getattr(adapter, "close", None)):
                adapter.close()

    def _http_system(self, profile: str) -> HttpSystem:
        identity = _default_identity(profile, self.options.get("organisation"))
        try:
            issuer = suite_issuer(self.options)
        except CredentialsMissing as missing:
            raise TargetError(str(missing)) from None
        common: dict[str, Any] = {
            "issuer": issuer,
            "audience": self.options.get("audience") or self.spec,
            "timeout": float(self.options.get("timeout", "20")),
            "verify": ssl.create_default_context(cafile=self.options["ca-file"])
            if self.options.get("ca-file")
            else True,
        }
        if profile == "contactpoint":
            manager = self.options.get("data-manager")
            if not manager:
                raise TargetError(
                    "the contactpoint profile acts as a data manager of the directory (to register test users and "
                    "set shielding): give --option data-manager=USER_ID (and data-manager-organisation=ORG if it "
                    "is not the directory's own)"
                )
            organisation = self.options.get("data-manager-organisation")
            return DirectoryOverHttp(
                self.spec, identity, data_manager=manager, data_manager_organisation=organisation, **common
            )
        if profile == "ecaf":
            manager = self.options.get("manager")
            if not manager:
                raise TargetError(
                    "the ecaf profile reads the management report and the access audit as a manager: give "
                    "--option manager=USER_ID (a user registered as manager; manager-organisation=ORG if not eCAF's)"
                )
            organisation = self.options.get("manager-organisation")
            return EcafOverHttp(self.spec, identity, manager=manager, manager_organisation=organisation, **common)
        if profile == "ics":
            worker = self.options.get("worker", "CONF-ICS-WORKER")
            return IcsOverHttp(self.spec, identity, worker=worker, **common)
        return HttpSystem(self.spec, identity, **common)


def _load_adapter(spec: str) -> Any:
    module_name, _, attribute = spec.removeprefix("python:").partition(":")
    if not module_name or not attribute:
        raise TargetError(f"{spec!r}: name a Python adapter as package.module:factory")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TargetError(f"{spec!r}: cannot import {module_name}: {exc}") from exc
    factory = getattr(module, attribute, None)
    if factory is None:
        raise TargetError(f"{spec!r}: {module_name} has no {attribute}")
    return factory() if callable(factory) else factory


def parse_target(spec: str, options: Mapping[str, str] | None = None) -> Target:
    """Read `--target`: a URL, a folder, or a Python adapter (`package.module:factory`)."""
    given = dict(options or {})
    if spec.startswith(("http://", "https://")):
        return Target("http", spec.rstrip("/"), given)
    if Path(spec).is_dir():
        return Target("folder", spec, given)
    if ":" in spec.removeprefix("python:") and not Path(spec).exists():
        return Target("adapter", spec, given)
    raise TargetError(
        f"{spec!r} is not a target: give http://host:port (a service), the path of a folder of exported messages, "
        "or package.module:factory (a Python adapter)"
    )
