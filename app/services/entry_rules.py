"""What a manual entry may hold: the one home of these checks, used by the central service (the guard) and
by the desktop's form (so it agrees before anything is sent).

Pure: no Qt, database or network. Each problem is reported against its field (``service``,
``achievement_date``, ``values.<ITEM>``, ``notes``) in plain English saying what is allowed, so the
desktop can show it beside the box it came from. A practice enters only its service's manual items
(``services.toml``), each up to its stated maximum and never above the practice's list size; items that
are extracted automatically or set by the commissioner (such as the weight-management allocation) are
never entered by the practice. Notes never hold anything that looks like an NHS number. An extract the
central service loads meets the same limits (:func:`extracted_item_problem`) and carries only the items
GPES extracts, so no limit can be skipped by sending a count in a file instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from app.services.identifiers import free_text_problem
from app.services.rules import QOF_SERVICE, RuleSet, Service, qof_year, rules_for

ITEM_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")
SERVICE_CODE = re.compile(r"^[A-Z0-9]{2,10}$")
MAX_NOTES = 2000
WHOLE = "Must be a whole number of 0 or more."
NUMERATOR_ABOVE = "The numerator cannot be more than the denominator."


def entry_service(service: str, achievement_date: date) -> tuple[Service | None, dict[str, str]]:
    """The rules of ``service`` for that date's QOF year, or the problem (field ``service`` or
    ``achievement_date``) that stops anything being entered for it."""
    if not SERVICE_CODE.match(service):
        return None, {"service": "Use the service code, such as WM or LDHC."}
    year = qof_year(achievement_date)
    rules = rules_for(year)
    if rules is None:
        return None, {"achievement_date": f"There are no rules for {year}."}
    found = rules.services.get(service)
    if found is None:
        if service == QOF_SERVICE:
            return None, {"service": f"QOF counts come from the extract; nothing is entered by hand. "
                                     f"{_manual_services(rules)}"}
        return None, {"service": f"{service} is not a service in {rules.year}. {_manual_services(rules)}"}
    return found, {}


def service_problems(service: str, achievement_date: date) -> dict[str, str]:
    """Problems with a service and date alone: QOF or a service of that year (declarations use this)."""
    if SERVICE_CODE.match(service) and service == QOF_SERVICE and rules_for(qof_year(achievement_date)):
        return {}
    return entry_service(service, achievement_date)[1]


def count_problems(values: Mapping[str, Any]) -> dict[str, str]:
    """Whole numbers of 0 or more, and a numerator no bigger than its denominator (any service)."""
    if not values:
        return {"values": "Enter at least one value."}
    problems: dict[str, str] = {}
    for item, value in values.items():
        field = f"values.{item}"
        if not ITEM_NAME.match(item):
            problems[field] = "Item names are capital letters, digits and _, such as REFERRALS."
        elif not _whole(value):
            problems[field] = WHOLE
    numerator, denominator = values.get("NUMERATOR"), values.get("DENOMINATOR")
    if not problems and _whole(numerator) and _whole(denominator) and numerator > denominator:
        problems["values.NUMERATOR"] = NUMERATOR_ABOVE
    return problems


def value_problems(service: Service, values: Mapping[str, Any], list_size: int | None = None,
                   *, by_commissioner: bool = False) -> dict[str, str]:
    """Problems with ``values`` entered for ``service`` by the practice (or, with ``by_commissioner``, by
    the commissioner), per field. ``list_size``: the practice's registered list (None when unknown)."""
    allowed = service.commissioner if by_commissioner else service.manual
    problems = count_problems(values)
    for item in values:
        field = f"values.{item}"
        if field in problems:
            continue
        if item not in allowed:
            problems[field] = _not_allowed(service, item, allowed, by_commissioner)
            continue
        limit = item_maximum(service, item, list_size)
        if limit is not None and values[item] > limit:
            problems[field] = limit_words(service, item, list_size)
    return problems


