"""Declarations and their status flow, and the recalculation bookkeeping that gates declaring.

    Awaiting Service Provider Approval -> Awaiting Commissioning Organisation Approval
        -> Approved -> Finance Approved -> Paid

The practice declares (Declaration Management), which takes a snapshot of the calculated points
and £ and moves the declaration to "Awaiting Commissioning Organisation Approval". The commissioner
approves (Approval Management), then finance-approves (Finance Management) and marks it paid.
No payment without acceptance: a service offered to the practice is declared only once its offer is
accepted (central.offer_gate), whoever calls :func:`declare`; and only a claim is declared: QOF for its
year end (31 March) only, the monthly QOF results tracking progress (app.services.windows).
A recalculation of declared-but-unpaid achievement sends it back to the first status
(:func:`reopen_declarations`); a paid declaration stays paid (an adjustment is a new matter).
"""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.services.format import uk_date
from app.services.rules import (  # noqa: F401  (the statuses are used as flow.PAID etc. elsewhere)
    APPROVED,
    AWAITING_COMMISSIONER,
    AWAITING_PROVIDER,
    DECLARATION_STATUSES,
    FINANCE_APPROVED,
    PAID,
)
from app.services.windows import not_declarable_reason, qof_year_end
from central import audit, feed
from central.errors import ApiError
from central.models import DONE, PENDING, CalculatedResult, Declaration, Organisation, Recalculation, User
from central.offer_gate import check_declaring
from central.records import declaration_record
from central.settings import Clock, system_clock

STATUSES = DECLARATION_STATUSES
REOPENABLE = (AWAITING_COMMISSIONER, APPROVED, FINANCE_APPROVED)
RECALCULATED = "Achievement was recalculated"


