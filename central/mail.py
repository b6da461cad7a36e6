"""The service's outgoing mail: what each message says, and writing it to the outbox.

Each message is one RFC 5322 ``.eml`` file in ``<data dir>/mail-outbox/`` (folder 0700, files 0600, as
an activation code is a secret until used), named so that a plain sort gives the order they were
written. A relay or the demo picks them up from there. Activation codes travel only in these files:
never in an API response and never in a log.
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from app.services.format import to_london, uk_date

OUTBOX = "mail-outbox"
SENDER = "CQRS <no-reply@cqrs.nhs.net>"
ACTIVATION_LINE = "Activation code: "


def outbox(data_dir: Path) -> Path:
    return Path(data_dir) / OUTBOX


def send(data_dir: Path, to: str, subject: str, body: str, now: datetime) -> Path:
    """Write one plain-text message to the outbox; returns its file."""
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain="cqrs.nhs.net")
    message.set_content(body)
    folder = outbox(data_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{secrets.token_hex(4)}.eml"
    # Written under a hidden name and renamed, so nothing ever reads half a message.
    partial = folder / f".{name}.part"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(message.as_bytes())
    final = folder / name
    os.replace(partial, final)
    return final


def _uk_date(moment: datetime) -> str:
    return uk_date(to_london(moment).date())  # the day in England, with fixed month names


def send_activation(data_dir: Path, to: str, first_name: str, practice_name: str, token: str,
                    expires_at: datetime, now: datetime) -> Path:
    """The invitation to a new account: the single-use activation code and until when it works."""
    body = (f"Hello {first_name},\n\n"
            f"You have been given access to CQRS for {practice_name}. To start, set your password with "
            f"this activation code. It works once, until {_uk_date(expires_at)}.\n\n"
            f"{ACTIVATION_LINE}{token}\n\n"
            "If you were not expecting this, ignore this email: nothing happens until the code is used.\n")
    return send(data_dir, to, f"Activate your CQRS account for {practice_name}", body, now)


def send_access_given(data_dir: Path, to: str, practice_name: str, roles: list[str],
                      activated: bool, now: datetime) -> Path:
    """Tells someone who already has an account that a practice gave them access (no secret in it)."""
    how = ("Sign in with your usual email and password." if activated else
           "Activate your account first with the code in the invitation you were sent earlier.")
    body = (f"Hello,\n\nYou have been given access to CQRS for {practice_name}, with the roles: "
            f"{', '.join(roles)}.\n\n{how}\n\n"
            "If you do not work with this practice, tell its User Administrator or the help desk.\n")
    return send(data_dir, to, f"You now have access to CQRS for {practice_name}", body, now)