def item_maximum(service: Service, item: str, list_size: int | None = None) -> int | None:
    """The largest value accepted for ``item``: its stated maximum, and never above the list size."""
    stated = service.limits.get(item)
    limits = [n for n in (stated.maximum if stated else None, list_size) if n is not None]
    return min(limits) if limits else None


def limit_words(service: Service, item: str, list_size: int | None = None) -> str:
    """What is allowed for ``item`` in plain English: the lower of its maximum and the list size."""
    stated = service.limits.get(item)
    if list_size is not None and (stated is None or list_size < stated.maximum):
        return f"Must be no more than the practice's list size of {list_size:,} patients."
    assert stated is not None
    return f"Must be no more than {stated.maximum:,}: {stated.reason}."


def extracted_item_problem(service: Service, item: str, count: int, list_size: int | None = None,
                           *, what_if: bool = False) -> str | None:
    """Why an extract may not carry ``count`` of ``item`` for ``service`` (None when it may).

    A file the service loads carries only what GPES extracts (``automatic``): an item the practice enters
    by hand or the commissioner sets never comes in an extract, so its limits cannot be skipped that way.
    A ``what_if`` file (``cqrs-central calculate``, which stores and pays nothing) may carry those items
    too. Either way every count keeps to its stated maximum and the practice's list size.
    """
    if not what_if and item not in service.automatic:
        how = ("is entered by hand on CQRS by the practice, not extracted" if item in service.manual
               else "is set by the commissioner on CQRS, not extracted" if item in service.commissioner
               else "is not extracted")
        allowed = (f"items an extract may carry for {service.code}: {', '.join(service.automatic)}"
                   if service.automatic else f"no item of {service.code} comes in an extract")
        return f"{service.code} {item} {how} ({allowed})"
    limit = item_maximum(service, item, list_size)
    if limit is not None and count > limit:
        words = limit_words(service, item, list_size).rstrip(".")
        return f"{service.code} {item} {count:,} is too many: it {words[0].lower()}{words[1:]}"
    return None


def notes_problems(notes: str | None) -> dict[str, str]:
    """Notes are free text sent to everyone at the practice: no NHS numbers (never echoed), and short."""
    if notes is not None and len(notes) > MAX_NOTES:
        return {"notes": f"Notes can be up to {MAX_NOTES:,} characters."}
    problem = free_text_problem(notes)
    return {"notes": problem} if problem else {}


def entry_problems(service: str, achievement_date: date, values: Mapping[str, Any], notes: str | None,
                   list_size: int | None = None) -> dict[str, str]:
    """Every problem with one manual entry from the practice, per field (empty when it may be stored)."""
    found, problems = entry_service(service, achievement_date)
    if found is None:
        return problems | notes_problems(notes)
    return value_problems(found, values, list_size) | notes_problems(notes)


def manual_services(rules: RuleSet) -> list[Service]:
    """Services of a year with anything the practice enters by hand."""
    return [s for s in rules.services.values() if s.manual]


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _manual_services(rules: RuleSet) -> str:
    codes = ", ".join(s.code for s in manual_services(rules)) or "none"
    return f"Services with items entered by hand in {rules.year}: {codes}."


def _not_allowed(service: Service, item: str, allowed: tuple[str, ...], by_commissioner: bool) -> str:
    choices = ", ".join(allowed) if allowed else "none"
    who = "set by the commissioner" if by_commissioner else "entered by hand"
    allowed_words = f"Items {who} for {service.code}: {choices}."
    if item in service.automatic:
        return f"{item} is extracted automatically, so it cannot be entered by hand. {allowed_words}"
    if item in service.commissioner and not by_commissioner:
        return f"{item} is set by your commissioner, not entered by the practice. {allowed_words}"
    if item in service.manual and by_commissioner:
        return f"{item} is entered by the practice, not set by the commissioner. {allowed_words}"
    return f"{item} is not an item of {service.code}. {allowed_words}"
