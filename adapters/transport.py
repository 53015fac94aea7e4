"""Transports: how one system's bytes reach another's receiver, in-process or over HTTP."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from .messaging import TransportError

__all__ = ["HttpTransport", "InProcessTransport"]


class InProcessTransport:
    """Delivers straight to a receiver in the same process (tests and the demo): still the real bytes."""

    def __init__(self, receive: Callable[[bytes, str], tuple[bytes, str]]) -> None:
        self._receive = receive
        self.down = False  # tests set this to simulate the receiver being unreachable

    def send(self, body: bytes, content_type: str) -> tuple[bytes, str]:
        """Hand the message to the receiver and return its acknowledgement."""
        if self.down:
            raise TransportError("the receiving system is not reachable")
        return self._receive(body, content_type)


class HttpTransport:
    """Delivers over the standard's HTTP binding: POST {base}/messages, the acknowledgement in the response."""

    def __init__(self, base_url: str, *, timeout: float = 10.0, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=timeout)

    def send(self, body: bytes, content_type: str) -> tuple[bytes, str]:
        """POST the message; any network failure or server error is a TransportError (the outbox retries)."""
        try:
            response = self.client.post(
                f"{self.base_url}/messages",
                content=body,
                headers={"Content-Type": content_type, "Accept": content_type},
            )
        except httpx.HTTPError as exc:
            raise TransportError(f"{self.base_url}: {exc}") from exc
        if response.status_code >= 500:
            raise TransportError(f"{self.base_url}: HTTP {response.status_code}")
        return response.content, response.headers.get("content-type", content_type)
