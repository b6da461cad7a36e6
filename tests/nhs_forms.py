"""NHS numbers for tests: valid ones generated with their check digit, and the ways people write them."""

from __future__ import annotations

from hypothesis import strategies as st

# 9434765919: 9×10+4×9+3×8+4×7+7×6+6×5+5×4+9×3+1×2 = 299; 299 mod 11 = 2; 11 − 2 = 9, the last digit.
NHS_NUMBER = "9434765919"


def check_digit(nine: str) -> int | None:
    """The modulus-11 check digit for nine digits, or None when it would be 10 (no such NHS number)."""
    check = 11 - sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11
    return None if check == 10 else check % 11


def written_forms(digits: str) -> dict[str, str]:
    """One NHS number as people and spreadsheets write it."""
    groups = f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    forms = {
        "plain": digits,
        "spaced": groups,
        "hyphens": groups.replace(" ", "-"),
        "dots": groups.replace(" ", "."),
        "prefix": "NHS" + digits,
        "prefix spaced": "NHS " + groups,
        "spreadsheet": digits + ".0",
        "full-width": digits.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    }
    if digits[0] != "0":
        forms["scientific"] = f"{digits[0]}.{digits[1:]}E+09"
    return forms


FORMS = tuple(written_forms(NHS_NUMBER))

nhs_numbers = (
    st.integers(0, 10**9 - 1)
    .map(lambda n: f"{n:09d}")
    .filter(lambda nine: check_digit(nine) is not None)
    .map(lambda nine: nine + str(check_digit(nine)))
)


@st.composite
def written_nhs_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(the ten digits, one way of writing them)."""
    digits = draw(nhs_numbers)
    forms = written_forms(digits)
    return digits, forms[draw(st.sampled_from(sorted(forms)))]


def punctuated_forms(digits: str) -> dict[str, str]:
    """The same number grouped with other punctuation; some hold commas, so quote them in a CSV cell."""
    first, second, last = digits[:3], digits[3:6], digits[6:]
    forms = {
        "brackets": f"({first}) {second} {last}",
        "brackets and hyphen": f"({first}) {second}-{last}",
        "underscores": f"{first}_{second}_{last}",
        "slashes": f"{first}/{second}/{last}",
        "middle dots": f"{first}·{second}·{last}",
        "commas": f"{first},{second},{last}",
        "commas spaced": f"{first}, {second}, {last}",
        "bars spaced": f"{first} | {second} | {last}",
        "thousands": f"{digits[0]},{digits[1:4]},{digits[4:7]},{digits[7:]}",
        "thousands spaced": f"{digits[0]} {digits[1:4]} {digits[4:7]} {digits[7:]}",
    }
    return forms


PUNCTUATED_FORMS = tuple(punctuated_forms(NHS_NUMBER))


@st.composite
def punctuated_nhs_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(the ten digits, one way of writing them with other punctuation)."""
    digits = draw(nhs_numbers)
    forms = punctuated_forms(digits)
    return digits, forms[draw(st.sampled_from(sorted(forms)))]
