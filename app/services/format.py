"""UK display formats for dates, money, points, percentages and counts.

Pure (no Qt, database or network) and shared by both halves: the desktop's views and the central service's
messages word dates and amounts the same way, whatever the machine's locale.
Amounts stay exact (``Fraction``) until here; rounding is always halves away from zero, never via float.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from app.services.calculation import to_pounds

LONDON = ZoneInfo("Europe/London")
BLANK = "—"  # shown for missing values, so an absent figure never reads as zero
MINUS = "\u2212"  # a real minus sign: easier to read than a hyphen next to digits

# Fixed English abbreviations: strftime("%b") follows the machine's locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FULL_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")

Number = Fraction | Decimal | int | float | str


def to_fraction(value: Number | None) -> Fraction | None:
    """An exact Fraction from a number or a numeric string ("22549/100", "69.00"); None/"" -> None.

    Raises ValueError for text that is not a number, so bad data is noticed rather than shown as blank.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        return Fraction(text) if text else None
    if isinstance(value, float):
        # The shortest repr is what the sender meant; Fraction(0.1) would carry binary noise.
        return Fraction(repr(value))
    return Fraction(value)


def round_half_away(value: Fraction, places: int) -> Decimal:
    """Round to ``places`` decimals, halves away from zero, exactly."""
    scaled = abs(value) * 10**places
    whole = math.floor(scaled)
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(whole if value >= 0 else -whole).scaleb(-places)


def _signed(text: str, negative: bool) -> str:
    return MINUS + text if negative else text


def _fixed(value: Decimal, places: int) -> str:
    return _signed(format(abs(value), f".{places}f"), value < 0)


def money(value: Number | None) -> str:
    """£ to the penny with thousands separators: "£12,345.67", "−£5.00"; None -> "—"."""
    amount = to_fraction(value)
    if amount is None:
        return BLANK
    pounds = to_pounds(amount)
    return _signed(f"£{abs(pounds):,.2f}", pounds < 0)


def points(value: Number | None) -> str:
    """Points to two decimals: "412.43"; None -> "—"."""
    amount = to_fraction(value)
    return BLANK if amount is None else _fixed(round_half_away(amount, 2), 2)


def percent(value: Number | None, places: int = 1) -> str:
    """A fraction of 1 as a percentage: Fraction(713, 1000) -> "71.3%"; None -> "—"."""
    amount = to_fraction(value)
    return BLANK if amount is None else _fixed(round_half_away(amount * 100, places), places) + "%"


def count(value: int | None) -> str:
    """A whole number with thousands separators: "12,345"; None -> "—"."""
    return BLANK if value is None else _signed(f"{abs(value):,}", value < 0)


def _parse_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.strip())


def _aware(value: datetime) -> datetime:
    # Naive datetimes are taken as UTC, which is how the service stores them.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def to_london(value: datetime) -> datetime:
    """The same instant in UK local time; naive datetimes are taken as UTC."""
    return _aware(value).astimezone(LONDON)


def month_name_year(value: date) -> str:
    """"April 2025": the whole month name, never from the machine's locale."""
    return f"{_FULL_MONTHS[value.month - 1]} {value.year}"


def month_year(value: date) -> str:
    """A short month heading, "Apr 25", the same on every PC whatever its language setting."""
    return f"{_MONTHS[value.month - 1]} {value.year % 100:02d}"


def _day(value: date) -> str:
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def uk_date(value: date | datetime | str | None) -> str:
    """"27 Nov 2026". Datetimes (and ISO datetime strings) give their date in London; None/"" -> "—"."""
    if value is None or value == "":
        return BLANK
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text)
        except ValueError:
            value = _parse_datetime(text)
    if isinstance(value, datetime):
        value = to_london(value).date()
    return _day(value)


def uk_datetime(value: datetime | str | None) -> str:
    """"27 Nov 2026, 14:05" in London time; naive datetimes are UTC; None/"" -> "—"."""
    if value is None or value == "":
        return BLANK
    moment = to_london(_parse_datetime(value) if isinstance(value, str) else value)
    return f"{_day(moment)}, {moment:%H:%M}"


def _plural(amount: int, unit: str) -> str:
    return f"{amount} {unit}{'' if amount == 1 else 's'} ago"


def ago(when: datetime | None, now: datetime) -> str:
    """How long ago, for "last synced" style labels; a week or more (or the future) gives the date."""
    if when is None:
        return "never"
    # Subtract as UTC: two datetimes sharing the London tzinfo would ignore a clock change between them.
    elapsed = _aware(now).astimezone(UTC) - _aware(when).astimezone(UTC)
    if timedelta(minutes=-1) < elapsed < timedelta(minutes=1):  # allow a little clock skew
        return "just now"
    if elapsed < timedelta(0):
        return uk_date(when)
    if elapsed < timedelta(hours=1):
        return _plural(elapsed // timedelta(minutes=1), "minute")
    if elapsed < timedelta(days=1):
        return _plural(elapsed // timedelta(hours=1), "hour")
    # Beyond a day people think in calendar days, so count London midnights crossed.
    days = (to_london(now).date() - to_london(when).date()).days
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    return uk_date(when)
