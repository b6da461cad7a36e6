"""Patient identifiers: CQRS holds aggregate data only, so anything that looks like an NHS number is refused.

Pure (no Qt, database or network) and shared by both halves: the central service refuses such values in
every extract cell and header and every free-text field; the desktop warns as the user types. A value is
*NHS-number-like* when, ignoring an optional ``NHS`` prefix, spaces, dots and hyphens between the digits
and a trailing decimal part of zeros (``9434765919.0``, as a spreadsheet writes it), it is ten digits that
pass the NHS-number modulus-11 check. Messages never repeat the value.
"""

from __future__ import annotations

import re

# A run of digits with single separators between them; an optional "NHS" (any case) straight before it.
_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(?:NHS[ :#-]?)?([0-9](?:[ .\-]?[0-9]){9,})(?:\.0+)?(?![0-9])",
                        re.IGNORECASE)
_WHOLE = re.compile(r"\s*(?:NHS[ :#-]?)?([0-9](?:[ .\-]?[0-9]){9})(?:\.0+)?\s*", re.IGNORECASE)

REFUSED = ("looks like an NHS number. CQRS holds aggregate data only, so patient identifiers are "
           "not accepted: remove it.")


def passes_mod11(digits: str) -> bool:
    """True when ``digits`` is ten digits whose last is the NHS-number modulus-11 check digit."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def is_nhs_number(value: str) -> bool:
    """True when the whole of ``value`` is one NHS-number-like value (an extract cell or header)."""
    match = _WHOLE.fullmatch(value)
    return bool(match) and passes_mod11(re.sub(r"[^0-9]", "", match.group(1)))  # type: ignore[union-attr]


def contains_nhs_number(text: str) -> bool:
    """True when an NHS-number-like value appears anywhere in free ``text`` (notes, names)."""
    for match in _CANDIDATE.finditer(text):
        run = match.group(1)
        for candidate in (run, re.sub(r"\.0+$", "", run)):  # "9434765919.0" as a spreadsheet writes it
            digits = re.sub(r"[^0-9]", "", candidate)
            if len(digits) == 10 and passes_mod11(digits):
                return True
    return False


def free_text_problem(text: str | None) -> str | None:
    """The plain-English reason ``text`` may not be stored, or None when it may."""
    if text and contains_nhs_number(text):
        return "This text contains something that " + REFUSED
    return None
