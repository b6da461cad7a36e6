"""Patient identifiers: CQRS holds aggregate data only, so anything that looks like an NHS number is refused.

Pure (no Qt, database or network) and shared by both halves: the central service refuses such values in
every extract cell and header and every free-text field; the desktop warns as the user types.

A value is *NHS-number-like* when ten digits that pass the NHS-number modulus-11 check can be read from
it in any of the ways people and spreadsheets write them: ``9434765919``, ``943 476 5919``,
``943-476-5919``, ``943.476.5919``, ``NHS9434765919``, ``NHS: 943 476 5919``, ``9434765919.0`` and
``9.434765919E+09``. Full-width and other Unicode digits count as digits, and invisible characters
between the digits are ignored. A longer run of digits without separators (e.g. an 11-digit phone
number) is not an NHS number. Messages never repeat the value.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

NHS_DIGITS = 10
# A run of digit groups joined by short separators ("943 476 5919", "943 - 476 - 5919", "9.434765919").
_RUN = re.compile(r"[0-9]+(?:[\s.\-]{1,3}[0-9]+)*")
_GROUP = re.compile(r"[0-9]+")
# A number as a spreadsheet writes it: "9434765919.0", "9.434765919E+09".
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE]\+?[0-9]{1,2})?")
_PREFIX = re.compile(r"NHS(?:\s*(?:no\.?|num(?:ber)?))?\s*[:#.\-]?\s*", re.IGNORECASE)
_WHOLE_RUN = re.compile(r"[0-9]+(?:\s*[.\- ]\s*[0-9]+)*(?:\.0+)?")
_NO_DIGITS = str.maketrans("", "", "0123456789")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")

REFUSED = ("looks like an NHS number. CQRS holds aggregate data only, so patient identifiers are "
           "not accepted: remove it.")


def passes_mod11(digits: str) -> bool:
    """True when ``digits`` is ten ASCII digits whose last is the NHS-number modulus-11 check digit."""
    if len(digits) != NHS_DIGITS or not (digits.isascii() and digits.isdigit()):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def is_nhs_number(value: str) -> bool:
    """True when the whole of ``value`` is one NHS-number-like value (e.g. one extract cell)."""
    text = _PREFIX.sub("", _normalise(value).strip(), count=1)
    whole = _integer(text)
    if whole is not None:
        return passes_mod11(whole)
    if not _WHOLE_RUN.fullmatch(text):
        return False
    # With and without a spreadsheet's ".0" (ambiguous when the last group is all zeros).
    return any(passes_mod11("".join(_GROUP.findall(t))) for t in (text, re.sub(r"\.0+$", "", text)))


def contains_nhs_number(text: str) -> bool:
    """True when an NHS-number-like value appears anywhere in ``text`` (a cell, header, note or name)."""
    text = _normalise(text)
    # Most cells and notes hold fewer than ten digits: a cheap count settles them.
    if len(text) < NHS_DIGITS or len(text) - len(text.translate(_NO_DIGITS)) < NHS_DIGITS:
        return False
    for match in _RUN.finditer(text):
        if _run_holds_number(match.group()):
            return True
    # Digit groups cover every other form; only an exponent can shift digits ("9.4347659190E+09").
    if "e" not in text and "E" not in text:
        return False
    return any(passes_mod11(_integer(m.group()) or "") for m in _NUMBER.finditer(text))


def free_text_problem(text: str | None) -> str | None:
    """The plain-English reason ``text`` may not be stored, or None when it may."""
    if text and contains_nhs_number(text):
        return "This text contains something that " + REFUSED
    return None


# --- helpers ---------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    """ASCII digits and hyphens for any Unicode digit or dash; invisible (format) characters dropped."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    out = []
    for char in text:
        if char.isdecimal():
            out.append(str(unicodedata.decimal(char)))
        elif unicodedata.category(char) != "Cf":  # zero-width spaces and joiners, direction marks
            out.append(char)
    return "".join(out)


def _run_holds_number(run: str) -> bool:
    """True when consecutive digit groups of ``run``, joined by one kind of separator, make a number.

    One kind only, as people write them ("943 476 5919", "943-476-5919"), so that a date followed by
    a count ("2026-03-31 14") is not read as ten digits.
    """
    groups = _GROUP.findall(run)
    if sum(len(g) for g in groups) < NHS_DIGITS:
        return False
    separators = [s.strip() or " " for s in _GROUP.split(run)[1:-1]]
    for start, group in enumerate(groups):
        digits, kind = group, None
        for sep, following in zip(separators[start:], groups[start + 1:], strict=False):
            if len(digits) >= NHS_DIGITS or kind not in (None, sep):
                break
            digits, kind = digits + following, sep
        if passes_mod11(digits):
            return True
    return False


def _integer(text: str) -> str | None:
    """The digits of ``text`` when it is a whole number of ten digits written as a decimal, else None."""
    if len(text) > 40 or not _NUMBER.fullmatch(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    # adjusted() is the power of ten of the first digit: 9 for every ten-digit whole number.
    if number.adjusted() != NHS_DIGITS - 1 or number != number.to_integral_value():
        return None
    return str(int(number))
