"""No payment without acceptance: what a service's offers allow a practice to declare and enter.

A service offered to a practice (an offer whose period covers the achievement date) is paid only once
the practice accepts it: until then it cannot be declared (409 ``offer_not_accepted``), and once the
offer is rejected nothing more is entered by hand for it (409 ``offer_rejected``). While an offer is
pending, entries may still be prepared and submitted, ready for when it is accepted. A participation-only
offer (e.g. the Network Contract DES) pays nothing through CQRS, so it is never declared. A service with
no offer covering the date (QOF and V&I, unless offered) is not affected.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import offer_rules
from app.services.format import uk_date
from central.errors import ApiError
from central.models import REJECTED, Offer

NOT_ACCEPTED = "offer_not_accepted"
REJECTED_CODE = "offer_rejected"


def covering_offers(session: Session, practice_id: int, service: str, day: date) -> list[Offer]:
    """The practice's offers of ``service`` whose period covers ``day``."""
    return list(session.scalars(select(Offer).where(
        Offer.practice_id == practice_id, Offer.service == service,
        Offer.start_date <= day, Offer.end_date >= day).order_by(Offer.id)))


def declaring_problem(session: Session, practice_id: int, service: str, day: date) -> str | None:
    """Why ``service`` cannot be declared at ``day`` because of its offers (None when it can): the rule
    is the desktop's too (app.services.offer_rules), worded here for the service's answer."""
    offers = [{"service": o.service, "start_date": o.start_date, "end_date": o.end_date,
               "participation_only": o.participation_only, "status": o.status}
              for o in covering_offers(session, practice_id, service, day)]
    block = offer_rules.declaring_block(offers, service, day)
    if block is None:
        return None
    if block.reason == offer_rules.AWAITING_ACCEPTANCE:
        return f"Accept the offer for {service} first: CQRS pays nothing until it is accepted."
    if block.reason == offer_rules.NOT_ACCEPTED and block.offer is not None:
        offer = block.offer
        period = f"{uk_date(offer['start_date'])} to {uk_date(offer['end_date'])}"
        return (f"The offer for {service} ({period}) was {offer['status']}: CQRS pays nothing for a "
                "service whose offer is not accepted, so there is nothing to declare.")
    return (f"{service} is offered for participation only: CQRS pays nothing for it, so there is nothing "
            "to declare.")


def check_declaring(session: Session, practice_id: int, service: str, day: date) -> None:
    """Raise 409 ``offer_not_accepted`` unless the service's offer (if it has one) is accepted."""
    problem = declaring_problem(session, practice_id, service, day)
    if problem:
        raise ApiError(409, NOT_ACCEPTED, problem)


def entering_problem(session: Session, practice_id: int, service: str, day: date) -> str | None:
    """Why nothing may be entered by hand for ``service`` at ``day``: its offer was rejected."""
    offers = covering_offers(session, practice_id, service, day)
    if not offers or any(o.status != REJECTED for o in offers):
        return None
    offer = offers[-1]
    return (f"The practice rejected the offer for {service} ({_period(offer)}), so nothing is entered for "
            f"it: CQRS pays nothing for a service whose offer is not accepted.")


def check_entering(session: Session, practice_id: int, service: str, day: date) -> None:
    """Raise 409 ``offer_rejected`` when the service's offer for that date was rejected."""
    problem = entering_problem(session, practice_id, service, day)
    if problem:
        raise ApiError(409, REJECTED_CODE, problem)


def _period(offer: Offer) -> str:
    return f"{uk_date(offer.start_date)} to {uk_date(offer.end_date)}"
