"""What needs doing at a practice, most urgent first: the dashboard's panel and the desktop reminders.

Driven by the practice's own state (offers, declarations, manual entries, drafts, the outbox, users) as
well as the timetable's dates. ``gather`` reads that state from the cache (on the database worker);
``rules`` is pure and turns it into items, each with the day it is due and the page that resolves it.
No Qt here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.services.format import month_name_year, uk_date
from app.services.record_types import DECLARATION, MANUAL_ENTRY, OFFER_RESPONSE, TIMETABLE_EVENT, USER
from app.services.rules import DECLARATION_MANAGEMENT, USER_ADMINISTRATOR
from app.services.windows import DECLARATION_DEADLINE, ENTRY_WINDOW, event_spans

SYNC = "sync"  # not a page: the item is resolved by syncing (the window's Sync now)
# The page that shows (and puts right) a refused change of each outbox kind, and what it is called.
REFUSED_PAGES = {MANUAL_ENTRY: ("manual-entry", "Manual entry"),
                 DECLARATION: ("declarations", "Declarations"), OFFER_RESPONSE: ("offers", "Offers"),
                 USER: ("users", "Users")}
COVER_ROLES = {DECLARATION_MANAGEMENT: "declare achievement",
               USER_ADMINISTRATOR: "add users, change roles or unlock accounts"}
# Where an item with no date of its own sorts among dated ones, as if due in this many days.
UNDATED_RANK = {"refused": 0, "waiting": 1, "draft": 5, "offer": 5, "cover": 20}


@dataclass(frozen=True)
class Item:
    key: str  # stable while the same thing needs doing (reminders remember what they showed by it)
    # Which rule found it: offer, declare, sent-back, entry, draft, waiting, refused, cover or year-end.
    rule: str
    title: str
    detail: str  # plain English: why, and what to do next
    page: str  # the section key of the screen that resolves it, or SYNC
    action: str  # the button's words
    due: date | None = None
    days_left: int | None = None  # days from the service's today to ``due``

    @property
    def days_text(self) -> str:
        if self.days_left is None:
            return "No deadline"
        if self.days_left < 0:
            return "Overdue"
        if self.days_left == 0:
            return "Due today"
        return "1 day left" if self.days_left == 1 else f"{self.days_left} days left"

    @property
    def sort_key(self) -> tuple[int, str]:
        rank = self.days_left if self.days_left is not None else UNDATED_RANK.get(self.rule, 30)
        return rank, self.title.casefold()


@dataclass(frozen=True)
class PracticeState:
    """What the rules look at, read from the cache: services' own rows (plain dataclasses)."""

    offers: Sequence[Any] = ()  # app.services.offers.OfferRow
    declarations: Sequence[Any] = ()  # app.services.declarations.DeclarationRow
    entries: Sequence[Any] = ()  # app.services.entry_list.EntryRow
    choices: Sequence[Any] = ()  # app.services.entry_list.EntryChoice (forms whose window is not closed)
    events: Sequence[dict[str, Any]] = ()  # timetable records
    outbox: Sequence[Any] = ()  # app.services.outbox.OutboxEntry
    users: Sequence[dict[str, Any]] | None = None  # None: not a User Administrator (the cache has no users)


def gather(ods: str, today: date, roles: Iterable[str] = ()) -> PracticeState:
    """The practice's state from the cache (run on the database worker)."""
    from app.services import cache_store, declarations, entry_list, offers, outbox

    roles = tuple(roles)
    return PracticeState(
        offers=offers.load_offers(ods), declarations=declarations.load(ods, finance=False, today=today),
        entries=entry_list.entries(ods, today), choices=entry_list.choices(ods, today),
        events=cache_store.records(ods, TIMETABLE_EVENT), outbox=outbox.items(ods),
        users=cache_store.records(ods, USER) if USER_ADMINISTRATOR in roles else None)


def load(ods: str, today: date, roles: Iterable[str] = ()) -> list[Item]:
    """What needs doing at ``ods`` on ``today`` (the service's date), most urgent first."""
    return rules(gather(ods, today, roles), today)


def rules(state: PracticeState, today: date) -> list[Item]:
    """Every rule's items, with days left, most urgent first (pure)."""
    found = [*_offers(state, today), *_declarations(state, today), *_entries(state, today), *_outbox(state),
             *_cover(state), *_year_end(today)]
    dated = [Item(**{**item.__dict__, "days_left": (item.due - today).days if item.due else None})
             for item in found]
    return sorted(dated, key=lambda item: item.sort_key)


# --- the rules ---------------------------------------------------------------------------------------

def _offers(state: PracticeState, today: date) -> list[Item]:
    return [Item(f"offer/{row.id}", "offer", f"Answer the offer of {row.service_name}",
                 "CQRS pays nothing for it until it is accepted. Someone with the Service Management role "
                 "accepts or rejects it on the Offers page.", "offers", "Open Offers", row.response_deadline)
            for row in state.offers
            if row.pending and not row.queued and not row.answer_sent and row.answer_problem is None
            and not row.deadline_passed(today)]


def _deadline(events: Sequence[dict[str, Any]], service: str, when: date) -> date | None:
    spans = event_spans(events, DECLARATION_DEADLINE, service, when)
    return max((starts for starts, _ends in spans), default=None)


