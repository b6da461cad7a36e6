"""app.services.format: UK display formats, with expectations worked out by hand."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest

from app.services.format import (
    ago,
    count,
    money,
    percent,
    points,
    round_half_away,
    to_fraction,
    uk_date,
    uk_datetime,
)

MINUS = "\u2212"


@pytest.mark.parametrize(("value", "expected"), [
    (None, None),
    ("", None),
    ("  ", None),
    ("22549/100", Fraction(22549, 100)),
    ("69.00", Fraction(69)),
    (" -5 ", Fraction(-5)),
    (Decimal("2.675"), Fraction(2675, 1000)),
    (7, Fraction(7)),
    (Fraction(1, 3), Fraction(1, 3)),
    (2.675, Fraction(2675, 1000)),  # the float's shortest repr, not its binary expansion
])
def test_to_fraction(value, expected) -> None:
    assert to_fraction(value) == expected


def test_to_fraction_rejects_text_that_is_not_a_number() -> None:
    with pytest.raises(ValueError):
        to_fraction("twelve")


@pytest.mark.parametrize(("value", "places", "expected"), [
    (Fraction(412425, 1000), 2, Decimal("412.43")),
    (Fraction(-412425, 1000), 2, Decimal("-412.43")),
    (Fraction(412424999, 1000000), 2, Decimal("412.42")),
    (Fraction(1, 2), 0, Decimal("1")),
    (Fraction(-1, 2), 0, Decimal("-1")),
    (Fraction(-1, 3), 2, Decimal("-0.33")),
    (Fraction(-1, 300), 2, Decimal("0.00")),
])
def test_round_half_away(value, places, expected) -> None:
    assert round_half_away(value, places) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2.675", "£2.68"),
    (2.675, "£2.68"),  # the float 2.675 is just below 2.675, yet the user typed 2.675
    (Fraction(1, 3), "£0.33"),
    (Fraction(2, 3), "£0.67"),
    ("-5", f"{MINUS}£5.00"),
    ("22549/100", "£225.49"),
    ("69.00", "£69.00"),
    (Decimal("12345.675"), "£12,345.68"),
    (1234567, "£1,234,567.00"),
    (0, "£0.00"),
    (Fraction(-1, 200), f"{MINUS}£0.01"),  # −0.005: away from zero
    (Fraction(-1, 300), "£0.00"),  # rounds to nothing, so no minus sign
    (Decimal("-12345.6"), f"{MINUS}£12,345.60"),
    (None, "—"),
    ("", "—"),
])
def test_money(value, expected) -> None:
    assert money(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("412.425", "412.43"),
    (Decimal("412.4249"), "412.42"),
    (Fraction(1, 3), "0.33"),
    ("22549/100", "225.49"),
    (0, "0.00"),
    (2.5, "2.50"),
    ("1234.5", "1234.50"),
    ("-1.005", f"{MINUS}1.01"),
    (None, "—"),
])
def test_points(value, expected) -> None:
    assert points(value) == expected


@pytest.mark.parametrize(("value", "places", "expected"), [
    (Fraction(713, 1000), 1, "71.3%"),
    (0, 1, "0.0%"),
    (1, 1, "100.0%"),
    (Fraction(1, 3), 1, "33.3%"),
    (Fraction(2, 3), 1, "66.7%"),
    (Fraction(1, 2000), 1, "0.1%"),  # 0.05%: half away from zero
    (Fraction(1, 2001), 1, "0.0%"),
    ("0.9995", 1, "100.0%"),
    (Fraction(5, 4), 1, "125.0%"),
    (Fraction(-1, 8), 1, f"{MINUS}12.5%"),
    (Fraction(1, 200), 0, "1%"),
    (Fraction(1, 3), 2, "33.33%"),
    ("0.5", 0, "50%"),
    (None, 1, "—"),
])
def test_percent(value, places, expected) -> None:
    assert percent(value, places) == expected


def test_percent_defaults_to_one_place() -> None:
    assert percent(Fraction(1, 8)) == "12.5%"


@pytest.mark.parametrize(("value", "expected"), [
    (12345, "12,345"), (0, "0"), (999, "999"), (1000000, "1,000,000"), (-1234, f"{MINUS}1,234"), (None, "—"),
])
def test_count(value, expected) -> None:
    assert count(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-03-31", "31 Mar 2026"),
    (date(2026, 11, 27), "27 Nov 2026"),
    (date(2026, 1, 5), "5 Jan 2026"),  # no leading zero
    (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "1 Jul 2026"),  # 00:30 BST
    ("2026-06-30T23:30:00Z", "1 Jul 2026"),
    ("2026-06-30T23:30:00+00:00", "1 Jul 2026"),
    (datetime(2026, 6, 30, 23, 30), "1 Jul 2026"),  # naive is UTC
    ("2026-06-30T23:30:00", "1 Jul 2026"),
    (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "31 Dec 2026"),  # GMT in winter
    (datetime(2026, 7, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))), "30 Jun 2026"),  # 23:30 BST
    (None, "—"),
    ("", "—"),
])
def test_uk_date(value, expected) -> None:
    assert uk_date(value) == expected


def test_uk_date_rejects_text_that_is_not_a_date() -> None:
    with pytest.raises(ValueError):
        uk_date("31/03/2026")


@pytest.mark.parametrize(("value", "expected"), [
    (datetime(2026, 11, 27, 14, 5, tzinfo=UTC), "27 Nov 2026, 14:05"),
    (datetime(2026, 7, 1, 13, 5, tzinfo=UTC), "1 Jul 2026, 14:05"),
    ("2026-07-01T13:05:00Z", "1 Jul 2026, 14:05"),
    (datetime(2026, 7, 1, 13, 5), "1 Jul 2026, 14:05"),
    (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "29 Mar 2026, 00:59"),  # just before BST starts
    (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "29 Mar 2026, 02:00"),
    (None, "—"),
    ("", "—"),
])
def test_uk_datetime(value, expected) -> None:
    assert uk_datetime(value) == expected


NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # GMT, so London wall time equals UTC


@pytest.mark.parametrize(("when", "expected"), [
    (None, "never"),
    (NOW, "just now"),
    (NOW - timedelta(seconds=59), "just now"),
    (NOW + timedelta(seconds=30), "just now"),  # a little clock skew
    (NOW - timedelta(seconds=60), "1 minute ago"),
    (NOW - timedelta(minutes=5), "5 minutes ago"),
    (NOW - timedelta(minutes=59, seconds=59), "59 minutes ago"),
    (NOW - timedelta(hours=1), "1 hour ago"),
    (NOW - timedelta(hours=3, minutes=59), "3 hours ago"),
    (NOW - timedelta(hours=23, minutes=59), "23 hours ago"),
    (NOW - timedelta(hours=24), "yesterday"),
    (datetime(2026, 11, 26, 0, 0, tzinfo=UTC), "yesterday"),
    (datetime(2026, 11, 25, 23, 59, tzinfo=UTC), "2 days ago"),
    (NOW - timedelta(days=4), "4 days ago"),
    (NOW - timedelta(days=6), "6 days ago"),
    (NOW - timedelta(days=7), "20 Nov 2026"),
    (NOW + timedelta(hours=2), "27 Nov 2026"),  # the future: just the date
    (datetime(2026, 11, 27, 11, 0), "1 hour ago"),  # naive is UTC
])
def test_ago(when, expected) -> None:
    assert ago(when, NOW) == expected


def test_ago_counts_real_time_across_the_clocks_going_back() -> None:
    # 01:30 BST then 01:30 GMT on 25 Oct 2026: the same wall time, an hour apart.
    before, after = datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert ago(before, after) == "1 hour ago"


def test_ago_counts_london_calendar_days() -> None:
    # 23:00 BST on 29 Jun to 00:30 BST on 1 Jul is two London days, though only one UTC day.
    now = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert ago(datetime(2026, 6, 29, 22, 0, tzinfo=UTC), now) == "2 days ago"
    assert ago(datetime(2026, 6, 29, 23, 0, tzinfo=UTC), now) == "yesterday"


def test_ago_accepts_a_naive_now_as_utc() -> None:
    assert ago(datetime(2026, 11, 27, 11, 55, tzinfo=UTC), datetime(2026, 11, 27, 12, 0)) == "5 minutes ago"
