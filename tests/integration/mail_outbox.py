"""Reading the central service's mail outbox in tests: the mails sent to one address, and the
activation code in the newest invitation."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from central.mail import ACTIVATION_LINE, outbox


def mails_to(data_dir: Path, email: str) -> list[EmailMessage]:
    """Every mail in the outbox addressed to ``email``, oldest first."""
    folder = outbox(data_dir)
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if str(message["To"]).lower() == email.lower():
            found.append(message)
    return found


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def activation_token_from_mail(data_dir: Path, email: str) -> str:
    """The activation code of the newest invitation mailed to ``email``; fails when there is none."""
    for message in reversed(mails_to(data_dir, email)):
        for line in body_of(message).splitlines():
            if line.startswith(ACTIVATION_LINE):
                return line[len(ACTIVATION_LINE):].strip()
    raise AssertionError(f"no activation mail for {email} in {outbox(data_dir)}")
