"""Patient identifiers: CQRS holds aggregate data only, so anything that looks like an NHS number is refused.

Pure (no Qt, database or network) and shared by both halves: the central service refuses such values in
every extract cell and header and every free-text field; the desktop warns as the user types.

A value is *NHS-number-like* when ten digits that pass the NHS-number modulus-11 check can be read from
it in any of the ways people and spreadsheets write them: ``9434765919``, ``943 476 5919``,
``943-476-5919``, ``943.476.5919``, ``NHS9434765919``, ``NHS: 943 476 5919``, ``9434765919.0`` and
``9.434765919E+09``; grouped 3-3-4 by one of ``_ / · , |`` (``943_476_5919``, ``943, 476, 5919``,
``943 | 476 | 5919``) or with the first group in brackets (``(943) 476 5919``); and in thousands
(``9,434,765,919``). Full-width and other Unicode digits count as digits, and invisible characters
between the digits are ignored. A longer run of digits without separators (e.g. an 11-digit phone
number) is not an NHS number, nor is a UK phone number written with +44. Messages never repeat the
value, and :func:`redact` takes such values out of any text that quotes what was sent (the central
service's error answers).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

NHS_DIGITS = 10
# A run of digit groups joined by short separators ("943 476 5919", "943 - 476 - 5919", "9.434765919",
# "943_476_5919", "943, 476, 5919", "943 | 476 | 5919").
_RUN = re.compile(r"[0-9]+(?:(?:[\s.\-]{1,3}|\s{0,2}[_/·,|]\s{0,2})[0-9]+)*")
# Separators people use only in set groupings, so that a list of counts ("12, 345, 67, 890") or a date
# ("31/03/2026") is not read as one number: the group lengths each of them allows.
_STRICT = {"_": {(3, 3, 4)}, "/": {(3, 3, 4)}, "·": {(3, 3, 4)}, "|": {(3, 3, 4)},
           ",": {(3, 3, 4), (1, 3, 3, 3)}}
# How NHS numbers are usually grouped: 943 476 5919, and in thousands 9,434,765,919.
_USUAL = ((3, 3, 4), (1, 3, 3, 3))
# The first group in brackets, as a telephone number is written: "(943) 476 5919", "(943) 476-5919".
_BRACKETED = re.compile(r"\(\s*([0-9]{3})\s*\)\s*(?:[.\-_/·,|]\s*)?([0-9]{3})\s*(?:[.\-_/·,|]\s*)?"
                        r"([0-9]{4})(?![0-9])")
# A UK telephone number written with its country code: ten digits after "+44" are its national number.
_UK_INTERNATIONAL = re.compile(r"\+\s*44\s*(?:\(\s*0\s*\)\s*)?[1-9](?:[\s.\-]?[0-9]){8,9}(?![0-9])")
# The whole of a value that is only digits and the separators and brackets above.
_WRITTEN = re.compile(r"[0-9(][0-9\s.\-_/·,|()]*[0-9]")
_GROUP = re.compile(r"[0-9]+")
# A number as a spreadsheet writes it: "9434765919.0", "9.434765919E+09".
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE]\+?[0-9]{1,2})?")
_PREFIX = re.compile(r"NHS(?:\s*(?:no\.?|num(?:ber)?))?\s*[:#.\-]?\s*", re.IGNORECASE)
_WHOLE_RUN = re.compile(r"[0-9]+(?:\s*[.\- ]\s*[0-9]+)*(?:\.0+)?")
_NO_DIGITS = str.maketrans("", "", "0123456789")
# Hyphens for Unicode dashes and a middle dot for other dots people put between digit groups.
_DASH_FORMS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_SEPARATOR_FORMS = (dict.fromkeys(map(ord, _DASH_FORMS), "-")
                    | dict.fromkeys(map(ord, "\u2022\u2027\u2219\u22c5\u30fb"), "·"))
# Characters that may sit between the digits of one written number, for redact().
_JOINERS = frozenset(" \t\r\n.-_/·,|()+eE")
REMOVED = "[number removed]"

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
    # With and without a spreadsheet's ".0" (ambiguous when the last group is all zeros).
    if _WHOLE_RUN.fullmatch(text) and any(
            passes_mod11("".join(_GROUP.findall(t))) for t in (text, re.sub(r"\.0+$", "", text))):
        return True
    # Other groupings ("943_476_5919", "(943) 476 5919", "9,434,765,919"): ten digits and nothing else.
    return (_WRITTEN.fullmatch(text) is not None and len(_GROUP.findall(text)) > 1
            and len("".join(_GROUP.findall(text))) == NHS_DIGITS and contains_nhs_number(text))


def contains_nhs_number(text: str) -> bool:
    """True when an NHS-number-like value appears anywhere in ``text`` (a cell, header, note or name)."""
    text = _normalise(text)
    # Most cells and notes hold fewer than ten digits: a cheap count settles them.
    if len(text) < NHS_DIGITS or len(text) - len(text.translate(_NO_DIGITS)) < NHS_DIGITS:
        return False
    if "+" in text:
        text = _UK_INTERNATIONAL.sub(" ", text)
    for match in _RUN.finditer(text):
        if _run_holds_number(match.group()):
            return True
    if "(" in text and any(passes_mod11("".join(m.groups())) for m in _BRACKETED.finditer(text)):
        return True
    # Digit groups cover every other form; only an exponent can shift digits ("9.4347659190E+09").
    if "e" not in text and "E" not in text:
        return False
    return any(passes_mod11(_integer(m.group()) or "") for m in _NUMBER.finditer(text)
               if "e" in m.group() or "E" in m.group())


def free_text_problem(text: str | None) -> str | None:
    """The plain-English reason ``text`` may not be stored, or None when it may."""
    if text and contains_nhs_number(text):
        return "This text contains something that " + REFUSED
    return None


def redact(text: str, replacement: str = REMOVED) -> str:
    """``text`` with each NHS-number-like value in it replaced by ``replacement`` (the rest kept).

    For messages that quote what was sent: an error answer naming a field, a service or a role.
    """
    if not contains_nhs_number(text):
        return text
    out: list[str] = []
    done = 0
    for start, end in _number_spans(text):
        out.append(text[done:start])
        out.append(replacement if contains_nhs_number(text[start:end]) else text[start:end])
        done = end
    out.append(text[done:])
    result = "".join(out)
    if contains_nhs_number(result):  # digits the spans did not hold together: drop every digit
        marked = "".join("\0" if _digit(c) else c for c in result)
        result = re.sub("\0+", lambda _: replacement, marked)
    return result


# --- helpers ---------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    """ASCII digits, hyphens and middle dots for Unicode digits, dashes and dots; invisible characters go."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text).translate(_SEPARATOR_FORMS)
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
    a count ("2026-03-31 14") is not read as ten digits; the kinds in ``_STRICT`` only in their groupings.
    Groups read together in an unusual grouping never include one written tight against a neighbour
    outside them by another kind ("2000" in "01/01/2000 999999" belongs to the date).
    """
    groups = _GROUP.findall(run)
    if sum(len(g) for g in groups) < NHS_DIGITS:
        return False
    raw = _GROUP.split(run)[1:-1]
    separators = [s.strip() or " " for s in raw]
    for start, group in enumerate(groups):
        digits, kind, last = group, None, start
        for sep, following in zip(separators[start:], groups[start + 1:], strict=False):
            if len(digits) >= NHS_DIGITS or kind not in (None, sep):
                break
            digits, kind, last = digits + following, sep, last + 1
        if not passes_mod11(digits):
            continue
        if kind is None:
            return True
        lengths = tuple(len(g) for g in groups[start:last + 1])
        if kind in _STRICT and lengths not in _STRICT[kind]:
            continue
        if lengths in _USUAL or not (_tied(raw, separators, start - 1, kind)
                                     or _tied(raw, separators, last, kind)):
            return True
    return False


def _tied(raw: list[str], separators: list[str], index: int, kind: str) -> bool:
    """True when separator ``index`` exists, has no space in it and is not of ``kind``."""
    return 0 <= index < len(raw) and raw[index] == raw[index].strip() and separators[index] != kind


def _digit(char: str) -> bool:
    """True for a character read as a digit: any Unicode digit, or one that normalises to digits."""
    if char.isascii():
        return char.isdigit()
    return char.isdigit() or any(c.isdigit() for c in unicodedata.normalize("NFKC", char))


def _joiner(char: str) -> bool:
    """True for a character that may sit between the digits of one written number."""
    if char.isascii():
        return char in _JOINERS
    if unicodedata.category(char) in ("Cf", "Zs", "Zl", "Zp", "Pd"):
        return True
    return unicodedata.normalize("NFKC", char).translate(_SEPARATOR_FORMS) in _JOINERS


def _number_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each stretch of ``text`` made of digits and joiners, from its first digit (or an
    opening bracket just before it, as in "(943) 476 5919") to its last digit."""
    spans: list[tuple[int, int]] = []
    index, size = 0, len(text)
    while index < size:
        if not _digit(text[index]):
            index += 1
            continue
        start = end = index
        while index < size and (_digit(text[index]) or _joiner(text[index])):
            if _digit(text[index]):
                end = index + 1
            index += 1
        bracket = start - 1
        while bracket > (spans[-1][1] if spans else 0) and text[bracket].isspace():
            bracket -= 1
        if bracket >= (spans[-1][1] if spans else 0) and text[bracket] in "(\uff08":
            start = bracket
        spans.append((start, end))
    return spans


def _integer(text: str) -> str | None:
    """The digits of ``text`` when it is a whole number of ten digits written as a decimal, else None."""
    # A leading zero makes it a longer run ("01632960983", a phone number), not ten digits.
    if len(text) > 40 or not _NUMBER.fullmatch(text) or re.match("0[0-9]", text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    # adjusted() is the power of ten of the first digit: 9 for every ten-digit whole number.
    if number.adjusted() != NHS_DIGITS - 1 or number != number.to_integral_value():
        return None
    return str(int(number))
