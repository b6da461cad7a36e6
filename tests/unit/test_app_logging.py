"""app.logging_setup: rotating file + stderr, and no secret ever reaches a log."""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import logging_setup
from app.logging_setup import REDACTED, redact

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNlY3JldA"
OPAQUE = "rt_9f8e7d6c5b4a39281706"


@pytest.mark.parametrize("text", [
    f"Authorization: Bearer {OPAQUE}",
    f"headers={{'Authorization': 'Bearer {OPAQUE}'}}",
    f'{{"email": "a@nhs.net", "password": "{OPAQUE}"}}',
    f"{{'refresh_token': '{OPAQUE}', 'token_type': 'bearer'}}",
    f"POST /auth?password={OPAQUE}&next=1",
    f"access_token={OPAQUE}",
    f"new_password: {OPAQUE}",
    f"got {TOKEN} back",
    f"client_secret = {OPAQUE}",
])
def test_secrets_are_redacted(text: str) -> None:
    cleaned = redact(text)
    assert OPAQUE not in cleaned and TOKEN not in cleaned
    assert REDACTED in cleaned


def test_ordinary_text_is_untouched() -> None:
    text = "Synced 42 records for practice A81001 in 0.8 s (cursor 1234)"
    assert redact(text) == text
    assert redact('{"email": "a@nhs.net"}') == '{"email": "a@nhs.net"}'


@pytest.fixture
def log_file(app_data_dir: Path) -> Iterator[Path]:
    root = logging.getLogger()
    level = root.level
    path = logging_setup.setup_logging(logging.DEBUG, to_stderr=False)
    yield path
    for handler in [h for h in root.handlers if getattr(h, logging_setup._OURS, False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def test_log_file_never_contains_secrets(log_file: Path) -> None:
    log = logging.getLogger("app.services.auth")
    log.info("Signing in with %s", {"email": "a@nhs.net", "password": OPAQUE})
    log.debug("Sending headers %r", {"Authorization": f"Bearer {TOKEN}"})
    try:
        raise RuntimeError(f"refresh failed for refresh_token={OPAQUE}")
    except RuntimeError:
        log.exception("Refresh failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text()
    assert OPAQUE not in text and TOKEN not in text
    assert "Signing in with" in text and "a@nhs.net" in text and "Refresh failed" in text
    assert "RuntimeError" in text  # the traceback is kept, only the secret goes
    assert log_file.parent == logging_setup.paths.log_dir()


def test_setup_twice_does_not_double_handlers(log_file: Path) -> None:
    logging_setup.setup_logging(logging.INFO, to_stderr=True)
    ours = [h for h in logging.getLogger().handlers if getattr(h, logging_setup._OURS, False)]
    assert len(ours) == 2
    assert all(any(isinstance(f, logging_setup.RedactSecrets) for f in h.filters) for h in ours)
