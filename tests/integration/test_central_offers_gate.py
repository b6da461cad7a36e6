"""No payment without acceptance: a service offered to the practice is declared only once its offer is
accepted, a participation-only offer is never declared, and nothing is entered by hand for a service
whose offer the practice rejected. Services without an offer covering the date are not affected.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from central import declarations_flow as flow
from central.directory import create_organisation
from central.errors import ApiError
from central.models import PRACTICE, CalculatedResult, Declaration, ManualEntry, Offer, Organisation, User

from .conftest import START, Api, World

OCTOBER = date(2025, 10, 31)  # its entry and declaration windows are open on START
_codes = itertools.count(601)


def _practice(world: World, offers: tuple[tuple[str, str, bool], ...] = (),
              year: tuple[date, date] = (date(2025, 4, 1), date(2026, 3, 31))) -> Organisation:
    """A new practice with calculated WM, MMR and NCD results for October and ``offers`` (service, status,
    participation only) for the year ``year``."""
    with world.session() as session:
        pcn = session.get_one(Organisation, world.practice.parent_id)
        practice = create_organisation(session, PRACTICE, f"Z94{next(_codes)}", "Offered Surgery", START,
                                       parent=pcn)
        for service, payment in (("WM", "2265.5"), ("MMR", "144.72"), ("NCD", "0")):
            session.add(CalculatedResult(practice_id=practice.id, service=service, indicator_id="CLAIM",
                                         achievement_date=OCTOBER, points="0", payment=payment,
                                         calculated_at=START))
        for service, status, participation_only in offers:
            session.add(Offer(practice_id=practice.id, service=service, status=status, start_date=year[0],
                              end_date=year[1], response_deadline=None, participation_only=participation_only,
                              created_at=START))
        session.commit()
        session.refresh(practice)
        session.expunge(practice)
        return practice


def _declare(api: Api, token: str, practice: Organisation, service: str):
    return api.post(f"/practices/{practice.ods_code}/declarations", token,
                    json={"service": service, "achievement_date": OCTOBER.isoformat()})


def _enter(api: Api, token: str, practice: Organisation, values: dict[str, Any] | None = None):
    body = {"service": "WM", "achievement_date": OCTOBER.isoformat(), "values": values or {"REFERRALS": 100}}
    return api.post(f"/practices/{practice.ods_code}/manual-entries", token, json=body,
                    headers={"Idempotency-Key": uuid.uuid4().hex})


def _offer_id(world: World, practice: Organisation, service: str) -> int:
    with world.session() as session:
        return session.scalars(select(Offer.id).where(Offer.practice_id == practice.id,
                                                      Offer.service == service)).one()


def _count(world: World, model: type, practice: Organisation) -> int:
    with world.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(model.practice_id == practice.id))


def test_the_reprobe_a_rejected_offer_is_neither_entered_nor_declared(api: Api, world: World) -> None:
    practice = _practice(world, (("WM", "pending", False),))
    token = api.token(world.manager(practice))
    offer_id = _offer_id(world, practice, "WM")
    rejected = api.post(f"/practices/{practice.ods_code}/offers/{offer_id}/reject", token)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"

    entry = _enter(api, token, practice)
    assert entry.status_code == 409
    assert entry.json()["error"] == {
        "code": "offer_rejected",
        "message": "The practice rejected the offer for WM (1 Apr 2025 to 31 Mar 2026), so nothing is "
                   "entered for it: CQRS pays nothing for a service whose offer is not accepted."}
    declared = _declare(api, token, practice, "WM")
    assert declared.status_code == 409
    assert declared.json()["error"]["code"] == "offer_not_accepted"
    assert declared.json()["error"]["message"] == (
        "The offer for WM (1 Apr 2025 to 31 Mar 2026) was rejected: CQRS pays nothing for a service whose "
        "offer is not accepted, so there is nothing to declare.")
    assert _count(world, ManualEntry, practice) == _count(world, Declaration, practice) == 0


def test_a_pending_offer_lets_entries_be_prepared_but_not_declared_until_accepted(api: Api,
                                                                                  world: World) -> None:
    practice = _practice(world, (("WM", "pending", False),))
    token = api.token(world.manager(practice))
    declared = _declare(api, token, practice, "WM")
    assert declared.status_code == 409
    assert declared.json()["error"] == {
        "code": "offer_not_accepted",
        "message": "Accept the offer for WM first: CQRS pays nothing until it is accepted."}
    assert "payment" not in declared.text and _count(world, Declaration, practice) == 0
    entry = _enter(api, token, practice, {"REFERRALS": 12})
    assert entry.status_code == 201, entry.text  # prepared and submitted while the offer is pending

    offer_id = _offer_id(world, practice, "WM")
    assert api.post(f"/practices/{practice.ods_code}/offers/{offer_id}/accept", token).status_code == 200
    accepted = _declare(api, token, practice, "WM")
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["status"] == "Awaiting Commissioning Organisation Approval"


def test_an_entry_prepared_while_pending_cannot_be_amended_once_the_offer_is_rejected(api: Api,
                                                                                      world: World) -> None:
    practice = _practice(world, (("WM", "pending", False),))
    token = api.token(world.manager(practice))
    entry = _enter(api, token, practice, {"REFERRALS": 12}).json()
    offer_id = _offer_id(world, practice, "WM")
    assert api.post(f"/practices/{practice.ods_code}/offers/{offer_id}/reject", token).status_code == 200
    amended = api.call("PUT", f"/practices/{practice.ods_code}/manual-entries/{entry['id']}", token,
                       json={"values": {"REFERRALS": 40}}, headers={"If-Match": str(entry["version"])})
    assert amended.status_code == 409 and amended.json()["error"]["code"] == "offer_rejected"
    with world.session() as session:
        stored = session.get_one(ManualEntry, entry["id"])
        assert (stored.values, stored.version) == ({"REFERRALS": 12}, entry["version"])


def test_a_participation_only_offer_is_never_declared_whoever_declares(world: World) -> None:
    practice = _practice(world, (("NCD", "accepted", True),))
    email = world.manager(practice)
    with world.session() as session:  # the flow itself refuses, so the demo seed is held to it too
        manager = session.scalars(select(User).where(User.email == email)).one()
        with pytest.raises(ApiError) as refused:
            flow.declare(session, session.get_one(Organisation, practice.id), "NCD", OCTOBER, manager, START)
        session.rollback()
    assert (refused.value.status, refused.value.code) == (409, "offer_not_accepted")
    assert refused.value.message == ("NCD is offered for participation only: CQRS pays nothing for it, so "
                                     "there is nothing to declare.")
    assert _count(world, Declaration, practice) == 0


def test_a_participation_only_offer_of_a_paid_service_is_refused_as_not_accepted(api: Api,
                                                                                 world: World) -> None:
    practice = _practice(world, (("WM", "accepted", True),))
    declared = _declare(api, api.token(world.manager(practice)), practice, "WM")
    assert declared.status_code == 409
    assert declared.json()["error"] == {
        "code": "offer_not_accepted",
        "message": "WM is offered for participation only: CQRS pays nothing for it, so there is nothing to "
                   "declare."}


def test_services_without_an_offer_for_the_date_are_not_affected(api: Api, world: World) -> None:
    last_year = (date(2024, 4, 1), date(2025, 3, 31))
    practice = _practice(world, (("WM", "rejected", False),), year=last_year)  # an old answer
    token = api.token(world.manager(practice))
    assert _declare(api, token, practice, "MMR").status_code == 201  # V&I: never offered
    assert _enter(api, token, practice).status_code == 201
    assert _declare(api, token, practice, "WM").status_code == 201
