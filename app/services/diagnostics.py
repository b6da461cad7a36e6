"""Diagnostics for the help desk: what they ask for, as text to copy or a zip to send ("support bundle").

It holds versions, the server and the trust settings in use, the last sync, outbox counts by status, the
cache's schema version and size, and the last 200 lines of the log. It never holds a token, a password or
anybody else's personal data: the cache is only counted (read-only, with sqlite3), never read out, and
each log line is redacted again here — secrets, phone numbers, and every email address except the
signed-in person's own. Who is signed in is shown only when someone is. No Qt widgets: the headless
``cqrs-desktop support-bundle`` command and the Help page both call :func:`gather`.
"""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import sys
import zipfile
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app import paths, settings
from app.logging_setup import redact
from app.services.site_config import SiteConfig
from app.version import app_version

LOG_LINES = 200
EMAIL_REMOVED = "[email removed]"
PHONE_REMOVED = "[phone removed]"
TOKEN_REMOVED = "[REDACTED]"
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# UK numbers as people write them: 07700 900123, 020 7946 0018, +44 7700 900123, 01632960001.
_PHONE = re.compile(r"(?<![\w.])(?:\+44\s?\(?0?\)?\s?|\b0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}\b")
# An unlabelled opaque secret (refresh tokens, API keys): a long run of token characters.
_OPAQUE = re.compile(r"(?<![\w/-])[A-Za-z0-9_-]{32,}={0,2}(?![\w/-])")
SKIPPED_SETTINGS = {settings.WINDOW_GEOMETRY.key}
# The start of a line in the log's format (app.logging_setup.LOG_FORMAT): time, level, thread, logger.
_LOG_HEAD = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ [A-Z]+ +\S+ [\w.]+: ")


@dataclass(frozen=True)
class Diagnostics:
    sections: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    log_lines: tuple[str, ...]

    def as_text(self) -> str:
        out = ["CQRS Desktop diagnostics", f"Made {datetime.now(UTC):%d %b %Y %H:%M} UTC", ""]
        for title, rows in self.sections:
            out.append(f"== {title} ==")
            out += [f"{name}: {value}" for name, value in rows]
            out.append("")
        out.append(f"== Last {len(self.log_lines)} log lines (personal details and secrets removed) ==")
        out += self.log_lines
        return "\n".join(out) + "\n"


def redact_line(line: str, own_email: str | None) -> str:
    """``line`` without secrets, phone numbers or anybody's email address but ``own_email``."""
    head = _LOG_HEAD.match(line)  # the logger's name ("app.services.secrets: ...") is not a secret's label
    prefix, line = (head.group(0), line[head.end():]) if head else ("", line)
    line = redact(line)
    line = prefix + _OPAQUE.sub(TOKEN_REMOVED, line)
    own = (own_email or "").strip().lower()
    line = _EMAIL.sub(lambda m: m.group(0) if own and m.group(0).lower() == own else EMAIL_REMOVED, line)
    return _PHONE.sub(PHONE_REMOVED, line)


def last_log_lines(log_file: Path, own_email: str | None, count: int = LOG_LINES) -> tuple[str, ...]:
    try:
        with log_file.open(encoding="utf-8", errors="replace") as handle:
            tail = deque(handle, maxlen=count)
    except FileNotFoundError:
        return ("(no log file yet)",)
    except OSError as error:
        return (f"(the log file could not be read: {error.strerror or error})",)
    return tuple(redact_line(line.rstrip("\n"), own_email) for line in tail)


