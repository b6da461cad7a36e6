"""Logging for the desktop client: a rotating file in the log folder plus stderr.

Every handler carries :class:`RedactSecrets`, so bearer tokens, JWTs and password/token fields are
replaced by ``[REDACTED]`` whatever logger the record came from (ours, requests, urllib3 or alembic).
"""

from __future__ import annotations

import logging
import re
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from app import paths

REDACTED = "[REDACTED]"
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5

# Field names whose value is a secret: password, new_password, refresh_token, access_token, secret, ...
_SECRET_KEY = r"[\w-]*(?:password|passwd|token|secret|api[_-]?key|authorization)[\w-]*"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization: Bearer abc.def
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*"), r"\1" + REDACTED),
    # A JSON Web Token anywhere, even unlabelled.
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # "password": "x"  /  'token': 'x'  /  password=x  /  refresh_token: x  (JSON, reprs, query strings)
    (re.compile(rf"""(?i)(["']?{_SECRET_KEY}["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,&;}}\])]+)"""),
     r"\1" + REDACTED),
]

_OURS = "_cqrs_handler"  # marks the handlers installed here, so setup can run twice (tests) without doubling


def redact(text: str) -> str:
    """Return ``text`` with anything that looks like a secret replaced by [REDACTED]."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites each record's message (and traceback text) with secrets removed. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the raw parts, still redacted
            message = f"{record.msg} {record.args}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def setup_logging(level: int = logging.INFO, *, log_file: Path | None = None,
                  to_stderr: bool = True) -> Path:
    """Send log records to a rotating file (default: the log folder) and stderr; return the file path."""
    log_file = log_file if log_file is not None else paths.log_file_path()
    paths.ensure_private_dir(log_file.parent)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
        handler.close()

    formatter = logging.Formatter(LOG_FORMAT)
    handlers: list[logging.Handler] = [
        RotatingFileHandler(log_file, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")]
    if to_stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(RedactSecrets())
        setattr(handler, _OURS, True)
        root.addHandler(handler)
    root.setLevel(level)
    # urllib3 logs every connection at DEBUG; keep it quieter unless we are debugging ourselves.
    logging.getLogger("urllib3").setLevel(max(level, logging.INFO))
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))  # one line per migration step
    return log_file