def exact(value: Fraction) -> str:
    """An exact string: a decimal when the value has one ("12.5"), else a fraction ("41/3")."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
    scaled = value.numerator * 10**places // value.denominator
    text = f"{abs(scaled):0{places + 1}d}"
    whole = text[:-places] if places else text
    return ("-" if scaled < 0 else "") + whole + ("." + text[-places:] if places else "")


# --- recalculation bookkeeping ----------------------------------------------------------------

def request_recalculation(session: Session, practice_id: int, now: datetime,
                          service: str | None = None) -> Recalculation:
    """Mark a practice (or one service of it) as awaiting recalculation: declaring waits for it."""
    row = Recalculation(practice_id=practice_id, service=service, status=PENDING, requested_at=now)
    session.add(row)
    session.flush()
    return row


def finish_recalculation(session: Session, recalculation: Recalculation, now: datetime) -> None:
    recalculation.status, recalculation.finished_at = DONE, now


def recalculation_pending(session: Session, practice_id: int, service: str) -> bool:
    return session.scalar(select(Recalculation.id).where(
        Recalculation.practice_id == practice_id, Recalculation.status == PENDING,
        or_(Recalculation.service.is_(None), Recalculation.service == service)).limit(1)) is not None


# --- the status flow --------------------------------------------------------------------------

def find(session: Session, practice_id: int, service: str, achievement_date: date) -> Declaration | None:
    return session.scalar(select(Declaration).where(Declaration.practice_id == practice_id,
                                                    Declaration.service == service,
                                                    Declaration.achievement_date == achievement_date))


def check_claim(service: str, achievement_date: date) -> None:
    """Refuse (422 ``not_declarable``) a result that is not a claim, naming what can be declared and when."""
    reason = not_declarable_reason(service, achievement_date)
    if reason is not None:
        year_end = uk_date(qof_year_end(achievement_date))
        raise ApiError(422, "not_declarable", reason,
                       fields={"achievement_date": f"QOF is declared for its year end only: {year_end}."})


def declare(session: Session, practice: Organisation, service: str, achievement_date: date, user: User,
            now: datetime, source: str | None = None) -> Declaration:
    """The practice declares its calculated achievement (checks of roles and windows are the caller's).

    Refused (422 ``not_declarable``) for a result that is not a claim (a monthly QOF result), and (409
    ``offer_not_accepted``) for a service whose offer covering the date is not accepted.
    """
    check_claim(service, achievement_date)
    check_declaring(session, practice.id, service, achievement_date)
    results = list(session.scalars(select(CalculatedResult).where(
        CalculatedResult.practice_id == practice.id, CalculatedResult.service == service,
        CalculatedResult.achievement_date == achievement_date)))
    if not results:
        raise ApiError(409, "nothing_to_declare",
                       f"There is no calculated achievement for {service} on {achievement_date} to declare.")
    snapshot = {r.indicator_id: {"points": r.points, "payment": r.payment} for r in results}
    points = exact(sum((Fraction(r.points) for r in results), Fraction(0)))
    payment = exact(sum((Fraction(r.payment) for r in results), Fraction(0)))
    declaration = find(session, practice.id, service, achievement_date)
    if declaration is None:
        declaration = Declaration(practice_id=practice.id, service=service, achievement_date=achievement_date,
                                  status=AWAITING_PROVIDER, points=points, payment=payment, snapshot={},
                                  history=[], updated_at=now)
        session.add(declaration)
    elif declaration.status != AWAITING_PROVIDER:
        raise ApiError(409, "already_declared",
                       f"This achievement is already declared ({declaration.status}).",
                       extra={"current": declaration_record(declaration)})
    declaration.points, declaration.payment, declaration.snapshot = points, payment, snapshot
    declaration.declared_by_id, declaration.declared_at = user.id, now
    _move(session, declaration, AWAITING_COMMISSIONER, user, now, source, "declare")
    return declaration


def advance(session: Session, declaration: Declaration, to_status: str, actor: User | str, now: datetime,
            source: str | None = None) -> Declaration:
    """Commissioner steps: approve, finance-approve, mark paid — each only from the status before it."""
    expected = STATUSES[STATUSES.index(to_status) - 1]
    if declaration.status != expected:
        raise ApiError(409, "wrong_status",
                       f"Only a declaration that is '{expected}' can become '{to_status}'; "
                       f"this one is '{declaration.status}'.",
                       extra={"current": declaration_record(declaration)})
    _move(session, declaration, to_status, actor, now, source, "declaration " + to_status.lower())
    return declaration


def reopen_declarations(session: Session, practice_id: int, service: str, achievement_date: date, *,
                        clock: Clock | None = None, reason: str = RECALCULATED) -> list[Declaration]:
    """After a recalculation: send a declared, unpaid declaration back to the practice to approve again."""
    now = (clock or system_clock)()
    reopened = []
    declaration = find(session, practice_id, service, achievement_date)
    if declaration is not None and declaration.status in REOPENABLE:
        _move(session, declaration, AWAITING_PROVIDER, "system", now, None, "declaration reopened", reason)
        reopened.append(declaration)
    return reopened


def _move(session: Session, declaration: Declaration, status: str, actor: User | str, now: datetime,
          source: str | None, action: str, reason: str | None = None) -> None:
    by = actor.email if isinstance(actor, User) else actor
    entry: dict[str, Any] = {"status": status, "at": now.isoformat(), "by": by}
    if reason:
        entry["reason"] = reason
    previous = declaration.status
    declaration.status, declaration.updated_at = status, now
    declaration.history = [*declaration.history, entry]  # a new list, so the JSON column is saved
    session.flush()
    audit.record(session, now=now, actor=actor, action=action, target_type="declaration",
                 target_id=declaration.id, organisation_id=declaration.practice_id, source=source,
                 detail={"from": previous, "to": status, "service": declaration.service,
                         "achievement_date": declaration.achievement_date.isoformat()})
    feed.publish(session, declaration.practice_id, feed.DECLARATION, declaration.id,
                 declaration_record(declaration))
