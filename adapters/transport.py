"""Transports: how one system's bytes reach another's receiver, in-process or over HTTP.

Both carry the sender's credential. In one process the sending system is known for certain
(`InProcessTransport` is made for one sender, and hands the receiver that sender's principal);
over HTTP the sender authenticates with an access token for the receiving service, which
`HttpTransport` gets from its authorisation server with the system's client credentials (or
is given, as a function of the receiving service's audience, by tests).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping, Sequence

import httpx

from ics_interop.messages import SystemRef

from .auth.client import ClientCredentials, TokenRequestFailed
from .auth.principal import Principal
from .messaging import TransportError

__all__ = ["Credentials", "HttpTransport", "InProcessTransport", "TokenSource", "sender_key", "tls_context"]

#: Gives the access token a sender presents to a service, from the service's audience and the sender.
TokenSource = Callable[[str, SystemRef], str]
#: How a transport's senders authenticate: one client's credentials, one per sender (keyed by
#: `sender_key`: a system that is two systems of the standard, an ICS and its local eCAF module,
#: has a client for each), or a function of the audience and the sender.
Credentials = ClientCredentials | Mapping[str, ClientCredentials] | TokenSource


def sender_key(sender: SystemRef) -> str:
    """The key of a sender's credentials: its kind of system and its organisation."""
    return f"{sender.system.value}:{sender.organisation_id}"


def tls_context(ca_file: str | None) -> ssl.SSLContext | bool:
    """How to verify a peer's HTTPS certificate: against `ca_file`, or the system's trust store."""
    return ssl.create_default_context(cafile=ca_file) if ca_file else True


class InProcessTransport:
    """Delivers straight to a receiver in the same process (tests and the demo): still the real bytes.

    `receive` is a receiver's `receive(body, content_type, client=...)`; `senders` the systems that
    send through this transport (one, or an ICS and its local eCAF module). The receiver is given
    the principal of the sender a message names when it is one of them, and otherwise the first's,
    so that a message naming a sender the transport was not made for is refused (SEC-001), as a
    token would have it refused over HTTP.
    """

    def __init__(self, receive: Callable[..., tuple[bytes, str]], senders: SystemRef | Sequence[SystemRef]) -> None:
        self._receive = receive
        systems = [senders] if isinstance(senders, SystemRef) else list(senders)
        self.clients = {sender_key(s): Principal.for_system(s) for s in systems}
        self._first = Principal.for_system(systems[0])
        self.down = False  # tests set this to simulate the receiver being unreachable

    def send(self, body: bytes, content_type: str, sender: SystemRef) -> tuple[bytes, str]:
        """Hand the message to the receiver, as `sender` if the transport was made for it; its acknowledgement."""
        if self.down:
            raise TransportError("the receiving system is not reachable")
        return self._receive(body, content_type, client=self.clients.get(sender_key(sender), self._first))


class HttpTransport:
    """Delivers over the standard's HTTP binding: POST {base}/messages with a bearer token, the acknowledgement back.

    `credentials` get the sender's own token for the receiving service (its `audience`, the base
    URL unless given), with every scope the sender is registered for; without them the transport
    sends no token, which only a peer that asks for none (the conformance suite's receiver) accepts.
    """

    def __init__(
        self,
        base_url: str,
        *,
        credentials: Credentials | None = None,
        audience: str | None = None,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.audience = audience or self.base_url
        self.credentials = credentials
        self.client = client or httpx.Client(timeout=timeout, verify=verify)

    def _token(self, sender: SystemRef) -> str | None:
        credentials = self.credentials
        if credentials is None:
            return None
        if isinstance(credentials, Mapping):
            chosen = credentials.get(sender_key(sender))
            if chosen is None:
                raise TransportError(f"no client credentials for {sender_key(sender)}: register a client for it")
            credentials = chosen
        if isinstance(credentials, ClientCredentials):
            return credentials.system_token(self.audience)  # every scope the client is registered for
        return credentials(self.audience, sender)

    def send(self, body: bytes, content_type: str, sender: SystemRef) -> tuple[bytes, str]:
        """POST the message as `sender`; a network failure or server error is a TransportError (the outbox retries)."""
        headers = {"Content-Type": content_type, "Accept": content_type}
        try:
            token = self._token(sender)
        except TokenRequestFailed as exc:
            raise TransportError(f"no token for {self.base_url}: {exc}") from exc
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self.client.post(f"{self.base_url}/messages", content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TransportError(f"{self.base_url}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 401:
            # 401: our token was refused (expired on the way, keys rotated): deliver again later.
            raise TransportError(f"{self.base_url}: HTTP {response.status_code} {response.text[:200]}")
        return response.content, response.headers.get("content-type", content_type)
