"""Masking personal data for screen-share mode, and the short support reference the help desk notes.

Pure (no Qt): an email keeps its first letter and its domain ("s•••••@nhs.net"), a phone number its last
three digits ("••••• •••002"), and free text has every email and phone number in it masked. The number
of bullets in an email is fixed, so the mask does not give away the length of the name.
"""

from __future__ import annotations

import re
import secrets

BULLET = "•"
EMAIL_BULLETS = 5
PHONE_KEPT = 3  # the last digits of a phone number left showing, enough to tell two numbers apart
# No 0/O, 1/I/L or 5/S: the code is read out over the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXYZ2346789"
REFERENCE_LENGTH = 6
REFERENCE_SEPARATOR = " · "

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# A UK number: 0 or +44, then 9 or 10 more digits, in groups split by single spaces or hyphens. Dates,
# counts ("12,345"), ODS codes and £ never match: they have letters, commas or too few digits.
_PHONE = re.compile(r"(?<![\w£.,])(?:\+44\s?(?:\(0\)\s?)?|0)\d(?:[ -]?\d){8,9}(?![\d])")


def mask_email(email: str) -> str:
    """``sam.jones@nhs.net`` -> ``s•••••@nhs.net``; text that is not an email is masked whole."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local:
        return BULLET * EMAIL_BULLETS if email.strip() else email
    return f"{local[0]}{BULLET * EMAIL_BULLETS}@{domain}"


def mask_phone(phone: str) -> str:
    """``01632 960002`` -> ``••••• •••002``: every digit but the last three, keeping the spacing."""
    if phone.startswith("+44"):  # the country code says nothing about the person
        return "+44" + mask_phone(phone[3:])
    digits = sum(character.isdigit() for character in phone)
    hidden = max(0, digits - PHONE_KEPT)
    out = []
    for character in phone:
        if character.isdigit() and hidden > 0:
            out.append(BULLET)
            hidden -= 1
        else:
            out.append(character)
    return "".join(out)


def mask_text(text: str) -> str:
    """``text`` with every email address and UK phone number in it masked."""
    if not text:
        return text
    if "@" in text:
        text = _EMAIL.sub(lambda match: mask_email(match.group(0)), text)
    return _PHONE.sub(lambda match: mask_phone(match.group(0)), text)


def reference_code(length: int = REFERENCE_LENGTH) -> str:
    """A random code from letters and digits that cannot be mistaken for one another, e.g. ``K7PQ3X``."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))


def support_reference(ods: str | None, version: str, code: str) -> str:
    """What the help desk writes down: the practice's ODS code, the app's version and the code."""
    return REFERENCE_SEPARATOR.join((ods or "no practice", version, code))
