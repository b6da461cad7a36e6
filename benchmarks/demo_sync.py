"""Syncing the demo practice over HTTPS, against a bare GET of /health on the same TLS connection.

    .venv/bin/python benchmarks/demo_sync.py [--runs N]

Seeds the demo central service in a temporary folder, serves it over TLS on 127.0.0.1 and signs in as
the demo practice manager. Then times, each as a median:

- the baseline: ``GET /health`` through the sync's own HTTPS session (so over the same connection);
- a no-change sync (push, pull, bookkeeping), interleaved with the baseline; goal at most 3x. Once
  back to back, and once "cold": the service's clock moved 6 s before each, past its 5-second token
  and profile caches, as for a client that syncs every few minutes; and its one (304) request alone;
- a full first sync of the demo year from an empty cache (goal at most 0.25 s), and applying its feed
  pages to the cache alone.

The service's clock is the demo's (8 April 2026), shifted by the benchmark where it says so.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

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
SCRATCH_PRACTICE = "Z99XXX"  # pages applied under another code, so the synced cache is left alone


class ShiftableClock:
    """The demo clock, plus a shift the benchmark can add to (the service reads it on every request)."""

    def __init__(self) -> None:
        self._demo, self.shift = demo_clock(), timedelta()

    def __call__(self) -> datetime:
        return self._demo() + self.shift


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="no-change syncs timed each way (default 40)")
    runs = parser.parse_args().runs
    scratch = Path(tempfile.mkdtemp(prefix="cqrs-sync-"))
    clock = ShiftableClock()
    seed_demo(Settings(scratch / "server", clock=clock))
    server = start_in_thread(scratch / "server", clock=clock)
    try:
        paths.configure(scratch / "client")
        database.open_cache()
        auth = Auth(server.base_url, TokenStore(), ca_file=server.ca_path)
        health_url = server.base_url + "/health"

        def health() -> None:
            auth.client.session.get(health_url, timeout=10).raise_for_status()

        signed_in = timed(lambda: auth.sign_in("practice.manager@nhs.net", DEMO_PASSWORD))
        engine = SyncEngine(auth)
        first = engine.run([DEMO_PRACTICE])
        records = sum(cache_store.counts(DEMO_PRACTICE).values())

        fulls = []
        for _ in range(5):
            cache_store.forget_practice(DEMO_PRACTICE)
            fulls.append(timed(lambda: engine.run([DEMO_PRACTICE])))

        pages, since, more = [], 0, True
        while more:
            page = auth.request("GET", f"/practices/{DEMO_PRACTICE}/changes",
                                params={"since": since, "limit": engine.page_size})
            pages.append(page)
            since, more = page["next"], page["more"]

        def apply_all() -> None:
            for page in pages:
                cache_store.apply_feed_page(SCRATCH_PRACTICE, page["changes"], page["next"])

        applies = []
        for _ in range(5):
            cache_store.forget_practice(SCRATCH_PRACTICE)
            applies.append(timed(apply_all))
        cache_store.forget_practice(SCRATCH_PRACTICE)

        health()
        warm_gets, warm, cold_gets, cold, asked = [], [], [], [], []
        conditional = _conditional_request(auth, engine)
        for _ in range(runs):
            warm_gets.append(timed(health))
            warm.append(timed(lambda: engine.run([DEMO_PRACTICE])))
            if conditional is not None:
                asked.append(timed(conditional))
        for _ in range(runs):
            clock.shift += timedelta(seconds=6)
            cold_gets.append(timed(health))
            cold.append(timed(lambda: engine.run([DEMO_PRACTICE])))
        auth.close()
        database.close_cache()
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    baseline = statistics.median(warm_gets + cold_gets)

    def line(name: str, seconds: float, against: float = baseline) -> str:
        return f"{name:<44}{seconds * 1000:8.1f} ms  {seconds / against:6.1f}x the bare GET"

    print(f"{'bare HTTPS GET /health (median)':<44}{baseline * 1000:8.1f} ms")
    print(line("sign-in (token + /me)", signed_in))
    print(line(f"full first sync ({first.pages} pages, median of 5)", statistics.median(fulls)))
    print(f"{'':<44}{first.records:,} feed entries, {records:,} records cached")
    print(line("  of which applying the pages (median of 5)", statistics.median(applies)))
    print(line(f"no-change sync, back to back (median of {runs})", statistics.median(warm),
               statistics.median(warm_gets)))
    print(line(f"no-change sync, caches cold (median of {runs})", statistics.median(cold),
               statistics.median(cold_gets)))
    if asked:
        print(line("  of which the 304 request alone", statistics.median(asked),
                   statistics.median(warm_gets)))
    return 0


def _conditional_request(auth: Auth, engine: SyncEngine) -> Callable[[], object] | None:
    """The no-change sync's one request on its own (None for a client without conditional requests)."""
    if not hasattr(cache_store, "feed_position"):
        return None
    cursor, etag = cache_store.feed_position(DEMO_PRACTICE)
    path, params = f"/practices/{DEMO_PRACTICE}/changes", {"since": cursor, "limit": engine.page_size}
    return lambda: auth.get_if_changed(path, params, etag)


if __name__ == "__main__":
    raise SystemExit(main())