def _declarations(state: PracticeState, today: date) -> list[Item]:
    from app.services.declarations import DECLARABLE, NOT_DECLARED

    found = []
    for row in state.declarations:
        period = f"{row.service_name}, {uk_date(row.achievement_date)}"
        if row.waiting is not None or row.status not in DECLARABLE:
            continue  # on its way, refused (the outbox rule says so) or declared
        due = _deadline(state.events, row.service, row.achievement_date) if row.window_open else None
        if row.sent_back:
            found.append(Item(f"sent-back/{row.key}", "sent-back", f"Declare {period} again",
                              "A recalculation sent this declaration back to the practice: check the new "
                              "figures and declare it again on the Declarations page.", "declarations",
                              "Open Declarations", due))
        elif row.status == NOT_DECLARED and row.can_declare:
            found.append(Item(f"declare/{row.key}", "declare", f"Declare {period}",
                              "It is not declared yet: CQRS pays it only once someone with the Declaration "
                              "Management role declares it.", "declarations", "Open Declarations", due))
    return found


def _window_end(events: Sequence[dict[str, Any]], service: str, when: date, today: date) -> date | None:
    spans = event_spans(events, ENTRY_WINDOW, service, when)
    open_now = [ends for starts, ends in spans if starts <= today <= ends]
    return max(open_now, default=None)


def _entries(state: PracticeState, today: date) -> list[Item]:
    from app.services.entry_list import DRAFT

    drafts = {(row.service, row.achievement_date): row for row in state.entries
              if row.status == DRAFT and row.local_draft}
    others = {(row.service, row.achievement_date) for row in state.entries if row.status != DRAFT}
    found = []
    for (service, when), row in sorted(drafts.items()):
        if row.window is not None and row.window.closed:
            continue  # it can no longer be sent: the Manual entry page says so
        found.append(Item(f"draft/{service}/{when.isoformat()}", "draft",
                          f"Send the draft of {row.service_name}, {month_name_year(when)}",
                          "It is kept on this PC only: CQRS has not got it. Check it and choose Submit on "
                          "the Manual entry page.", "manual-entry", "Open Manual entry",
                          _window_end(state.events, service, when, today)))
    for choice in state.choices:
        key = (choice.service, choice.achievement_date)
        if not choice.window.open or key in drafts or key in others:
            continue
        found.append(Item(f"entry/{choice.service}/{choice.achievement_date.isoformat()}", "entry",
                          f"Enter {choice.service_name} for {month_name_year(choice.achievement_date)}",
                          "Its manual entry window is open and nothing has been submitted for it. Enter the "
                          "figures on the Manual entry page before the window closes.", "manual-entry",
                          "Open Manual entry", _window_end(state.events, *key, today)))
    return found


def _plural(count: int, one: str) -> str:
    return f"{count} {one}" if count == 1 else f"{count} {one}s"


def _outbox(state: PracticeState) -> list[Item]:
    from app.models.outbox import OutboxStatus  # the database layer loads with the cache, not before

    waiting = [item for item in state.outbox if item.status in (OutboxStatus.QUEUED, OutboxStatus.SENDING)]
    refused = [item for item in state.outbox if item.status in (OutboxStatus.CONFLICT, OutboxStatus.FAILED)]
    found = []
    by_page: dict[tuple[str, str], int] = {}
    for item in refused:
        page = REFUSED_PAGES.get(item.kind, ("manual-entry", "Manual entry"))
        by_page[page] = by_page.get(page, 0) + 1
    for (page, title), count in sorted(by_page.items()):
        found.append(Item(f"refused/{page}", "refused",
                          f"{_plural(count, 'change')} refused by CQRS ({title})",
                          f"CQRS did not accept {'it' if count == 1 else 'them'}. Open the {title} page to "
                          "see why, put it right and send it again.", page, f"Open {title}"))
    if waiting:
        found.append(Item("waiting", "waiting", f"{_plural(len(waiting), 'change')} waiting to be sent",
                          "They are on this PC only until CQRS has them. Sync now (F5) while this PC is "
                          "connected.", SYNC, "Sync now"))
    return found


def _cover(state: PracticeState) -> list[Item]:
    if state.users is None:
        return []
    active = [user for user in state.users if str(user.get("status") or "") == "active"]
    found = []
    for role, what in COVER_ROLES.items():
        holders = [user for user in active if role in (user.get("roles") or ())]
        if len(holders) > 1:
            continue
        who = (f"Only {_user_name(holders[0])} has" if holders else "Nobody active has")
        found.append(Item(f"cover/{role}", "cover", f"Arrange cover for {role}",
                          f"{who} the {role} role: when they are away nobody can {what}. Give the role to a "
                          "second person on the Users page.", "users", "Open Users"))
    return found


def _user_name(user: dict[str, Any]) -> str:
    name = f"{user.get('first_name') or ''} {user.get('last_name') or ''}".strip()
    return name or str(user.get("email") or "one person")


def _year_end(today: date) -> list[Item]:
    if today.month != 3:
        return []
    return [Item(f"year-end/{today.year}", "year-end", "Go through the QOF year-end checklist",
                 "The QOF year ends on 31 March: answer any offers, send your manual entries and check the "
                 "Timetable for the year-end entry window and declaration deadline. Help explains each step.",
                 "help", "Open Help", date(today.year, 3, 31))]