def cache_facts(cache: Path | None) -> tuple[tuple[str, str], ...]:
    """The cache's schema version, size, outbox counts by status and last syncs; counted, never read out."""
    if cache is None:
        return (("Cache", "none open (nobody signed in)"),)
    if not cache.is_file():
        return (("Cache", "not created yet"),)
    from app.models import database  # alembic's revision constant only; no session is opened

    size = cache.stat().st_size + sum(p.stat().st_size for p in cache.parent.glob(cache.name + "-wal"))
    rows = [("Cache schema version", f"{database.stored_revision(cache) or 'unknown'} "
                                     f"(this version uses {database.HEAD_REVISION})"),
            ("Cache size", f"{size / 1_048_576:.1f} MB")]
    try:
        connection = sqlite3.connect(f"{cache.as_uri()}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error as error:
        return (*rows, ("Cache", f"could not be opened: {error}"))
    try:
        counts = connection.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status")
        by_status = ", ".join(f"{status} {number}" for status, number in counts) or "empty"
        rows.append(("Outbox (items by status)", by_status))
        syncs = connection.execute(
            "SELECT practice, last_sync_at FROM sync_state ORDER BY practice").fetchall()
        for practice, when in syncs:
            rows.append((f"Last completed sync, {practice}", f"{when} UTC" if when else "never completed"))
        if not syncs:
            rows.append(("Last completed sync", "never"))
    except sqlite3.Error as error:
        rows.append(("Cache", f"could not be counted: {error}"))
    finally:
        connection.close()
    return tuple(rows)


def qt_version() -> str:
    """Qt's and PySide6's versions from the installed package metadata (services import no Qt)."""
    import importlib.metadata

    for name in ("PySide6-Essentials", "PySide6"):
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        return f"Qt {version} (PySide6 {version})"  # PySide6 releases carry the Qt version they bundle
    return "not installed"


def _trust(store: settings.Settings, site: SiteConfig) -> tuple[tuple[str, str], ...]:
    ca = store.get(settings.CA_FILE)
    where = " (set by your practice)" if settings.CA_FILE.key in site.values else ""
    extra = "none" if not ca else f"{ca}{where} ({'present' if Path(ca).is_file() else 'MISSING'})"
    return (("Certificates trusted", "the operating system's certificate store"),
            ("Extra certificate authority", extra),
            ("REQUESTS_CA_BUNDLE in the environment", "set" if os.environ.get("REQUESTS_CA_BUNDLE") else
             "not set"))


def _last_sync_result(lines: tuple[str, ...]) -> str:
    for line in reversed(lines):
        if re.search(r"(?i)sync", line) and re.search(r"(?i)\b(failed|error|could not|refused)\b", line):
            return "a problem was logged: " + line[:200]
        if re.search(r"(?i)sync (finished|complete)", line):
            return "finished without a logged problem"
    return "no sync problem in the last log lines"


def gather(site: SiteConfig, *, person: tuple[str, str] | None, own_email: str | None,
           server: str | None = None, store: settings.Settings | None = None) -> Diagnostics:
    """The diagnostics now. ``own_email``: the signed-in person (None: nobody, so no one's details are
    shown); ``person``: whose cache to count; ``server``: the server in use if known better than the
    settings (e.g. the demo's)."""
    if store is None:
        from app import site_settings

        store = site_settings.load(site)
    log_lines = last_log_lines(paths.log_file_path(), own_email)
    app_rows = (("App version", app_version()), ("Operating system", platform.platform()),
                ("Python", sys.version.split()[0]), ("Qt", qt_version()),
                ("Data folder", str(paths.data_dir())))
    server_rows = (("CQRS server", server or store.get(settings.SERVER_URL) or "not set"),
                   *_trust(store, site),
                   ("Site configuration", str(site.path) if site.path else "none on this PC"),
                   *(("Site configuration problem", problem) for problem in site.problems))
    who = (("Signed in as", own_email),) if own_email else (("Signed in", "nobody"),)
    cache = paths.person_dir(*person) / paths.CACHE_FILE if person is not None and own_email else None
    sync_rows = (*cache_facts(cache), ("Last sync result", _last_sync_result(log_lines)))
    def marked(key: str) -> str:
        return " (set by your practice)" if key in site.values else ""

    shown = tuple((s.label, (s.describe(store.get(s)) or "not set") + marked(s.key))
                  for key, s in settings.SETTINGS.items()
                  if key not in SKIPPED_SETTINGS and key != settings.LAST_PRACTICE_ODS.key)
    return Diagnostics((("This installation", app_rows), ("Connection", server_rows), ("Sign-in", who),
                        ("Sync and cache", sync_rows), ("Settings", shown)), log_lines)


def write_bundle(diagnostics: Diagnostics, out: Path) -> Path:
    """Save ``diagnostics`` as a zip at ``out`` (diagnostics.txt and log-tail.txt); returns ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    text = diagnostics.as_text()
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("diagnostics.txt", text)
        bundle.writestr("log-tail.txt", "\n".join(diagnostics.log_lines) + "\n")
    partial.replace(out)  # a half-written zip is never left under the name asked for
    return out


def default_bundle_name(now: datetime | None = None) -> str:
    return f"cqrs-support-{(now or datetime.now()):%Y%m%d-%H%M}.zip"
