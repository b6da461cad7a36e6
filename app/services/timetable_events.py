"""The practice's timetable as calendar events: the synced national timetable plus the practice's own
offer response deadlines. One list feeds the Timetable page, the calendar export and the reminders.

``build`` is pure (records in, events out); ``load`` reads the cache (on the database worker).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.services.format import uk_date
from app.services.offer_rules import as_date
from app.services.record_types import OFFER, TIMETABLE_EVENT
from app.services.rules import qof_year
from app.services.windows import (
    APPROVAL,
    ASPIRATION,
    DECLARATION_DEADLINE,
    ENTRY_WINDOW,
    EXTRACTION,
    PAYMENT,
    YEAR_END,
)

# Event types, as the page's filter and legend name them (the feed's kinds, and one of the client's own).
OFFER_DEADLINE = "offer deadline"
TYPE_NAMES: dict[str, str] = {
    EXTRACTION: "GPES extraction",
    ENTRY_WINDOW: "Manual entry window",
    DECLARATION_DEADLINE: "Declaration deadline",
    OFFER_DEADLINE: "Offer response deadline",
    APPROVAL: "Commissioner approval",
    PAYMENT: "Payment",
    ASPIRATION: "QOF aspiration payment",
    YEAR_END: "QOF year end",
}
# Kinds whose last day is a deadline: a reminder goes before it (an entry window's close included).
DEADLINE_KINDS = (ENTRY_WINDOW, DECLARATION_DEADLINE, OFFER_DEADLINE)
ALL = ""  # the filters' "everything" value


@dataclass(frozen=True)
class CalendarEvent:
    key: str  # stable across syncs and exports: the same event keeps it (the .ics UID is made from it)
    kind: str
    title: str
    starts: date
    ends: date  # the same as starts for a one-day event
    service: str | None  # None: every service
    service_name: str  # "All services" when it applies to every service
    achievement_date: date | None
    year: str = ""  # the QOF year it belongs to, e.g. "2026-27" (a year-end window falls after it ends)

    @property
    def type_name(self) -> str:
        return TYPE_NAMES.get(self.kind, self.kind.capitalize())

    @property
    def deadline(self) -> date | None:
        """The day something must be done by (an entry window's last day), or None."""
        return self.ends if self.kind in DEADLINE_KINDS else None

    @property
    def when(self) -> str:
        if self.starts == self.ends:
            return uk_date(self.starts)
        return f"{uk_date(self.starts)} to {uk_date(self.ends)}"

    def on(self, day: date) -> bool:
        """Whether the event falls on ``day`` (a window on every day it is open)."""
        return self.starts <= day <= self.ends

    def marked_days(self) -> tuple[date, ...]:
        """The days the calendar marks: a window's opening and closing days, a one-day event's day."""
        return (self.starts,) if self.starts == self.ends else (self.starts, self.ends)

    def matches(self, service: str = ALL, kind: str = ALL) -> bool:
        """Whether the filters let it through (an event of every service shows under each service)."""
        return (not service or self.service in (None, service)) and (not kind or self.kind == kind)


def _name(code: str | None, day: date | None) -> str:
    if not code:
        return "All services"
    from app.services.rules import service_name  # the rules files load on first use

    return service_name(code, day)


def build(timetable: Iterable[Mapping[str, Any]], offers: Iterable[Mapping[str, Any]] = ()
          ) -> list[CalendarEvent]:
    """The events of the timetable records and the pending offers' response deadlines, in date order."""
    found: dict[str, CalendarEvent] = {}
    for record in timetable:
        starts = as_date(record.get("starts"))
        if starts is None:
            continue
        ends = as_date(record.get("ends")) or starts
        kind = str(record.get("kind") or "")
        service = record.get("service") or None
        when = as_date(record.get("achievement_date"))
        # Kind, service and period name an event whatever its dates or wording: a moved deadline keeps it.
        period = (when or starts).isoformat()
        key = f"{kind}/{service or 'all'}/{period}".replace(" ", "-")
        if key in found:
            key = f"{key}/{record.get('id')}"
        year = str(record.get("year") or qof_year(when or starts))
        found[key] = CalendarEvent(key, kind, str(record.get("title") or TYPE_NAMES.get(kind, kind)), starts,
                                   ends, service, _name(service, when or starts), when, year)
    for offer in offers:
        deadline = as_date(offer.get("response_deadline"))
        if deadline is None or offer.get("status", "pending") != "pending":
            continue
        service = str(offer.get("service") or "")
        name = _name(service, as_date(offer.get("start_date")))
        key = f"{OFFER_DEADLINE}/{offer.get('id')}".replace(" ", "-")
        year = qof_year(as_date(offer.get("start_date")) or deadline)
        found[key] = CalendarEvent(key, OFFER_DEADLINE, f"Answer the offer of {name} by", deadline, deadline,
                                   service, name, None, year)
    return sorted(found.values(), key=lambda e: (e.starts, e.ends, e.kind, e.key))


def load(ods: str) -> list[CalendarEvent]:
    """The practice's events from the local cache (run on the database worker)."""
    from app.services import cache_store  # the database layer loads off the first-paint path

    return build(cache_store.records(ods, TIMETABLE_EVENT), cache_store.records(ods, OFFER))


def services(events: Iterable[CalendarEvent]) -> list[tuple[str, str]]:
    """(code, name) of the services named by ``events``, by name: the service filter's choices."""
    named = {event.service: event.service_name for event in events if event.service}
    return sorted(named.items(), key=lambda item: item[1].casefold())


def years(events: Iterable[CalendarEvent]) -> list[str]:
    """The QOF years of ``events``, newest first."""
    return sorted({event.year for event in events if event.year}, reverse=True)


def current_year(events: Iterable[CalendarEvent], today: date) -> str:
    """The year to open on: that of the first event not over by ``today`` (in April, the year just
    ended still has its year-end windows open), else today's QOF year."""
    coming = [event for event in events if event.ends >= today and event.year]
    return min(coming, key=lambda e: (e.ends, e.starts)).year if coming else qof_year(today)


def kinds(events: Iterable[CalendarEvent]) -> list[tuple[str, str]]:
    """(kind, name) of the event types in ``events``, in the legend's order."""
    present = {event.kind for event in events}
    ordered = [kind for kind in TYPE_NAMES if kind in present]
    return [(kind, TYPE_NAMES.get(kind, kind.capitalize())) for kind in
            ordered + sorted(present - set(TYPE_NAMES))]
