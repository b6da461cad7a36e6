"""app.services.entry_form_state: one consistent thing said, and allowed, from an entry's real state."""

from datetime import date

from app.services import manual_entry as me
from app.services.entry_form_state import APPROVED_LOCKED, ROLE_NEEDED, form_state

OPEN = me.EntryWindow(True, "Open until 12 Nov 2025.")
CLOSED = me.EntryWindow(False, "The entry window closed on 12 Nov 2025.", closed=True)
NOT_YET = me.EntryWindow(False, "The entry window opens on 1 Dec 2025 and closes on 12 Dec 2025.")


def _row(status: str, **fields) -> me.EntryRow:
    defaults = {"key": "entry:1", "service": "LDHC", "service_name": "Learning disabilities health checks",
                "achievement_date": date(2025, 10, 31), "values": {"LD_REG": 58}, "notes": "",
                "status": status, "status_text": me.status_words(status), "held": "CQRS", "entry_id": 1,
                "version": 1}
    return me.EntryRow(**{**defaults, **fields})


def test_an_approved_entry_only_says_it_is_approved_whatever_the_window() -> None:
    for window in (OPEN, CLOSED, NOT_YET):
        state = form_state(_row(me.APPROVED), window, can_enter=True)
        assert (state.window, state.status, state.locked) == ("", "", APPROVED_LOCKED)
        assert not (state.can_edit or state.can_save or state.can_send or state.can_delete)
    assert "contact your commissioner" in APPROVED_LOCKED


def test_a_submitted_entry_in_its_window_can_be_amended() -> None:
    state = form_state(_row(me.SUBMITTED), OPEN, can_enter=True)
    assert state.window == "Entry window: open until 12 Nov 2025."
    assert state.status == "Submitted, awaiting approval. Sending replaces version 1 held on CQRS."
    assert state.can_edit and state.can_save and state.can_send and not state.locked


def test_a_closed_window_offers_no_draft_and_says_when_it_closed() -> None:
    draft = _row(me.DRAFT, held="This PC only", entry_id=None, version=None)
    state = form_state(draft, CLOSED, can_enter=True)
    assert state.window.startswith("The entry window closed on 12 Nov 2025: nothing more can be entered")
    assert "contact your commissioner" in state.window
    assert not (state.can_edit or state.can_save or state.can_send) and state.can_delete
    assert "Sending replaces" not in form_state(_row(me.SUBMITTED), CLOSED, can_enter=True).sentences


def test_a_window_not_open_yet_keeps_a_draft_but_sends_nothing() -> None:
    state = form_state(None, NOT_YET, can_enter=True)
    assert state.window == NOT_YET.message and state.can_save and not state.can_send


def test_without_the_role_nothing_can_be_changed() -> None:
    state = form_state(_row(me.SUBMITTED), OPEN, can_enter=False)
    assert state.locked == ROLE_NEEDED and state.window == ""
    assert not (state.can_edit or state.can_save or state.can_send)
