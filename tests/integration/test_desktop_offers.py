"""Answering offers from the desktop against the real central service over TLS: the answer is queued
on this PC first, sent once by the sync engine, and the cache shows it after the pull. What the service
would refuse is refused on this PC first; what it refuses anyway is kept with its reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models.outbox import OutboxStatus
from app.services import cache_store, offers, outbox
from app.services.auth import Auth
from app.services.offers import OfferResponseRefused
from app.services.secrets import TokenStore
from app.services.sync import SyncEngine
from central import feed
from central.models import AuditEntry, Offer
from central.records import offer_record
from central.server import RunningServer

from .conftest import PASSWORD, START, FakeClock, World

ODS = "Z91001"
TODAY = START.date()  # 5 Nov 2025, the service's date


def _offer(world: World, service: str = "WM", deadline: date | None = date(2025, 11, 30)) -> int:
    """A pending offer to the world's practice, published to its feed as the service does."""
    with world.session() as session:
        offer = Offer(practice_id=world.practice.id, service=service, status="pending",
                      start_date=date(2025, 4, 1), end_date=date(2026, 3, 31), response_deadline=deadline,
                      participation_only=False, created_at=START)
        session.add(offer)
        session.flush()
        feed.publish(session, world.practice.id, feed.OFFER, offer.id, offer_record(offer))
        session.commit()
        return offer.id


def _on_server(world: World, offer_id: int) -> tuple[str, int]:
    """The offer's status on the service, and how many answers the audit log holds for it."""
    with world.session() as session:
        status = session.get_one(Offer, offer_id).status
        answers = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.target_type == "offer", AuditEntry.target_id == str(offer_id),
            AuditEntry.action.in_(("offer accepted", "offer rejected"))))
        return status, answers or 0


def _signed_in(server: RunningServer, email: str) -> Auth:
    auth = Auth(server.base_url, TokenStore(), ca_file=server.ca_path)
    auth.sign_in(email, PASSWORD)
    return auth


@pytest.fixture
def manager(server: RunningServer, world: World, cache_db: Path, memory_keyring: object) -> Iterator[Auth]:
    auth = _signed_in(server, world.manager())
    yield auth
    auth.close()


@pytest.fixture
def viewer(server: RunningServer, world: World, cache_db: Path, memory_keyring: object) -> Iterator[Auth]:
    auth = _signed_in(server, world.viewer())
    yield auth
    auth.close()


def _row(offer_id: int) -> offers.OfferRow:
    return next(row for row in offers.load_offers(ODS) if row.id == offer_id)


def test_an_acceptance_is_queued_offline_first_sent_once_and_pulled_back(manager: Auth, world: World) -> None:
    offer_id = _offer(world)
    engine = SyncEngine(manager, sleep=lambda _seconds: None)
    engine.run([ODS])
    row = _row(offer_id)
    assert (row.status, row.service_name, row.response_deadline) == (
        "pending", "Weight management referrals", date(2025, 11, 30))

    entry = offers.respond(ODS, offer_id, True, today=TODAY,
                           owner=manager.email)  # no network: it is only on this PC
    assert outbox.get(entry.key).status is OutboxStatus.QUEUED
    assert entry.path == f"/practices/{ODS}/offers/{offer_id}/accept" and entry.kind == "offer_response"
    assert _row(offer_id).waiting == "Accept waiting to be sent"
    assert _on_server(world, offer_id) == ("pending", 0)
    with pytest.raises(OfferResponseRefused, match="already waiting to be sent"):
        offers.respond(ODS, offer_id, False, today=TODAY,
                       owner=manager.email)  # a second answer is refused here
    assert len([i for i in outbox.items(ODS) if i.kind == "offer_response"]) == 1

    report = engine.run([ODS])
    assert report.pushed == 1 and "offer" in report.kinds
    assert outbox.get(entry.key).status is OutboxStatus.SENT
    assert _on_server(world, offer_id) == ("accepted", 1)
    cached = cache_store.record(ODS, "offer", offer_id)
    assert cached["status"] == "accepted" and cached["responded_at"]
    row = _row(offer_id)
    assert row.status == "accepted" and row.waiting is None and row.responded_at is not None

    with pytest.raises(OfferResponseRefused, match="already accepted on 5 Nov 2025"):
        offers.respond(ODS, offer_id, True, today=TODAY, owner=manager.email)
    assert engine.run([ODS]).pushed == 0
    assert _on_server(world, offer_id) == ("accepted", 1)  # answered exactly once


