"""Rules for a person's account, shared by both halves: NHS email, generic mailboxes, UK phone, password.

Pure (no Qt, no database, no network): the central service refuses with these exact messages, and the
desktop checks the same rules as the administrator types, so the answer never differs between them.
"""

from __future__ import annotations

import re
import string
from typing import NamedTuple

EMAIL_DOMAINS = ("@nhs.net", "@nhs.uk")
_EMAIL_CHARS = set(string.ascii_letters + string.digits + ".-_+'")

# Shared inboxes: an account must belong to one person, so that the audit log says who did what.
GENERIC_MAILBOXES = frozenset({
    "reception", "admin", "administrator", "enquiries", "enquiry", "info", "office", "practice",
    "contact", "general", "team", "surgery", "appointments", "prescriptions", "referrals", "secretary",
    "accounts", "noreply", "no-reply", "helpdesk", "support",
})

MIN_PASSWORD, MAX_PASSWORD = 8, 32


def generic_mailbox_problem(email: str) -> str | None:
    """Why ``email`` looks like a shared inbox (reception@, admin@, info@ …); None when it names a person.

    The part before @ is compared without a number or "+tag" at its end, so reception2@ and
    office+cqrs@ are refused too.
    """
    local = email.strip().lower().rpartition("@")[0]
    base = re.sub(r"\d+$", "", local.split("+", 1)[0])
    if base in GENERIC_MAILBOXES:
        return (f"{local}@ is a shared mailbox. Each person needs an account of their own, with their "
                "own NHS email, such as firstname.lastname@nhs.net.")
    return None


def nhs_email_problem(email: str) -> str | None:
    """Why ``email`` is not an acceptable NHS address; None when it is."""
    local, _, domain = email.strip().lower().rpartition("@")
    if not local or not domain:
        return "Enter an email address such as firstname.lastname@nhs.net."
    if "@" + domain not in EMAIL_DOMAINS:
        return "The email must be an NHS address ending @nhs.net or @nhs.uk."
    if not set(local) <= _EMAIL_CHARS or local.startswith(".") or local.endswith(".") or ".." in local:
        return "The part before @ may contain only letters, digits and . - _ + '"
    return None


def new_user_email_problem(email: str) -> str | None:
    """An address a new user may be given: an NHS address of one person (not a shared mailbox)."""
    return nhs_email_problem(email) or generic_mailbox_problem(email)


_UK_PHONE = re.compile(r"(?:0|\+44(?:\(0\))?)[1-35789][0-9]{8,9}")
_PHONE_SPACING = str.maketrans("", "", " -()")


def uk_phone_problem(phone: str) -> str | None:
    """Why ``phone`` is not a UK telephone number (e.g. 01632 960000, 07700 900123 or +44 1632 960000)."""
    if not set(phone.strip()) <= set("0123456789 +()-"):
        return "Use digits, spaces and + ( ) - only."
    compact = phone.strip().replace("(0)", "@").translate(_PHONE_SPACING).replace("@", "(0)")
    if not _UK_PHONE.fullmatch(compact):
        return "Enter a UK number of 10 or 11 digits starting 0 (or +44), such as 01632 960000."
    return None


class PasswordCheck(NamedTuple):
    rule: str  # the rule in plain English, shown beside the password as it is typed
    met: bool


def password_checks(password: str, email: str) -> list[PasswordCheck]:
    """Each password rule and whether ``password`` meets it (the order they are shown in)."""
    classes = sum((any(c.islower() for c in password), any(c.isupper() for c in password),
                   any(c.isdigit() for c in password), any(not c.isalnum() for c in password)))
    user_id = email.strip().split("@", 1)[0].lower()
    return [
        PasswordCheck(f"{MIN_PASSWORD} to {MAX_PASSWORD} characters long",
                      MIN_PASSWORD <= len(password) <= MAX_PASSWORD),
        PasswordCheck("At least three of: lower case, upper case, digits and symbols", classes >= 3),
        PasswordCheck("Does not contain your user id (the part of your email before @)",
                      bool(password) and not (user_id and user_id in password.lower())),
    ]


def password_problem(password: str, email: str) -> str | None:
    """Why ``password`` breaks the policy, in plain English; None when it is acceptable."""
    length, mix, own_id = password_checks(password, email)
    if not length.met:
        return f"The password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long."
    if not mix.met:
        return "The password must mix at least three of: lower case, upper case, digits and symbols."
    if not own_id.met:
        return "The password must not contain your user id (the part of your email before @)."
    return None
