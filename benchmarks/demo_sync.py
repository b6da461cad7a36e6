"""A full first sync of the demo practice, and an incremental one, against a bare HTTPS GET.

    .venv/bin/python benchmarks/demo_sync.py

Seeds the demo central service in a temporary folder, serves it over TLS on 127.0.0.1, then times:
the baseline (median of 20 GETs of /health), a sign-in, a first sync from an empty cache (push, then
every feed page applied with its cursor), and a second sync with nothing new.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import requests

from app import paths
from app.models import database
from app.services import cache_store
from app.services.auth import Auth
from app.services.secrets import TokenStore
from app.services.sync import SyncEngine
from central.seed import DEMO_PASSWORD, demo_clock, seed_demo
from central.server import start_in_thread
from central.settings import Settings

DEMO_PRACTICE = "Z99001"


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="cqrs-sync-"))
    clock = demo_clock()
    seed_demo(Settings(scratch / "server", clock=clock))
    server = start_in_thread(scratch / "server", clock=clock)
    try:
        health, ca = server.base_url + "/health", str(server.ca_path)
        with requests.Session() as http:
            http.get(health, verify=ca, timeout=10)  # connect once: the sync keeps its connection too
            gets = []
            for _ in range(20):
                start = time.perf_counter()
                http.get(health, verify=ca, timeout=10).raise_for_status()
                gets.append(time.perf_counter() - start)
        baseline = statistics.median(gets)

        paths.configure(scratch / "client")
        database.open_cache()
        auth = Auth(server.base_url, TokenStore(), ca_file=server.ca_path)
        start = time.perf_counter()
        auth.sign_in("practice.manager@nhs.net", DEMO_PASSWORD)
        signed_in = time.perf_counter() - start
        engine = SyncEngine(auth)
        start = time.perf_counter()
        first = engine.run([DEMO_PRACTICE])
        full = time.perf_counter() - start
        start = time.perf_counter()
        engine.run([DEMO_PRACTICE])
        incremental = time.perf_counter() - start
        records = sum(cache_store.counts(DEMO_PRACTICE).values())
        auth.close()
        database.close_cache()
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    def line(name: str, seconds: float) -> str:
        return f"{name:<34}{seconds * 1000:8.1f} ms  {seconds / baseline:7.1f}x the bare GET"

    print(line("bare HTTPS GET /health (median)", baseline))
    print(line("sign-in (token + /me)", signed_in))
    print(line(f"full first sync ({first.pages} pages)", full))
    print(f"{'':<34}{first.records:,} feed entries, {records:,} records cached")
    print(line("incremental sync, nothing new", incremental))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
