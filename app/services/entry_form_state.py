"""What a manual-entry form says and allows, worked out once from the entry's real state: approved,
waiting to be sent, the user's role, and the entry window on the page's day.

Pure (no Qt, no database): the form and the page's detail line both word an entry from here, so they
never say two things at once (an approved entry is only ever "approved, cannot be amended").
"""

from __future__ import annotations

from dataclasses import dataclass

from app.services.entry_list import APPROVED, QUEUED, SENT_HELD, EntryRow, EntryWindow

GOOD, WARNING, ERROR, QUIET = "good", "warning", "error", "quiet"
ROLE_NEEDED = ("Only people with the Achievement Entry role for this practice can enter or change manual "
               "entries. You can see this entry, but not change it.")
APPROVED_LOCKED = ("This entry has been approved, so it can no longer be amended. If the approved figures "
                   "are wrong, contact your commissioner.")
WAITING_LOCKED = ("Your last change to this entry is waiting to be sent. You can change it again once it "
                  "has reached CQRS.")
SENT_LOCKED = ("Your change has reached CQRS. You can change it again after the next sync brings it back "
               "to this PC.")
CONTACT = "If figures are missing or wrong, contact your commissioner."


@dataclass(frozen=True)
class FormState:
    window: str  # the entry window in words ("" when it does not matter, e.g. approved)
    window_tone: str
    status: str  # the entry's status in words ("" for a new form, or when ``locked`` says it all)
    locked: str  # why nothing can be changed ("" when it can)
    can_edit: bool  # the fields can be typed in
    can_save: bool  # Save draft (and keeping a draft on closing) is offered
    can_send: bool  # Check before sending is enabled
    can_delete: bool  # Delete draft is offered

    @property
    def sentences(self) -> str:
        """Everything the form says about the entry, in order (for the page's detail line)."""
        return " ".join(part for part in (self.status, self.locked, self.window) if part)


def window_words(window: EntryWindow) -> str:
    """"Entry window: open until 12 Nov 2025." or why it is not open (when it opens, or closed)."""
    if window.open:
        return f"Entry window: {window.message[0].lower()}{window.message[1:]}"
    if window.closed:
        return (f"{window.message.rstrip('.')}: nothing more can be entered, sent or kept as a draft for "
                f"it. {CONTACT}")
    return window.message  # not open yet, or not in the timetable: a draft can still be kept


def _status(row: EntryRow | None, window: EntryWindow) -> str:
    if row is None:
        return ""
    words = row.status_text.rstrip(".") + "."
    if row.entry_id is not None and row.version is not None and window.open and row.status != QUEUED:
        words += f" Sending replaces version {row.version} held on CQRS."
    return words


def form_state(row: EntryRow | None, window: EntryWindow, *, can_enter: bool) -> FormState:
    """What the form of ``row`` (None: a new form) says and allows on the day ``window`` was judged."""
    if row is not None and row.status == APPROVED:
        return FormState("", QUIET, "", APPROVED_LOCKED, False, False, False, False)
    if row is not None and row.status == QUEUED:
        locked = SENT_LOCKED if row.held == SENT_HELD else WAITING_LOCKED
        return FormState("", QUIET, _status(row, window), locked, False, False, False, False)
    if not can_enter:
        return FormState("", QUIET, _status(row, window), ROLE_NEEDED, False, False, False, False)
    delete = row is not None and row.local_draft
    if window.closed:
        return FormState(window_words(window), ERROR, _status(row, window), "", False, False, False, delete)
    tone = GOOD if window.open else WARNING
    return FormState(window_words(window), tone, _status(row, window), "", True, True, window.open, delete)
