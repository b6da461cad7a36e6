"""Offers of quality services to a practice, and the practice's answer to them (Service Management).

Offers come from the local cache; an answer is queued in the outbox first (so it survives being offline)
and the sync engine sends it. The rules the central service applies are checked here too, so the app
never queues an answer that would be refused: the offer must be pending, its response deadline not past,
and no other answer to it waiting to be sent (or sent and not yet heard back). The service still checks
everything, roles included. Each row says where the practice's answer has got to, from the offer's real
state: answered (and when) once CQRS has it, otherwise waiting on this PC, sent, or refused and why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.models.outbox import OutboxStatus
from app.services import cache_store, outbox, writes
from app.services.format import uk_date
from app.services.outbox import OutboxEntry
from app.services.record_types import OFFER
from app.services.rules import service_name

KIND = "offer_response"  # the outbox kind of an answer
PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
# Services offered that are not in the year's services.toml.

_ANSWER_PATH = re.compile(r"^/practices/(?P<ods>[^/]+)/offers/(?P<id>\d+)/(?P<answer>accept|reject)$")


class OfferResponseRefused(ValueError):
    """An answer the app will not queue; the message is plain English and can be shown as it is."""

    @property
    def user_message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class OfferRow:
    id: int
    service: str  # the service code, e.g. "WM"
    service_name: str
    status: str  # pending, accepted or rejected (as the cache last heard from CQRS)
    start_date: date | None
    end_date: date | None
    response_deadline: date | None  # None: no deadline
    participation_only: bool  # taking part is recorded, but there is no payment claim
    responded_at: datetime | None
    waiting: str | None  # an answer on its way ("Accept waiting to be sent") or why CQRS refused it
    queued: bool = False  # an answer to this offer is in the outbox, not yet sent
    answer_key: str | None = None  # the newest outbox item answering it (its Idempotency-Key)
    answer_sent: bool = False  # that answer was sent, and the cache has not heard the offer's new state yet
    answer_problem: str | None = None  # why CQRS refused that answer

    @property
    def pending(self) -> bool:
        return self.status == PENDING

    def deadline_passed(self, today: date) -> bool:
        return self.response_deadline is not None and today > self.response_deadline

    def refusal(self, today: date) -> str | None:
        """Why this offer cannot be answered ``today``, in plain English; None when it can."""
        if self.queued:
            return "An answer to this offer is already waiting to be sent."
        if self.answer_sent:
            return ("An answer to this offer has been sent to CQRS: the offer shows as answered after the "
                    "next sync.")
        if not self.pending:
            when = f" on {uk_date(self.responded_at)}" if self.responded_at else ""
            return f"This offer was already {self.status}{when}. An answer cannot be changed once sent."
        if self.deadline_passed(today):
            assert self.response_deadline is not None
            return (f"The deadline to answer this offer was {uk_date(self.response_deadline)}, so it can no "
                    "longer be answered here. Contact your commissioner if you need to discuss it.")
        return None

    def can_respond(self, today: date) -> bool:
        return self.refusal(today) is None


def answer_path(ods: str, offer_id: int, accept: bool) -> str:
    return f"/practices/{ods}/offers/{int(offer_id)}/{'accept' if accept else 'reject'}"


def load_offers(ods: str) -> list[OfferRow]:
    """The practice's offers from the cache with any answer in the outbox: pending ones first, soonest
    deadline first, then the rest by service name."""
    answers = _latest_answers(ods, outbox.items(ods))
    offers = [_row(record, answers.get(int(record["id"]))) for record in cache_store.records(ods, OFFER)]
    return sorted(offers, key=lambda o: (not o.pending, o.response_deadline or date.max,
                                         o.service_name.casefold(), o.id))


def respond(ods: str, offer_id: int, accept: bool, today: date | None = None, *, owner: str) -> OutboxEntry:
    """Queue the practice's answer to an offer in ``owner``'s name (the signed-in person's email) and
    announce it; raises OfferResponseRefused if it cannot be answered.

    ``today`` is the service's date (the deadline is judged by it); None means this PC's date.
    """
    record = cache_store.record(ods, OFFER, offer_id)
    if record is None:
        raise OfferResponseRefused("This offer is not on this PC. Sync with CQRS (F5) and try again.")
    answers = _latest_answers(ods, outbox.items(ods))
    offer = _row(record, answers.get(int(offer_id)))
    reason = offer.refusal(today or date.today())
    if reason is not None:
        raise OfferResponseRefused(reason)
    return writes.queue(ods, KIND, "POST", answer_path(ods, offer_id, accept), None, owner=owner)


# --- internals ---------------------------------------------------------------------------------------

def _latest_answers(ods: str, items: Iterable[OutboxEntry]) -> dict[int, OutboxEntry]:
    """The newest outbox item answering each offer (items come oldest first)."""
    latest: dict[int, OutboxEntry] = {}
    for item in items:
        match = _ANSWER_PATH.match(item.path)
        if item.kind == KIND and match and match["ods"] == ods:
            latest[int(match["id"])] = item
    return latest


def _waiting(item: OutboxEntry | None, pending: bool) -> tuple[str | None, bool]:
    """What the "Waiting to be sent" column says, and whether the answer is still on this PC."""
    if item is None:
        return None, False
    answer = "Accept" if item.path.endswith("/accept") else "Reject"
    if item.status.value in outbox.WAITING:
        return f"{answer} waiting to be sent", True
    if item.status.value in outbox.NEEDS_ATTENTION and pending:
        return f"{answer} refused: {item.server_message or 'CQRS did not accept this answer.'}", False
    # Sent (the cache shows the answer once it is pulled), or refused for an offer answered since: the
    # offer's own state says it.
    return None, False


def _row(record: Mapping[str, Any], answer: OutboxEntry | None) -> OfferRow:
    code = str(record.get("service") or "")
    start = _date(record.get("start_date"))
    pending = str(record.get("status") or PENDING) == PENDING
    waiting, queued = _waiting(answer, pending)
    refused = answer is not None and answer.status.value in outbox.NEEDS_ATTENTION
    return OfferRow(
        id=int(record["id"]), service=code, service_name=service_name(code, start),
        status=str(record.get("status") or PENDING), start_date=start, end_date=_date(record.get("end_date")),
        response_deadline=_date(record.get("response_deadline")),
        participation_only=bool(record.get("participation_only")),
        responded_at=_datetime(record.get("responded_at")), waiting=waiting, queued=queued,
        answer_key=answer.key if answer is not None else None,
        answer_sent=pending and answer is not None and answer.status is OutboxStatus.SENT,
        answer_problem=(answer.server_message or "CQRS gave no reason.") if refused and answer else None)


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    return date.fromisoformat(value.strip()[:10])


def _datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    return datetime.fromisoformat(value.strip())
