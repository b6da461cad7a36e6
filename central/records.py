"""Plain JSON shapes of stored things, the same in API responses and in the sync feed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from central.models import (
    CalculatedResult,
    Declaration,
    ManualEntry,
    Offer,
    Organisation,
    TimetableEvent,
    User,
)


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def organisation_ref(org: Organisation | None) -> dict[str, Any] | None:
    return None if org is None else {"ods": org.ods_code, "name": org.name, "kind": org.kind}


def practice_record(practice: Organisation, pcn: Organisation | None,
                    commissioner: Organisation | None) -> dict[str, Any]:
    return {"ods": practice.ods_code, "name": practice.name, "pcn": organisation_ref(pcn),
            "commissioner": organisation_ref(commissioner),
            "second_person_required": bool(practice.second_person_required)}


def user_record(user: User, roles: list[str], *, pending_roles: list[str] | None = None,
                status: str | None = None, active: bool | None = None,
                shown: Mapping[str, str | None] | None = None,
                activated: bool | None = None, activation_expires: datetime | None = None) -> dict[str, Any]:
    """A user as one practice sees them: ``roles`` held there, ``pending_roles`` (self-granted, waiting
    for another administrator, not held), ``status`` there (central.directory.status_at) and ``active``
    (may use the practice now); ``account_active`` is False only when the whole account is disabled.
    ``shown`` replaces the account's first_name, last_name, work_phone and mobile, and ``activated``
    its activation, with what that practice is told (central.directory.member_record);
    ``activation_expires`` is when an unused activation link runs out (the feed record is written once,
    so the desktop compares it with the service's date to tell an expired invitation apart)."""
    details = {"first_name": user.first_name, "last_name": user.last_name, "work_phone": user.work_phone,
               "mobile": user.mobile, **(shown or {})}
    return {"id": user.id, "email": user.email, "first_name": details["first_name"],
            "last_name": details["last_name"], "work_phone": details["work_phone"],
            "mobile": details["mobile"],
            "active": user.active if active is None else active, "account_active": user.active,
            "activated": user.activated_at is not None if activated is None else activated,
            "status": status or _account_status(user),
            "roles": sorted(roles), "pending_roles": sorted(pending_roles or []),
            "activation_expires": activation_expires.isoformat() if activation_expires else None}


def _account_status(user: User) -> str:
    if not user.active:
        return "account disabled"
    return "active" if user.activated_at is not None else "invited"


def offer_record(offer: Offer) -> dict[str, Any]:
    return {"id": offer.id, "service": offer.service, "status": offer.status,
            "start_date": _iso(offer.start_date), "end_date": _iso(offer.end_date),
            "response_deadline": _iso(offer.response_deadline),
            "participation_only": offer.participation_only,
            "responded_at": _iso(offer.responded_at)}


def manual_entry_record(entry: ManualEntry, history: list[dict[str, Any]] | None = None,
                        checked_by: User | None = None) -> dict[str, Any]:
    """``history`` is the entry's audit trail (``central.audit.history``): who did what, when;
    ``checked_by`` the second person who checked the submitted values (the practice may require one)."""
    return {"id": entry.id, "service": entry.service, "achievement_date": _iso(entry.achievement_date),
            "values": entry.values, "notes": entry.notes, "status": entry.status, "version": entry.version,
            "rejection_reason": entry.rejection_reason, "updated_at": _iso(entry.updated_at),
            "checked_by": checked_by.email if checked_by is not None else None,
            "history": list(history or [])}


def declaration_record(declaration: Declaration) -> dict[str, Any]:
    return {"id": declaration.id, "service": declaration.service,
            "achievement_date": _iso(declaration.achievement_date), "status": declaration.status,
            "points": declaration.points, "payment": declaration.payment, "snapshot": declaration.snapshot,
            "history": declaration.history, "declared_at": _iso(declaration.declared_at),
            "updated_at": _iso(declaration.updated_at)}


def timetable_record(event: TimetableEvent) -> dict[str, Any]:
    return {"id": event.id, "year": event.year, "kind": event.kind, "title": event.title,
            "starts": _iso(event.starts), "ends": _iso(event.ends), "service": event.service,
            "achievement_date": _iso(event.achievement_date)}


def result_record(result: CalculatedResult) -> dict[str, Any]:
    return {"service": result.service, "indicator_id": result.indicator_id,
            "achievement_date": _iso(result.achievement_date), "points": result.points,
            "payment": result.payment, "detail": result.detail}
