"""Transports: how one system's bytes reach another's receiver, in-process or over HTTP.

Both carry the sender's credential. In one process the sending system is known for certain
(`InProcessTransport` is made for one sender, and hands the receiver that sender's principal);
over HTTP the sender authenticates with an access token for the receiving service, which
`HttpTransport` gets from its authorisation server with the system's client credentials (or
is given, as a function of the receiving service's audience, by tests).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

import httpx

from ics_interop.messages import SystemRef

from .auth.client import ClientCredentials, TokenRequestFailed
from .auth.principal import Principal
from .messaging import TransportError

__all__ = ["HttpTransport", "InProcessTransport", "TokenSource", "tls_context"]

#: Gives the access token to send to a service, from its audience.
TokenSource = Callable[[str], str]


def tls_context(ca_file: str | None) -> ssl.SSLContext | bool:
    """How to verify a peer's HTTPS certificate: against `ca_file`, or the system's trust store."""
    return ssl.create_default_context(cafile=ca_file) if ca_file else True


class InProcessTransport:
    """Delivers straight to a receiver in the same process (tests and the demo): still the real bytes.

    `receive` is a receiver's `receive(body, content_type, client=...)`; `sender` the system sending
    through this transport, whose principal the receiver is given.
    """

    def __init__(self, receive: Callable[..., tuple[bytes, str]], sender: SystemRef) -> None:
        self._receive = receive
        self.client = Principal.for_system(sender)
        self.down = False  # tests set this to simulate the receiver being unreachable

    def send(self, body: bytes, content_type: str) -> tuple[bytes, str]:
        """Hand the message to the receiver and return its acknowledgement."""
        if self.down:
            raise TransportError("the receiving system is not reachable")
        return self._receive(body, content_type, client=self.client)


class HttpTransport:
    """Delivers over the standard's HTTP binding: POST {base}/messages with a bearer token, the acknowledgement back.

    `credentials` get the system's own token for the receiving service (its `audience`, the base
    URL unless given), with every scope the system is registered for; without them the transport sends no
    token, which only a peer that asks for none (the conformance suite's receiver) accepts.
    """

    def __init__(
        self,
        base_url: str,
        *,
        credentials: ClientCredentials | TokenSource | None = None,
        audience: str | None = None,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.audience = audience or self.base_url
        self.credentials = credentials
        self.client = client or httpx.Client(timeout=timeout, verify=verify)

    def _token(self) -> str | None:
        if self.credentials is None:
            return None
        if isinstance(self.credentials, ClientCredentials):
            return self.credentials.system_token(self.audience)  # every scope the client is registered for
        return self.credentials(self.audience)

    def send(self, body: bytes, content_type: str) -> tuple[bytes, str]:
        """POST the message; any network failure or server error is a TransportError (the outbox retries)."""
        headers = {"Content-Type": content_type, "Accept": content_type}
        try:
            token = self._token()
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
