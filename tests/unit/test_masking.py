"""app.services.masking: emails and phone numbers masked for screen-share mode, and the support reference."""

from __future__ import annotations

import re

import pytest

from app.services.masking import (
    REFERENCE_ALPHABET,
    mask_email,
    mask_phone,
    mask_text,
    reference_code,
    support_reference,
)


@pytest.mark.parametrize(("email", "masked"), [
    ("sam.jones@nhs.net", "s•••••@nhs.net"),
    ("s@nhs.uk", "s•••••@nhs.uk"),  # as many bullets for a short name as a long one
    ("a.very.long.name.indeed@nhs.net", "a•••••@nhs.net"),
    ("not an email", "•••••"),
    ("", ""),
])
def test_an_email_keeps_its_first_letter_and_domain(email: str, masked: str) -> None:
    assert mask_email(email) == masked


@pytest.mark.parametrize(("phone", "masked"), [
    ("01632 960002", "••••• •••002"),
    ("07700 900123", "••••• •••123"),
    ("01632 960 401", "••••• ••• 401"),
    ("+44 7700 900123", "+44 •••• •••123"),
    ("0163-296-0001", "••••-•••-•001"),
])
def test_a_phone_number_keeps_its_last_three_digits_and_spacing(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_free_text_has_every_email_and_phone_number_masked() -> None:
    text = "Refused by CQRS: sam.jones@nhs.net is already a user (work phone 01632 960001; kim@nhs.uk)."
    assert mask_text(text) == ("Refused by CQRS: s•••••@nhs.net is already a user "
                               "(work phone ••••• •••001; k•••••@nhs.uk).")


@pytest.mark.parametrize("text", [
    "£12,345.67", "A81001", "Y02345", "27 Nov 2026", "2026-03-31", "71.3%", "9,812 patients", "1234567890",
    "79.19 of 123.00", "Riverside Medical Practice (Z99001)", "12:30", "0.1.0",
])
def test_figures_dates_and_codes_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


def test_a_reference_code_uses_only_letters_and_digits_that_cannot_be_confused() -> None:
    codes = {reference_code() for _ in range(200)}
    assert all(re.fullmatch(f"[{REFERENCE_ALPHABET}]{{6}}", code) for code in codes)
    assert not set("0O1IL5S") & set(REFERENCE_ALPHABET)
    assert len(codes) > 190  # random each time


def test_the_support_reference_names_the_practice_the_version_and_the_code() -> None:
    assert support_reference("A81001", "1.4.0", "K7PQ3X") == "A81001 · 1.4.0 · K7PQ3X"
    assert support_reference(None, "1.4.0", "K7PQ3X") == "no practice · 1.4.0 · K7PQ3X"
