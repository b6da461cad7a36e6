"""Manual-entry forms: each service's manual items as fields, and the checks of what the user typed.

No Qt, no database, no network. The value checks are the central service's own
(app.services.entry_rules), so what the form accepts, CQRS accepts. The practice's list size and the
counts CQRS holds come in a PracticeContext read from the cache (app.services.entry_context).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.services import entry_rules
from app.services.entry_context import PracticeContext
from app.services.format import uk_date
from app.services.rules import RuleSet, Service, qof_year, rules_for

MAX_NOTES = entry_rules.MAX_NOTES
COUNT, YES_NO = "count", "yes_no"

# Plain-English labels, short labels (for lists) and hints for the items a practice enters by hand.
ITEM_TEXT: dict[str, tuple[str, str, str]] = {
    "LD_REG": ("People on the learning disability register", "LD register",
               "Health checks are paid for up to this number of people."),
    "REFERRALS": ("Referrals made", "Referrals", "Referrals to a weight management service in the month."),
    "ALLOCATION": ("Referral allocation", "Allocation",
                   "The number of referrals the commissioner allocated to you."),
    "DOSES": ("Doses given", "Doses", "Vaccinations given in the month that CQRS cannot extract."),
    "NUMERATOR": ("Patients who met the indicator (numerator)", "Numerator", ""),
    "DENOMINATOR": ("Eligible patients (denominator)", "Denominator", ""),
}
# What a cap is called in a warning: "only up to the allocation is paid".
CAP_WORDS = {"ALLOCATION": "allocation", "LD_REG": "register size"}
_WHOLE = re.compile(r"^\d+$|^\d{1,3}(,\d{3})+$")  # 1234 or 1,234


class EntryRefused(ValueError):
    """The entry cannot be saved or queued as it is; ``user_message`` says why, ``fields`` per field."""

    def __init__(self, user_message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.fields = dict(fields or {})


# --- form definitions ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldDefinition:
    name: str  # the item code sent to CQRS, e.g. LD_REG
    label: str
    kind: str = COUNT  # COUNT (a whole number) or YES_NO (1 or 0)
    minimum: int = 0
    maximum: int | None = None  # the stated maximum in the rules (the list size may lower it)
    required: bool = True
    hint: str = ""
    short: str = ""  # for lists: "LD register"

    @property
    def short_label(self) -> str:
        return self.short or self.label


@dataclass(frozen=True)
class CapRule:
    """``item`` above ``cap`` is allowed (the count is true) but only up to the cap is paid: a warning.
    The cap is a field of the form, or a count CQRS holds (e.g. the allocation the commissioner set)."""

    item: str
    cap: str
    word: str  # "allocation"


@dataclass(frozen=True)
class FormDefinition:
    service: str
    service_name: str
    achievement_date: date
    fields: tuple[FieldDefinition, ...]
    caps: tuple[CapRule, ...] = ()
    note: str = ""  # the rules' note on the service, e.g. when referrals must be entered
    rules: Service | None = None  # the service's rules, which the values are checked against
    list_size: int | None = None  # the practice's list size at the date, when synced
    known: Mapping[str, int] = dataclasses.field(default_factory=dict)  # counts CQRS holds, e.g. ALLOCATION

    @property
    def set_by_commissioner(self) -> tuple[str, ...]:
        """Items of this service the commissioner sets (shown, never entered)."""
        return self.rules.commissioner if self.rules else ()

    @property
    def title(self) -> str:
        return f"{self.service_name}, {uk_date(self.achievement_date)}"

    def field(self, name: str) -> FieldDefinition:
        return next(f for f in self.fields if f.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _rules(achievement_date: date) -> RuleSet:
    rules = rules_for(qof_year(achievement_date))
    if rules is None:
        raise EntryRefused(f"This version of the app has no rules for {qof_year(achievement_date)}.")
    return rules


def field_for(item: str, service: Service | None = None) -> FieldDefinition:
    """The field of one item code, whatever the service and year (labels for lists and summaries)."""
    label, short, hint = ITEM_TEXT.get(item, (item.replace("_", " ").capitalize(), "", ""))
    limit = service.limits.get(item) if service else None
    return FieldDefinition(item, label, hint=hint, short=short, maximum=limit.maximum if limit else None)


def _form(service: Service, achievement_date: date, list_size: int | None,
          known: Mapping[str, int]) -> FormDefinition:
    fields = tuple(field_for(item, service) for item in service.manual)
    caps = ()
    if service.cap_item and service.item in service.manual and service.cap_item not in service.automatic:
        caps = (CapRule(service.item, service.cap_item, CAP_WORDS.get(service.cap_item, "limit")),)
    held = {item: count for item, count in known.items() if item not in service.manual}
    return FormDefinition(service.code, service.name, achievement_date, fields, caps, service.note,
                          service, list_size, held)


def form_for(service: str, achievement_date: date, context: PracticeContext | None = None) -> FormDefinition:
    """The form of ``service`` for ``achievement_date``, from that QOF year's manual items; with the
    practice's ``context`` (from the cache) it also knows the list size and the counts CQRS holds."""
    rules = _rules(achievement_date)
    found = rules.services.get(service)
    if found is None or not found.manual:
        raise EntryRefused(f"{service} has nothing to enter by hand in {rules.year}.")
    context = context or PracticeContext()
    return _form(found, achievement_date, context.list_size_at(achievement_date),
                 context.counts_at(service, achievement_date))


