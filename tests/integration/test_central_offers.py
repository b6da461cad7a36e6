"""Offers: accepted or rejected by Service Management, once, before the response deadline."""

from __future__ import annotations

from datetime import date

from central.models import Offer

from .conftest import START, Api, World


def _offer(world: World, deadline: date | None = date(2025, 11, 30)) -> int:
    with world.session() as session:
        offer = Offer(practice_id=world.practice.id, service="LDHC", status="pending",
                      start_date=date(2025, 4, 1), end_date=date(2026, 3, 31), response_deadline=deadline,
                      created_at=START)
        session.add(offer)
        session.commit()
        return offer.id


def test_accept_is_recorded_in_the_feed_and_repeating_it_is_harmless(api: Api, world: World) -> None:
    offer_id = _offer(world)
    token = api.token(world.manager())
    accepted = api.post(f"/practices/Z91001/offers/{offer_id}/accept", token)
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    assert api.post(f"/practices/Z91001/offers/{offer_id}/accept", token).json()["status"] == "accepted"
    changes = api.get("/practices/Z91001/changes?since=0&limit=1000", token).json()["changes"]
    offers = [c for c in changes if c["type"] == "offer" and c["id"] == str(offer_id)]
    assert len(offers) == 1 and offers[0]["data"]["status"] == "accepted"


def test_an_answered_offer_cannot_be_answered_differently(api: Api, world: World) -> None:
    offer_id = _offer(world)
    token = api.token(world.manager())
    assert api.post(f"/practices/Z91001/offers/{offer_id}/reject", token).status_code == 200
    again = api.post(f"/practices/Z91001/offers/{offer_id}/accept", token)
    assert again.status_code == 409
    assert again.json()["current"]["status"] == "rejected"


def test_no_answer_after_the_deadline(api: Api, world: World) -> None:
    offer_id = _offer(world, deadline=date(2025, 11, 1))
    response = api.post(f"/practices/Z91001/offers/{offer_id}/accept", api.token(world.manager()))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "offer_deadline_passed"


def test_another_practices_offer_is_404(api: Api, world: World) -> None:
    offer_id = _offer(world)
    token = api.token(world.manager(world.neighbour))
    assert api.post(f"/practices/Z91002/offers/{offer_id}/accept", token).status_code == 404
