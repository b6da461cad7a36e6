"""Running the service over HTTPS: in a background thread (tests, the desktop's demo mode) or in the
foreground (``cqrs-central serve``).

``start_in_thread`` returns once the server accepts connections; ``stop()`` returns within about
two seconds even with TLS keep-alive connections open (uvicorn's graceful shutdown is capped at 1 s).

Worker threads: FastAPI runs each sync dependency and handler in anyio's worker threads, one call at
a time, so a request needs a thread several times over. Nothing waits in those threads for long:
writers wait their turn and readers a slot on the event loop (central.turns), password checks wait
for theirs there too (central.security), and the connection pool never makes a thread wait
(central.db). ``WORKER_THREADS`` leaves threads beyond the read slots and password checks, so the
writer holding the turn never queues for one; more would only add contention for the GIL.

The source address of a request (the network allow-list, sign-in throttling, the audit log) is the TCP
peer, always: proxy headers (X-Forwarded-For, X-Forwarded-Proto, Forwarded) are never read, from any
address, loopback included. Behind a load balancer, filter on the balancer itself.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from central.api import create_app
from central.security import PASSWORD_CHECKS
from central.settings import Clock, Settings, system_clock
from central.tls import SERVER_CIPHERS, ensure_self_signed
from central.turns import READ_SLOTS

STARTUP_TIMEOUT = 30.0
GRACEFUL_SHUTDOWN = 1
WORKER_THREADS = READ_SLOTS + PASSWORD_CHECKS + 6  # the writer's step, sync routes without a database


@dataclass
class RunningServer:
    base_url: str  # e.g. https://127.0.0.1:54321
    ca_path: Path  # the CA to verify the server with
    app: FastAPI
    _server: uvicorn.Server
    _thread: threading.Thread

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/v1"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(GRACEFUL_SHUTDOWN + 0.8)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(2)


def start_in_thread(data_dir: str | Path, *, host: str = "127.0.0.1", port: int = 0,
                    db_url: str | None = None, allow_networks: Sequence[str] = (),
                    clock: Clock | None = None) -> RunningServer:
    """Serve HTTPS with the self-signed certificate of ``data_dir`` in a daemon thread; port 0 picks one."""
    settings = Settings(Path(data_dir), db_url=db_url, allow_networks=tuple(allow_networks),
                        clock=clock or system_clock)
    tls = ensure_self_signed(settings.data_dir)
    app = create_app(settings)
    sock = _listen(host, port)
    config = _config(app, host, sock.getsockname()[1], str(tls.cert_path), str(tls.key_path))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="central-server",
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("The central service did not start; see the log for why.")
        time.sleep(0.005)
    url_host = f"[{host}]" if ":" in host else host
    return RunningServer(f"https://{url_host}:{sock.getsockname()[1]}", tls.ca_path, app, server, thread)


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8443, cert: str | Path | None = None,
          key: str | Path | None = None) -> None:
    """Serve in the foreground until interrupted. Without ``cert``/``key`` the self-signed pair is used."""
    if cert is None or key is None:
        tls = ensure_self_signed(settings.data_dir)
        cert, key = tls.cert_path, tls.key_path
    app = create_app(settings)
    uvicorn.Server(_config(app, host, port, str(cert), str(key))).run(sockets=[_listen(host, port)])


def _listen(host: str, port: int) -> socket.socket:
    """A bound socket whose connections send at once: without TCP_NODELAY, asyncio's TLS transport
    leaves Nagle's algorithm on and every response waits ~40 ms for the client's delayed ACK."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


class _SizedThreads:
    """Sets the event loop's worker-thread limit as the server starts (the limiter is per loop)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        await self.app(scope, receive, send)


def _config(app: FastAPI, host: str, port: int, cert: str, key: str) -> uvicorn.Config:
    return uvicorn.Config(_SizedThreads(app), host=host, port=port, ssl_certfile=cert, ssl_keyfile=key,
                          ssl_ciphers=SERVER_CIPHERS, proxy_headers=False, forwarded_allow_ips=[],
                          timeout_graceful_shutdown=GRACEFUL_SHUTDOWN, log_level="warning",
                          access_log=False, server_header=False, lifespan="on")