def test_a_replayed_answer_is_applied_once(manager: Auth, world: World) -> None:
    offer_id = _offer(world, "LDHC")
    engine = SyncEngine(manager, sleep=lambda _seconds: None)
    engine.run([ODS])
    entry = offers.respond(ODS, offer_id, False, today=TODAY, owner=manager.email)
    # The service got it but the app stopped before hearing back: the same key goes again.
    manager.request("POST", entry.path, idempotency_key=entry.key)
    assert engine.run([ODS]).pushed == 1
    assert outbox.get(entry.key).status is OutboxStatus.SENT
    assert _on_server(world, offer_id) == ("rejected", 1)
    assert _row(offer_id).status == "rejected"


def test_an_answer_after_the_deadline_is_refused_on_this_pc(manager: Auth, world: World) -> None:
    offer_id = _offer(world, deadline=date(2025, 11, 1))
    SyncEngine(manager, sleep=lambda _seconds: None).run([ODS])
    with pytest.raises(OfferResponseRefused, match="The deadline to answer this offer was 1 Nov 2025"):
        offers.respond(ODS, offer_id, True, today=TODAY, owner=manager.email)
    assert [i for i in outbox.items(ODS) if i.kind == "offer_response"] == []
    assert _on_server(world, offer_id) == ("pending", 0)


def test_an_offer_not_yet_synced_is_refused_on_this_pc(manager: Auth, world: World) -> None:
    offer_id = _offer(world)
    with pytest.raises(OfferResponseRefused, match="not on this PC"):
        offers.respond(ODS, offer_id, True, today=TODAY, owner=manager.email)
    assert outbox.items(ODS) == []


def test_a_deadline_that_passes_before_sending_leaves_a_conflict_with_the_services_reason(
        manager: Auth, world: World, clock: FakeClock) -> None:
    offer_id = _offer(world, deadline=TODAY)
    engine = SyncEngine(manager, sleep=lambda _seconds: None)
    engine.run([ODS])
    entry = offers.respond(ODS, offer_id, True, today=TODAY,
                           owner=manager.email)  # in time, but offline until tomorrow
    clock.advance(days=1)

    report = engine.run([ODS])
    assert report.conflicts == 1
    stored = outbox.get(entry.key)
    assert stored.status is OutboxStatus.CONFLICT
    assert stored.server_message == "The deadline to answer this offer was 5 Nov 2025."
    assert stored.server_copy["status"] == "pending"
    assert _row(offer_id).waiting == "Accept refused: The deadline to answer this offer was 5 Nov 2025."
    assert _on_server(world, offer_id) == ("pending", 0)


def test_without_service_management_the_service_refuses_and_the_answer_is_kept(viewer: Auth,
                                                                               world: World) -> None:
    offer_id = _offer(world)
    engine = SyncEngine(viewer, sleep=lambda _seconds: None)
    engine.run([ODS])
    # The page hides Accept from this user; the service is the guard that counts.
    entry = offers.respond(ODS, offer_id, True, today=TODAY, owner=viewer.email)

    report = engine.run([ODS])
    assert report.failed == 1 and report.pushed == 0
    stored = outbox.get(entry.key)
    assert stored is not None and stored.status is OutboxStatus.FAILED  # kept, never dropped
    assert stored.server_message == "You need the Service Management role for this practice to do this."
    assert _row(offer_id).waiting == (
        "Accept refused: You need the Service Management role for this practice to do this.")
    assert _on_server(world, offer_id) == ("pending", 0)
    assert outbox.attention_count(ODS) == 1
