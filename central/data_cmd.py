"""``cqrs-central seed-demo`` and ``cqrs-central ingest``: putting data into a service's database."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from app.services.rules import RulesError, load_rules
from central.db import begin_write, make_engine, make_sessionmaker, migrate
from central.extract import MAX_BYTES, ExtractError, display_name, read_extract_text
from central.ingest import ingest_text
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


def run_ingest(
    path: str,
    year: str,
    data_dir: Path | None,
    db_url: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Load one extract; a bad file is refused whole and every problem is listed by line."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        rules = load_rules(year)
    except RulesError as exc:
        print(exc, file=err)
        return BAD_INPUT
    file = Path(path)
    try:
        # Bounded like calculate's reading, so a device or pipe that never ends is refused.
        text = read_extract_text(file, max_bytes=MAX_BYTES)
    except ExtractError as exc:
        for problem in exc.problems:
            print(problem, file=err)
        return BAD_INPUT
    settings = settings_for(data_dir, db_url)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with make_sessionmaker(engine).begin() as session:
            begin_write(session)
            report = ingest_text(session, text, rules, clock=settings.clock, filename=file.name)
    except ExtractError as exc:
        for problem in exc.problems:
            print(problem, file=err)
        print("Nothing was loaded.", file=err)
        return BAD_INPUT
    finally:
        engine.dispose()
    if report.already_ingested:
        print(f"{display_name(file.name)} was loaded before (extract {report.extract_id}); nothing changed.",
              file=out)
    else:
        print(
            f"Loaded {report.rows:,} counts for {', '.join(report.practices)}; "
            f"recalculated {report.recalculated} practice achievement dates.",
            file=out,
        )
    return 0
