"""No payment without acceptance: what a service's offers allow a practice to declare.

Pure (no Qt, no database, no network), written to be shared by both halves: the central service refuses
declaring a service whose offer is not accepted (409 ``offer_not_accepted``, central.offer_gate) and the
desktop says so first, with the same rule, so it never queues a declaration that would be refused.

A service offered to a practice (an offer whose period covers the achievement date) is paid only once
the practice accepts it. A participation-only offer pays nothing through CQRS, so it is never declared.
A service with no offer covering the date (QOF and V&I, unless offered) is not affected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.services.format import uk_date

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
# Why a service cannot be declared: its offer waits for an answer, was not accepted, or pays nothing.
AWAITING_ACCEPTANCE = "awaiting acceptance"
NOT_ACCEPTED = "not accepted"
PARTICIPATION_ONLY = "participation only"


@dataclass(frozen=True)
class OfferBlock:
    """Why a service cannot be declared because of its offers."""

    message: str  # plain English, with what to do next
    short: str  # a few words for a table cell
    final: bool  # True: it never can be (rejected, participation only); False: once the offer is accepted
    reason: str  # AWAITING_ACCEPTANCE, NOT_ACCEPTED or PARTICIPATION_ONLY
    offer: Mapping[str, Any] | None = None  # the offer that decided it (None for participation only)


def as_date(value: Any) -> date | None:
    """A record's date (a date, a datetime or ISO text); None when it holds none."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        return date.fromisoformat(value.strip()[:10])
    return None


def covering(offers: Iterable[Mapping[str, Any]], service: str, day: date) -> list[Mapping[str, Any]]:
    """The offers of ``service`` whose period covers ``day`` (offer records as the feed sends them)."""
    found = []
    for offer in offers:
        starts, ends = as_date(offer.get("start_date")), as_date(offer.get("end_date"))
        if offer.get("service") == service and starts and ends and starts <= day <= ends:
            found.append(offer)
    return found


def declaring_block(offers: Iterable[Mapping[str, Any]], service: str, day: date,
                    name: str | None = None) -> OfferBlock | None:
    """Why ``service`` cannot be declared at ``day`` because of its offers; None when it can.

    ``name`` is the service's name for the message (its code otherwise)."""
    shown = name or service
    found = covering(offers, service, day)
    paid = [offer for offer in found if not offer.get("participation_only")]
    if not found or any(offer.get("status") == ACCEPTED for offer in paid):
        return None
    if any(offer.get("status") == PENDING for offer in paid):
        return OfferBlock(f"Not paid until the offer of {shown} is accepted: CQRS pays nothing for it until "
                          "then. Someone with the Service Management role can accept it on the Offers page; "
                          "then declare it here.",
                          "Cannot be paid until its offer is accepted (Offers page).", final=False,
                          reason=AWAITING_ACCEPTANCE)
    if paid:
        offer = paid[-1]
        period = f"{uk_date(as_date(offer.get('start_date')))} to {uk_date(as_date(offer.get('end_date')))}"
        return OfferBlock(f"The offer of {shown} ({period}) was {offer.get('status')}: CQRS pays nothing for "
                          "a service whose offer is not accepted, so there is nothing to declare. Contact "
                          "your commissioner if you think this is wrong.",
                          f"Its offer was {offer.get('status')}: nothing to declare.", final=True,
                          reason=NOT_ACCEPTED, offer=offer)
    return OfferBlock(f"{shown} is offered for participation only: CQRS pays nothing for it, so there is "
                      "nothing to declare.",
                      "Participation only: nothing to declare.", final=True, reason=PARTICIPATION_ONLY)
