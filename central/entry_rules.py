"""What a manual entry may contain: a known service for its year and whole-number counts.

Each problem is reported against its field (``service``, ``achievement_date``, ``values.<ITEM>``)
in plain English, so the desktop can show it beside the box it came from.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from app.services.rules import QOF_SERVICE, qof_year, rules_for

ITEM_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")
SERVICE_CODE = re.compile(r"^[A-Z0-9]{2,10}$")
MAX_COUNT = 10_000_000
WHOLE = "Must be a whole number of 0 or more."




def service_problems(service: str, achievement_date: date) -> dict[str, str]:
    if not SERVICE_CODE.match(service):
        return {"service": "Use the service code, such as QOF or MMR."}
    rules = rules_for(qof_year(achievement_date))
    if rules is None:
        return {"achievement_date": f"There are no rules for {qof_year(achievement_date)}."}
    if service != QOF_SERVICE and service not in rules.services:
        return {"service": f"{service} is not a service in {rules.year}."}
    return {}


def value_problems(values: dict[str, Any]) -> dict[str, str]:
    if not values:
        return {"values": "Enter at least one value."}
    problems: dict[str, str] = {}
    for item, value in values.items():
        field = f"values.{item}"
        if not ITEM_NAME.match(item):
            problems[field] = "Item names are capital letters, digits and _, such as NUMERATOR."
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems[field] = WHOLE
        elif value > MAX_COUNT:
            problems[field] = f"Must be no more than {MAX_COUNT:,}."
    numerator, denominator = values.get("NUMERATOR"), values.get("DENOMINATOR")
    both = isinstance(numerator, int) and isinstance(denominator, int)
    if not problems and both and numerator > denominator:  # type: ignore[operator]
        problems["values.NUMERATOR"] = "The numerator cannot be more than the denominator."
    return problems
