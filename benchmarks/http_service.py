"""How the reference services behave under load over real HTTP: throughput by clients and workers, /health meanwhile.

Each service runs as `ics-interop serve ...` in its own process, secured as deployed (it trusts
this script's token issuer), and every request carries a real token.

1. **Throughput.** ContactPoint receives F1 `InvolvementStarted` messages about distinct
   children (each a new record: matching, storage, audit), from 1 client and from 8 concurrent
   clients, with `--workers 1` and `--workers 2`. Printed: messages per second for each.
2. **`/health` during a large import.** National eCAF imports one migration batch of
   `--episodes` episodes (5,000 by default, each applied in its own transaction) while another
   client asks `/health` every 20 ms. Printed: how long the import took, and the latency of
   `/health` meanwhile (p50, p99, worst). Before issue 9 the same import blocked `/health`
   for the whole 113 s it took.

    python benchmarks/http_service.py                    # the default run: about 3 minutes on 2 cores
    python benchmarks/http_service.py --messages 400 --episodes 1000   # quick look

Its last line is:
`http: 1 client X msg/s, 8 clients Y msg/s (workers W); /health p99 Z ms during a N-episode import`
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from ics_interop import to_json, to_xml
from ics_interop.messages import Message

# mypy reads the tree on disk (`adapters`, `conformance`); the interpreter imports the installed package.
if TYPE_CHECKING:
    from adapters.auth import LocalIssuer
    from conformance.scenarios import SUITE_NATIONAL_ECAF, Cast
else:
    from ics_interop.adapters.auth import LocalIssuer
    from ics_interop.conformance.scenarios import SUITE_NATIONAL_ECAF, Cast

ISSUER = LocalIssuer("urn:ics-interop:benchmark")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def _serve(folder: Path, system: str, *extra: str) -> Iterator[str]:
    port = _free_port()
    jwks = folder / "issuer.json"
    jwks.write_text(json.dumps(ISSUER.jwks()))
    command = [sys.executable, "-m", "ics_interop.cli", "serve", system, "--port", str(port)]
    command += ["--db", str(folder / f"{system}-{port}.db"), "--trust", f"{ISSUER.issuer}={jwks}", *extra]
    # Its own process group: stopping it stops its worker processes too.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"`ics-interop serve {system}` did not start")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _feed(count: int) -> list[Message]:
    # A cast per child: each child has a family name of its own, as distinct children do.
    messages: list[Message] = []
    for _ in range(count):
        cast = Cast()
        messages.append(cast.involvement_started(cast.child(), cast.involvement()))
    return messages


def _throughput(base: str, messages: list[Message], clients: int) -> float:
    sender = messages[0].header.sender
    token = ISSUER.system_token(sender, base)
    headers = {"Content-Type": "application/xml", "Authorization": f"Bearer {token}"}
    shares = [messages[i::clients] for i in range(clients)]
    failures: list[str] = []

    def send(share: list[Message]) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            for message in share:
                reply = client.post("/messages", content=to_xml(message), headers=headers)
                if reply.status_code != 200:
                    failures.append(f"{reply.status_code} {reply.text[:200]}")

    threads = [threading.Thread(target=send, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} deliveries failed, for example: {failures[0]}")
    return len(messages) / elapsed


def _health_during_import(base: str, episodes: int) -> tuple[float, list[float]]:
    cast = Cast()
    batch = cast.migration_batch([cast.episode(cast.child()) for _ in range(episodes)], SUITE_NATIONAL_ECAF)
    body = to_json(batch)
    token = ISSUER.system_token(batch.header.sender, base)
    latencies: list[float] = []
    done = threading.Event()
    took: list[float] = []

    def poll() -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            while not done.is_set():
                started = time.perf_counter()
                client.get("/health")
                latencies.append(time.perf_counter() - started)
                time.sleep(0.02)

    poller = threading.Thread(target=poll)
    poller.start()
    started = time.perf_counter()
    reply = httpx.post(
        f"{base}/migrations",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        timeout=1800,
    )
    took.append(time.perf_counter() - started)
    done.set()
    poller.join()
    if reply.status_code != 200:
        raise RuntimeError(f"the import answered {reply.status_code}: {reply.text[:300]}")
    return took[0], latencies


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1600, help="messages per throughput run (default 1600)")
    parser.add_argument("--episodes", type=int, default=5000, help="episodes in the large import (default 5000)")
    parser.add_argument("--workers", default="1,2", help="worker processes to try (default 1,2)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ics-http-bench-"))
    rates: dict[tuple[int, int], float] = {}
    for workers in (int(w) for w in args.workers.split(",")):
        for clients in (1, 8):
            with _serve(folder, "contactpoint", "--workers", str(workers)) as base:
                messages = _feed(args.messages)
                rates[(workers, clients)] = rate = _throughput(base, messages, clients)
                print(f"contactpoint, {workers} worker(s), {clients} client(s): {rate:.0f} msg/s", flush=True)
    with _serve(folder, "ecaf") as base:
        took, latencies = _health_during_import(base, args.episodes)
    print(
        f"national eCAF imported {args.episodes} episodes in {took:.1f} s; /health meanwhile: "
        f"{len(latencies)} answers, p50 {_ms(latencies, 0.5):.0f} ms, p99 {_ms(latencies, 0.99):.0f} ms, "
        f"worst {1000 * max(latencies):.0f} ms (mean {1000 * statistics.mean(latencies):.0f} ms)"
    )
    best = max(rates, key=lambda k: rates[(k[0], 8)] if k[1] == 8 else 0)
    workers = best[0]
    one, eight = rates[(workers, 1)], rates[(workers, 8)]
    print(
        f"http: 1 client {one:.0f} msg/s, 8 clients {eight:.0f} msg/s (workers {workers}); "
        f"/health p99 {_ms(latencies, 0.99):.0f} ms during a {args.episodes}-episode import"
    )


if __name__ == "__main__":
    main()
