"""``cqrs-central seed-demo``: the demo data in a service's database (``ingest`` is central.ingest_cmd)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from central.seed import DEMO_PASSWORD, DEMO_USERS, demo_clock, seed_demo
from central.settings import DEFAULT_DATA_DIR, Settings

BAD_INPUT = 2


def settings_for(data_dir: Path | None, db_url: str | None = None) -> Settings:
    return Settings(data_dir or DEFAULT_DATA_DIR, db_url=db_url)


def run_seed_demo(data_dir: Path | None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    settings = Settings(data_dir or DEFAULT_DATA_DIR, clock=demo_clock())
    report = seed_demo(settings)
    if not report.created:
        print(f"The demo data is already in {settings.data_dir}; nothing changed.", file=out)
        return 0
    print(
        f"Seeded the demo into {settings.data_dir}: {report.practices} practices, "
        f"{report.users} users, {report.extracts} monthly extracts.",
        file=out,
    )
    print(f"Demo users (password {DEMO_PASSWORD}):", file=out)
    for email, first, last, _phone, org, roles in DEMO_USERS:
        print(f"  {email:<28} {first} {last}, {org}: {', '.join(roles)}", file=out)
    return 0