def manual_services(achievement_date: date) -> list[tuple[str, str]]:
    """(code, name) of every service with items entered by hand in that date's QOF year."""
    rules = rules_for(qof_year(achievement_date))
    if rules is None:
        return []
    return [(code, s.name) for code, s in rules.services.items() if s.manual]


# --- checking what the user typed ----------------------------------------------------------------

def _text(raw: Any) -> str:
    return "" if raw is None else str(raw).strip()


def _parse(definition: FieldDefinition, raw: Any) -> tuple[int | None, str | None]:
    """(value, problem) for one field; (None, None) when it is empty and may be."""
    text = _text(raw)
    if definition.kind == YES_NO:
        answer = {"yes": 1, "y": 1, "1": 1, "no": 0, "n": 0, "0": 0}.get(text.lower())
        if answer is None:
            return None, "Choose yes or no." if text or definition.required else None
        return answer, None
    if not text:
        return None, "Enter a whole number (0 if there were none)." if definition.required else None
    if text.startswith("-") and _WHOLE.match(text[1:]):
        return None, f"Must be {definition.minimum:,} or more."
    if not _WHOLE.match(text):
        if re.fullmatch(r"[\d,]*\.\d*", text):
            return None, "Enter a whole number, without decimals."
        return None, "Enter a whole number using digits only, such as 58."
    value = int(text.replace(",", ""))
    if value < definition.minimum:
        return None, f"Must be {definition.minimum:,} or more."
    return value, None


def validate(form: FormDefinition, raw_texts: Mapping[str, Any]) -> dict[str, str]:
    """Problems that stop the entry being queued, per field (empty when it can be queued).

    What was typed is read here; the whole numbers are then checked exactly as CQRS checks them (the
    items allowed, each item's stated maximum and the practice's list size, numerator and denominator).
    """
    problems: dict[str, str] = {}
    values: dict[str, int] = {}
    for definition in form.fields:
        value, problem = _parse(definition, raw_texts.get(definition.name))
        if problem:
            problems[definition.name] = problem
        elif value is not None:
            values[definition.name] = value
    if values:
        shared = (entry_rules.value_problems(form.rules, values, form.list_size) if form.rules
                  else entry_rules.count_problems(values))
        for field, problem in shared.items():
            problems.setdefault(field.removeprefix("values."), problem)
    if not problems and not values:
        problems[form.fields[0].name] = "Enter at least one value."
    return problems


def notes_problem(notes: str) -> str | None:
    """Why the notes cannot be sent (too long, or something like an NHS number), or None."""
    return entry_rules.notes_problems(notes).get("notes")


def _cap_value(form: FormDefinition, rule: CapRule, raw_texts: Mapping[str, Any]) -> int | None:
    if rule.cap in form.names:
        return _parse(form.field(rule.cap), raw_texts.get(rule.cap))[0]
    return form.known.get(rule.cap)


def warnings(form: FormDefinition, raw_texts: Mapping[str, Any]) -> dict[str, str]:
    """Things worth knowing that do not stop queuing, per field (e.g. referrals above the allocation)."""
    found: dict[str, str] = {}
    for rule in form.caps:
        item, _ = _parse(form.field(rule.item), raw_texts.get(rule.item))
        cap = _cap_value(form, rule, raw_texts)
        if item is not None and cap is not None and item > cap:
            found[rule.item] = (f"More than the {rule.word} of {cap:,}: only up to the {rule.word} is paid. "
                                "You can still send it.")
    return found


def values_of(form: FormDefinition, raw_texts: Mapping[str, Any]) -> dict[str, int]:
    """The valid, non-empty values as whole numbers (what is sent)."""
    values = {}
    for definition in form.fields:
        value, problem = _parse(definition, raw_texts.get(definition.name))
        if value is not None and problem is None:
            values[definition.name] = value
    return values


def draft_values(form: FormDefinition, raw_texts: Mapping[str, Any]) -> dict[str, int | str]:
    """What a draft keeps: whole numbers where they are valid, otherwise the text as typed."""
    kept: dict[str, int | str] = {}
    for definition in form.fields:
        text = _text(raw_texts.get(definition.name))
        if text:
            value, problem = _parse(definition, text)
            kept[definition.name] = value if value is not None and problem is None else text
    return kept
