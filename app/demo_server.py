"""The embedded central service of ``cqrs-desktop --demo``: the one place the client imports ``central``.

It is imported only in demo mode, so the normal start-up path never loads FastAPI or uvicorn. The
service keeps its database, CA and certificate in the data folder's ``demo-server`` folder; the demo
data is seeded the first time only. Its clock reads 8 April 2026 (moving on from there), when the
2025/26 year has just closed and its entry and declaration windows are open.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEMO_EMAIL = "practice.manager@nhs.net"
DEMO_TOKEN_SCOPE = "cqrs-demo"  # the keyring entry name: the demo's port changes on every run


@dataclass
class DemoServer:
    base_url: str
    ca_path: Path
    password: str
    seeded_now: bool
    _running: Any

    def stop(self) -> None:
        self._running.stop()


def start(folder: Path) -> DemoServer:
    """Seed the demo data in ``folder`` if it is new, then serve it over HTTPS on 127.0.0.1."""
    from central.seed import DEMO_PASSWORD, demo_clock, seed_demo
    from central.server import start_in_thread
    from central.settings import Settings

    clock = demo_clock()
    report = seed_demo(Settings(folder, clock=clock))
    if report.created:
        log.info("Demo data seeded in %s: %d practices, %d users, %d extracts", folder, report.practices,
                 report.users, report.extracts)
    running = start_in_thread(folder, clock=clock)
    log.info("Demo central service at %s", running.base_url)
    return DemoServer(running.base_url, running.ca_path, DEMO_PASSWORD, report.created, running)
