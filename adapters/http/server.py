"""Running a service: uvicorn, with the timeouts a service on a network needs, over HTTP or HTTPS.

A connection that sends nothing, or sends its request line and headers a byte at a time, is
closed after `HEADER_TIMEOUT` seconds (uvicorn on its own keeps it open for ever); an idle
kept-alive connection after `keep_alive` seconds; a body that stalls is answered 408 by the
gate (`guard`). With `tls_cert` and `tls_key` the service listens on HTTPS only.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["HEADER_TIMEOUT", "HeaderDeadline", "ServerSettings", "running_server", "serve", "uvicorn_options"]


@attrs.frozen
class ServerSettings:
    """How a service listens."""

    host: str = "127.0.0.1"
    port: int = 8000
    tls_cert: str | None = None
    tls_key: str | None = None
    #: Seconds an idle kept-alive connection stays open.
    keep_alive: int = 5
    #: Connections served at once; more are answered 503 at once rather than queued without end.
    max_connections: int = 1000
    log_level: str = "info"


#: Seconds a connection has to send a request's line and headers.
HEADER_TIMEOUT = 10.0


class HeaderDeadline(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request headers do not arrive in time."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the headers are in: the gate times the body

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()  # the next request on this connection gets the same time for its headers

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer: asyncio.TimerHandle | None = self.loop.call_later(HEADER_TIMEOUT, self._too_slow)

    def _disarm(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(settings: ServerSettings) -> dict[str, Any]:
    """uvicorn's settings for a service."""
    return {
        "host": settings.host,
        "port": settings.port,
        "http": HeaderDeadline,
        "timeout_keep_alive": settings.keep_alive,
        # On Ctrl-C or SIGTERM, requests in progress get this long to finish; then the service stops.
        "timeout_graceful_shutdown": 10,
        "limit_concurrency": settings.max_connections,
        "ssl_certfile": settings.tls_cert,
        "ssl_keyfile": settings.tls_key,
        "log_level": settings.log_level,
        # The command line configures logging (`ics_interop.logs`): uvicorn keeps its hands off it.
        "log_config": None,
    }


def serve(app: FastAPI | str, settings: ServerSettings, *, workers: int = 1) -> None:
    """Run a service until interrupted: an app, or (for several worker processes) the import string of a factory."""
    if workers > 1:
        uvicorn.run(app, factory=True, workers=workers, **uvicorn_options(settings))
    else:
        uvicorn.run(app, **uvicorn_options(settings))


@contextmanager
def running_server(
    app: FastAPI | Callable[[str], FastAPI],
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    tls_cert: str | None = None,
    tls_key: str | None = None,
) -> Iterator[str]:
    """Run a service in a background thread for the length of a block; yields its base URL.

    `app` may be a function of the URL the service will have (its audience, an issuer's name),
    called once the port is bound. Give `tls_cert` and `tls_key` (files) to serve HTTPS; the URL
    then starts with https.
    """
    settings = ServerSettings(host=host, port=port, log_level="warning", tls_cert=tls_cert, tls_key=tls_key)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    scheme = "https" if settings.tls_cert else "http"
    url = f"{scheme}://{host}:{sock.getsockname()[1]}"
    built = app if isinstance(app, FastAPI) else app(url)
    server = uvicorn.Server(uvicorn.Config(built, lifespan="off", **uvicorn_options(settings)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            sock.close()
            raise RuntimeError(f"the {built.title} service did not start")
        time.sleep(0.02)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
