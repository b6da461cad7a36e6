"""The income statement: what CQRS calculated, what was declared, approved and paid, and when payment
is due, per service and month of a QOF year; QOF's aspiration against its achievement payment; the total
expected against the total paid so far; and every item still to declare or still to be paid, in words.

Pure (no Qt): :func:`statement` takes the cached records as ``cache_store.records`` returns them; only
:func:`load` reads the cache (run it on the database worker). Money is exact (Fraction) throughout.
QOF is paid once a year, on its 31 March achievement, less the aspiration paid monthly during the year,
so its other month ends are progress, not claims: they are left out of the monthly rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from app.services import cache_store
from app.services.calculation import year_end_balance
from app.services.dashboard import QOF, qof_dashboard, record_year, result_date, years_held
from app.services.format import money, uk_date
from app.services.record_types import BENCHMARK, DECLARATION, RESULT, TIMETABLE_EVENT
from app.services.rules import (
    APPROVED,
    AWAITING_COMMISSIONER,
    AWAITING_PROVIDER,
    FINANCE_APPROVED,
    PAID,
    rules_for,
    service_name,
)

PAYMENT_EVENT = "payment"  # the timetable's kind for a payment day (central.timetable_plan.PAYMENT)
NOT_DECLARED = "Not declared"
ZERO = Fraction(0)
APPROVED_STATUSES = (APPROVED, FINANCE_APPROVED, PAID)
DECLARED_STATUSES = (AWAITING_COMMISSIONER, *APPROVED_STATUSES)

TO_DECLARE = "Calculated, not yet declared"
TO_BE_PAID = "Declared, not yet paid"
NOTHING_TO_CLAIM = "Nothing to claim: calculated at £0.00."
_WAITING_FOR = {AWAITING_COMMISSIONER: "waiting for the commissioner to approve it",
                APPROVED: "approved, waiting for finance approval",
                FINANCE_APPROVED: "finance approved, waiting to be paid"}


@dataclass(frozen=True)
class IncomeRow:
    service: str
    service_name: str
    achievement_date: date  # the month end the claim is for
    calculated: Fraction | None  # the result's payment; None: nothing calculated
    declared: Fraction | None  # as declared; None until the practice declared it
    approved: Fraction | None  # as declared, once the commissioner approved it
    paid: Fraction | None  # as declared, once paid
    status: str  # a declaration status, or NOT_DECLARED
    payment_due: date | None  # the timetable's payment day for the month
    paid_on: date | None  # when its status became Paid
    flag: str  # "" when paid; otherwise what is still to happen (or that there is nothing to claim), in words

    @property
    def key(self) -> str:
        return f"{self.service}:{self.achievement_date.isoformat()}"

    @property
    def needs_attention(self) -> bool:
        """Calculated but not yet declared, or declared but not yet paid."""
        return self.flag.startswith((TO_DECLARE, TO_BE_PAID))

    @property
    def expected(self) -> Fraction:
        """What the practice expects for it: the declared amount once declared, else the calculation."""
        amount = self.declared if self.status in DECLARED_STATUSES else self.calculated
        return amount if amount is not None else ZERO


@dataclass(frozen=True)
class QofAspiration:
    achievement_date: date  # of the achievement payment below (31 March once the year is complete)
    achievement: Fraction  # the QOF achievement payment calculated at that date
    projected: Fraction  # the achievement projected to 31 March (the achievement itself at year end)
    aspiration_total: Fraction | None  # None without last year's 31 March result
    monthly: Fraction | None
    months_paid: int
    aspiration_paid: Fraction | None
    balance: Fraction | None  # projected achievement − aspiration: paid (or repaid) after the year end
    year_end: IncomeRow | None  # the 31 March declaration row, when there is one

    @property
    def expected(self) -> Fraction:
        return self.year_end.expected if self.year_end is not None else self.projected

    @property
    def paid(self) -> Fraction:
        if self.year_end is not None and self.year_end.paid is not None:
            return self.year_end.paid
        return self.aspiration_paid or ZERO


@dataclass(frozen=True)
class IncomeStatement:
    year: str
    rows: tuple[IncomeRow, ...]  # every claim but QOF's, oldest month first; QOF's year end in ``qof``
    qof: QofAspiration | None
    expected: Fraction  # for the year, as far as calculated (QOF as projected to year end)
    paid: Fraction  # so far
    flagged: tuple[str, ...]  # one sentence per item calculated but not declared, or declared but not paid

    @property
    def outstanding(self) -> Fraction:
        return self.expected - self.paid


def _fraction(value: Any) -> Fraction | None:
    if value is None or value == "":
        return None
    return Fraction(str(value))


def _paid_on(record: Mapping[str, Any] | None) -> date | None:
    for step in reversed((record or {}).get("history") or ()):
        if isinstance(step, Mapping) and step.get("status") == PAID and step.get("at"):
            return datetime.fromisoformat(str(step["at"])).date()
    return None


def payment_day(events: Iterable[Mapping[str, Any]], service: str, achievement_date: date) -> date | None:
    """The timetable's payment day for ``service`` at ``achievement_date``: its own event before one for
    every service (QOF's year end is paid in June, not with the monthly claims)."""
    wanted = achievement_date.isoformat()
    days: dict[bool, list[date]] = {True: [], False: []}
    for event in events:
        if event.get("kind") == PAYMENT_EVENT and str(event.get("achievement_date")) == wanted \
                and event.get("service") in (None, service):
            days[event.get("service") == service].append(date.fromisoformat(str(event["starts"])[:10]))
    chosen = days[True] or days[False]
    return min(chosen) if chosen else None


def _flag(status: str, calculated: Fraction | None, sent_back: bool) -> str:
    if status == PAID:
        return ""
    if status in _WAITING_FOR:
        return f"{TO_BE_PAID}: {_WAITING_FOR[status]}."
    if calculated is None:
        return "Declared, but there is no calculation for it in this app's records."
    if sent_back:
        return f"{TO_DECLARE}: sent back after a recalculation, declare it again."
    return NOTHING_TO_CLAIM if calculated == 0 else f"{TO_DECLARE}."


def _row(service: str, when: date, result: Mapping[str, Any] | None, record: Mapping[str, Any] | None,
         events: Sequence[Mapping[str, Any]]) -> IncomeRow:
    status = str(record.get("status") or AWAITING_PROVIDER) if record else NOT_DECLARED
    declared = _fraction(record.get("payment")) if record and status in DECLARED_STATUSES else None
    calculated = _fraction(result.get("payment")) if result else None
    history = (record or {}).get("history") or ()
    sent_back = status == AWAITING_PROVIDER and any(
        isinstance(step, Mapping) and step.get("status") != AWAITING_PROVIDER for step in history)
    name = str(result["name"]) if result and result.get("name") else service_name(service, when)
    return IncomeRow(service, name, when, calculated, declared,
                     declared if status in APPROVED_STATUSES else None, declared if status == PAID else None,
                     status, payment_day(events, service, when), _paid_on(record) if status == PAID else None,
                     _flag(status, calculated, sent_back))


def _qof(results: Sequence[Mapping[str, Any]], benchmarks: Sequence[Mapping[str, Any]], year: str,
         year_end: IncomeRow | None, today: date) -> QofAspiration | None:
    rules = rules_for(year)
    held = [r for r in results if r.get("service") == QOF and record_year(r) == year]
    if rules is None or not held:
        return None
    latest = max(held, key=result_date)
    when = result_date(latest)
    # The dashboard's own figures, so the statement and the dashboard can never disagree.
    summary = qof_dashboard(results, benchmarks, rules, when, finance=True, today=today).summary
    achievement = summary.payment if summary.payment is not None else ZERO
    projected = summary.projected_payment if summary.projected_payment is not None else achievement
    if when.month == 3 and when.day == 31:
        projected = achievement  # the year is complete: nothing left to project
    total = summary.aspiration_total
    return QofAspiration(when, achievement, projected, total, total / 12 if total is not None else None,
                         summary.aspiration_months, summary.aspiration_to_date,
                         year_end_balance(projected, total) if total is not None else None, year_end)


def _sentence(row: IncomeRow) -> str:
    amount = row.declared if row.status in DECLARED_STATUSES else row.calculated
    return f"{row.service_name}, {uk_date(row.achievement_date)} ({money(amount)}): {row.flag}"


def statement(results: Sequence[Mapping[str, Any]], declared: Sequence[Mapping[str, Any]],
              events: Sequence[Mapping[str, Any]], year: str, today: date,
              benchmarks: Sequence[Mapping[str, Any]] = ()) -> IncomeStatement:
    """The income statement of QOF year ``year`` (e.g. "2026-27") from the cached records, judged on
    ``today`` (the service's date: it decides how many aspiration instalments have been paid)."""
    by_key = {(r["service"], r["achievement_date"]): r for r in results
              if r.get("service") and r.get("achievement_date") and record_year(r) == year}
    records = {(r["service"], r["achievement_date"]): r for r in declared
               if r.get("service") and r.get("achievement_date")
               and record_year({"achievement_date": r["achievement_date"]}) == year}
    rows: list[IncomeRow] = []
    year_end: IncomeRow | None = None
    for service, day in set(by_key) | set(records):
        when = date.fromisoformat(day)
        if service == QOF and (when.month, when.day) != (3, 31):
            continue  # QOF's month ends are progress towards the year end, not claims
        row = _row(service, when, by_key.get((service, day)), records.get((service, day)), events)
        if service == QOF:
            year_end = row
        else:
            rows.append(row)
    rows.sort(key=lambda row: (row.achievement_date, row.service_name.casefold()))
    qof = _qof(results, benchmarks, year, year_end, today)
    if qof is None and year_end is not None:
        rows.append(year_end)  # no QOF rules for the year: its year end still counts as a claim
    claims = sum((row.expected for row in rows), ZERO)
    paid = sum((row.paid or ZERO for row in rows), ZERO)
    if qof is not None:
        claims, paid = claims + qof.expected, paid + qof.paid
    listed = (*rows, *([year_end] if qof is not None and year_end is not None else []))
    flagged = [_sentence(row) for row in listed if row.needs_attention]
    return IncomeStatement(year, tuple(rows), qof, claims, paid, tuple(flagged))


def load_years(ods: str) -> list[str]:
    """Every QOF year with results in the cache, newest first."""
    return years_held(cache_store.records(ods, RESULT))


def load(ods: str, year: str, today: date) -> IncomeStatement:
    """The income statement of practice ``ods`` for ``year``, from the cache (database worker)."""
    return statement(cache_store.records(ods, RESULT), cache_store.records(ods, DECLARATION),
                     cache_store.records(ods, TIMETABLE_EVENT), year, today,
                     cache_store.records(ods, BENCHMARK))
