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

Several processes (``serve(workers=N)``, PostgreSQL only): the parent migrates the database, binds the
socket and starts N uvicorn worker processes that accept on it; each builds its own application from
the settings handed over in the environment (``WORKER_SETTINGS``). SQLite is refused: its one write lock
would leave the writers of N processes waiting inside the database, each holding a worker thread.

The source address of a request (the network allow-list, sign-in throttling, the audit log) is the TCP
peer, always: proxy headers (X-Forwarded-For, X-Forwarded-Proto, Forwarded) are never read, from any
address, loopback included. Behind a load balancer, filter on the balancer itself.
"""

from __future__ import annotations

import json
import os
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
from uvicorn.supervisors import Multiprocess

from central.api import create_app
from central.db import make_engine, migrate
from central.security import PASSWORD_CHECKS
from central.settings import Clock, Settings, system_clock
from central.tls import SERVER_CIPHERS, ensure_self_signed
from central.turns import READ_SLOTS

STARTUP_TIMEOUT = 30.0
GRACEFUL_SHUTDOWN = 1
WORKER_THREADS = READ_SLOTS + PASSWORD_CHECKS + 6  # the writer's step, sync routes without a database
WORKER_SETTINGS = "CQRS_CENTRAL_WORKER_SETTINGS"  # environment variable: the settings of worker processes
MAX_WORKERS = 64


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


def workers_problem(settings: Settings, workers: int) -> str | None:
    """Why ``workers`` processes cannot serve ``settings``' database, in plain English; None when they can."""
    if workers < 1 or workers > MAX_WORKERS:
        return f"--workers must be a whole number from 1 to {MAX_WORKERS}."
    if workers > 1 and not settings.database_url.startswith("postgresql"):
        return ("--workers above 1 needs a PostgreSQL database: SQLite lets one process write at a time. "
                "Give --db postgresql+psycopg://USER@HOST/DATABASE, or serve with one worker.")
    return None


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8443, cert: str | Path | None = None,
          key: str | Path | None = None, workers: int = 1) -> None:
    """Serve in the foreground until interrupted. Without ``cert``/``key`` the self-signed pair is used.
    ``workers`` above 1 runs that many processes on one PostgreSQL database (see :func:`workers_problem`)."""
    problem = workers_problem(settings, workers)
    if problem:
        raise ValueError(problem)
    if cert is None or key is None:
        tls = ensure_self_signed(settings.data_dir)
        cert, key = tls.cert_path, tls.key_path
    if workers == 1:
        app = create_app(settings)
        uvicorn.Server(_config(app, host, port, str(cert), str(key))).run(sockets=[_listen(host, port)])
        return
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)  # once, before any worker opens the database
    finally:
        engine.dispose()
    os.environ[WORKER_SETTINGS] = json.dumps({"data_dir": str(settings.data_dir), "db_url": settings.db_url,
                                              "allow_networks": list(settings.allow_networks)})
    config = _config("central.server:worker_app", host, port, str(cert), str(key), workers=workers)
    Multiprocess(config, sockets=[_listen(host, port)]).run()


def worker_app() -> ASGIApp:
    """The application of one worker process (uvicorn's factory), from the parent's settings."""
    given = json.loads(os.environ[WORKER_SETTINGS])
    settings = Settings(Path(given["data_dir"]), db_url=given["db_url"],
                        allow_networks=tuple(given["allow_networks"]))
    return _SizedThreads(create_app(settings))


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


def _config(app: FastAPI | str, host: str, port: int, cert: str, key: str, *,
            workers: int = 1) -> uvicorn.Config:
    # Worker processes get the factory's import path (a config crosses to them by pickling).
    target: ASGIApp | str = app if isinstance(app, str) else _SizedThreads(app)
    return uvicorn.Config(target, factory=isinstance(app, str), workers=workers, host=host, port=port,
                          ssl_certfile=cert, ssl_keyfile=key,
                          ssl_ciphers=SERVER_CIPHERS, proxy_headers=False, forwarded_allow_ips=[],
                          timeout_graceful_shutdown=GRACEFUL_SHUTDOWN, log_level="warning",
                          access_log=False, server_header=False, lifespan="on")
