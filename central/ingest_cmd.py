"""``cqrs-central ingest FILE.csv``: load one extract, streamed, into the service's database.

The file is read in pieces (never more than ``--max-bytes``) by the column reader, hashing the text as
it goes; a file that reader declines is read again line by line, which names every problem by line (or
accepts an unusual but valid file). A bad file is refused whole and nothing is loaded.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from app.services.rules import RulesError, load_rules
from central.calculate_cmd import DEFAULT_MAX_BYTES, DEFAULT_YEAR, refused
from central.data_cmd import BAD_INPUT, settings_for
from central.db import begin_write, make_engine, make_sessionmaker, migrate
from central.extract import ExtractError, display_name, read_extract_text
from central.extract_columns import read_columns
from central.extract_input import extract_chunks
from central.extract_year import year_of_file
from central.ingest import ingest_columns, ingest_text

BOM = b"\xef\xbb\xbf"


def run_ingest(path: str, year: str | None, data_dir: Path | None, db_url: str | None = None,
               out: TextIO | None = None, err: TextIO | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES) -> int:
    """Load one extract; a bad file is refused whole and every problem is listed by line."""
    out, err = out or sys.stdout, err or sys.stderr
    year = year or year_of_file(path) or DEFAULT_YEAR
    try:
        rules = load_rules(year)
    except RulesError as exc:
        print(exc, file=err)
        return BAD_INPUT
    file = Path(path)
    digest = hashlib.sha256()
    try:
        columns = read_columns(_hashed(extract_chunks(file, max_bytes=max_bytes), digest), rules,
                               require_caps=False, extracted_only=True)
        text = None if columns is not None else read_extract_text(file, max_bytes=max_bytes)
    except ExtractError as exc:
        return refused(exc, path, err, "loaded")
    settings = settings_for(data_dir, db_url)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with make_sessionmaker(engine).begin() as session:
            begin_write(session)
            if columns is not None:
                report = ingest_columns(session, columns, digest.hexdigest(), rules, clock=settings.clock,
                                        filename=file.name)
            else:
                report = ingest_text(session, text or "", rules, clock=settings.clock, filename=file.name)
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
        shown = ", ".join(report.practices[:10]) + (f" and {len(report.practices) - 10:,} more"
                                                    if len(report.practices) > 10 else "")
        print(f"Loaded {report.rows:,} counts for {shown}; "
              f"recalculated {report.recalculated} practice achievement dates.", file=out)
    return 0


def _hashed(chunks: Iterable[bytes], digest) -> Iterator[bytes]:
    """The pieces unchanged, hashing the text as ``ingest_text`` does (no BOM, ``\\n`` line ends)."""
    for n, chunk in enumerate(chunks):
        digest.update((chunk.removeprefix(BOM) if n == 0 else chunk).replace(b"\r\n", b"\n"))
        yield chunk
