"""The Manual entry page and its dialogs (new entry, the form, check before sending, the conflict view)
stay usable at 1024×768 at each text size (100% to 200%): the list keeps at least three whole rows, the
selected entry's detail and history stay readable, and no dialog is squashed or larger than the screen.

The cache is real (SQLite in a temp folder) and holds the 2025/26 national timetable and a year of
entries like the demo's, plus one of each state; there is no server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
import text_size_checks as checks
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QDialog

from app import settings
from app.services import cache_store, tasks
from app.services import manual_entry as me
from app.services.profile import ACHIEVEMENT_ENTRY, VIEW, PracticeAccess, Profile
from app.views.entry_dialogs import CheckDialog, ConflictDialog, NewEntryDialog
from app.views.main_window import MainWindow
from app.views.manual_entry_form import EntryForm
from app.views.manual_entry_page import ManualEntryPage
from central.timetable_plan import national_timetable

SCREEN = QRect(0, 0, 1024, 768)
SCALES = [1.0, 1.25, 1.5, 1.75, 2.0]
IDS = [f"{round(scale * 100)}%" for scale in SCALES]
ODS, PRACTICE = "Z99001", "Riverside Medical Practice"
OWNER = "practice.manager@nhs.net"
OCTOBER, NOVEMBER = date(2025, 10, 31), date(2025, 11, 30)
TODAY = date(2025, 11, 5)  # October's entry window (1-12 Nov 2025) is open
LONG_REASON = ("42 doses is more than the 31 we supplied; please check the clinic list against the "
               "vaccine stock record and send it again")
MONTH_ENDS = [date(2025, 4, 30), date(2025, 5, 31), date(2025, 6, 30), date(2025, 7, 31), date(2025, 8, 31),
              date(2025, 9, 30)]


def _timetable() -> list[dict]:
    return [{"type": "timetable_event", "id": number, "data": {
        "id": number, "year": "2025-26", "kind": event.kind, "title": event.title,
        "starts": event.starts.isoformat(), "ends": event.ends.isoformat(), "service": event.service,
        "achievement_date": event.achievement_date.isoformat() if event.achievement_date else None}}
        for number, event in enumerate(national_timetable("2025-26"), start=1)]


def _entry(entry_id: int, service: str, when: date, values: dict, status: str = "approved",
           reason: str | None = None) -> dict:
    history = [{"action": "manual entry created", "at": f"{when.isoformat()}T10:02:00+00:00", "by": OWNER},
               {"action": f"manual entry {status}", "at": f"{when.isoformat()}T16:00:00+00:00",
                "by": "approvals@riverside-icb.nhs.net"}]
    return {"type": "manual_entry", "id": entry_id, "data": {
        "id": entry_id, "service": service, "achievement_date": when.isoformat(), "values": values,
        "notes": "From the practice's own report", "status": status, "version": 2,
        "rejection_reason": reason, "updated_at": f"{when.isoformat()}T16:00:00+00:00", "history": history}}


def _entries() -> list[dict]:
    """Half a year of approved entries (two services a month), and one rejected at length."""
    entries = []
    for number, when in enumerate(MONTH_ENDS):
        entries.append(_entry(100 + 2 * number, "LDHC", when, {"LD_REG": 55 + number}))
        entries.append(_entry(101 + 2 * number, "WM", when, {"REFERRALS": 6 + number}))
    entries.append(_entry(188, "RSVP", OCTOBER, {"DOSES": 42}, "rejected", LONG_REASON))
    entries.append(_entry(189, "LDHC", OCTOBER, {"LD_REG": 58}, "submitted"))
    return entries


@pytest.fixture
def cache(fresh_hub) -> None:
    cache_store.apply_feed_page(ODS, [*_timetable(), *_entries(), {
        "type": "practice", "id": ODS,
        "data": {"ods": ODS, "name": PRACTICE, "second_person_required": True}}], 100)


def _offset_to(day: date) -> float:
    """The service's clock offset that makes its today ``day`` (noon in England)."""
    return (datetime(day.year, day.month, day.day, 12, tzinfo=UTC) - datetime.now(UTC)).total_seconds()


@pytest.fixture
def window(cache, qtbot) -> Iterator[MainWindow]:
    window = MainWindow(settings.load())
    qtbot.addWidget(window)
    window.resize(SCREEN.width(), SCREEN.height())
    with qtbot.waitSignal(window.ready, timeout=5000):
        window.show_profile(Profile("https://cqrs.example.nhs.uk", OWNER, "Sarah", "Okafor",
                                    (PracticeAccess(ODS, PRACTICE, (VIEW, ACHIEVEMENT_ENTRY)),),
                                    _offset_to(TODAY)), ODS)
        window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


def settle(qtbot, milliseconds: int = 150) -> None:
    """Loads answered and the page's layout timers (column sharing, row fitting) done."""
    assert tasks.wait_for_idle()
    qtbot.wait(milliseconds)
    assert tasks.wait_for_idle()
    QApplication.processEvents()


def _page(window: MainWindow, qtbot) -> ManualEntryPage:
    window.show_section("manual-entry")
    page = window.manual_entry
    qtbot.waitUntil(lambda: len(page.rows) == len(_entries()), timeout=5000)
    settle(qtbot)
    return page


@pytest.mark.parametrize("text_scale", SCALES, indirect=True, ids=IDS)
def test_the_list_and_the_selected_entry_are_usable_at_1024_by_768(text_scale, window, qtbot,
                                                                     tmp_path) -> None:
    page = _page(window, qtbot)
    assert (window.width(), window.height()) == (SCREEN.width(), SCREEN.height())
    assert checks.everything(page) == []
    window.grab().save(str(tmp_path / "nothing-selected.png"))

    for key in ("entry:188", "entry:100"):  # the longest reason; a plain approved one
        assert page.select(key)
        settle(qtbot)
        window.grab().save(str(tmp_path / f"{key.replace(':', '-')}.png"))
        assert checks.everything(page) == [], key
        assert page.history.rowCount() == 2 and page.detail.text().startswith(page.selected().service_name)


def _dialogs(page: ManualEntryPage) -> Iterator[tuple[str, Callable[[], QDialog]]]:
    rejected = next(row for row in page.rows if row.key == "entry:188")
    ld_form = me.form_for("LDHC", OCTOBER, page.context)
    wm_form = me.form_for("WM", OCTOBER, page.context)
    yield "new entry", lambda: NewEntryDialog(page.choices, page.last_closed, page)
    yield "form", lambda: EntryForm(ODS, wm_form, today=TODAY, window=rejected.window, owner=OWNER,
                                    require_second_person=True, parent=page)
    yield "rejected form", lambda: EntryForm(ODS, me.form_for("RSVP", OCTOBER, page.context), today=TODAY,
                                             window=rejected.window, row=rejected, owner=OWNER, parent=page)
    yield "check before sending", lambda: CheckDialog(
        wm_form, {"REFERRALS": 240}, "From the weight management service's monthly report, checked "
        "against the referral letters sent", me.warnings(wm_form, {"REFERRALS": "240"}),
        window=rejected.window, row=rejected, second_person=lambda email, password: None, parent=page)
    theirs = {"version": 3, "values": {"LD_REG": 58}, "notes": "Checked by the ICB", "status": me.SUBMITTED}
    conflict = me.EntryRow(
        key="outbox:1", service="LDHC", service_name="Learning disabilities health checks",
        achievement_date=OCTOBER, values={"LD_REG": 61}, notes="From the LD register report",
        status=me.CONFLICT, status_text="Conflict: choose a version", held="Waiting to send",
        entry_id=189, version=2, outbox_key="1", server_copy=theirs)
    yield "conflict", lambda: ConflictDialog(ld_form, conflict, today=TODAY, owner=OWNER, parent=page)


@pytest.mark.parametrize("text_scale", SCALES, indirect=True, ids=IDS)
def test_each_dialog_fits_the_screen_unsquashed(text_scale, window, qtbot, tmp_path) -> None:
    page = _page(window, qtbot)
    problems = {}
    for name, make in _dialogs(page):
        dialog = make()
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        if isinstance(dialog, EntryForm) and dialog.row is None:
            dialog.check_before_sending()  # every field's message shown
        settle(qtbot, 50)
        dialog.grab().save(str(tmp_path / f"{name.replace(' ', '-')}.png"))
        if found := checks.dialog(dialog, SCREEN):
            problems[name] = found
        dialog.done(0)
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_columns_share_the_width_by_need_and_never_below_their_longest_word() -> None:
    from app.views.width_by_need import proportional

    assert proportional([400, 200, 100], [50, 50, 50], 700) == [400, 200, 100]
    assert sum(proportional([400, 200, 100], [50, 50, 50], 350)) == 350
    # The short status keeps its one word; the long name and the values share the rest by need.
    assert proportional([420, 180, 125], [170, 105, 125], 430) == [200, 105, 125]
    assert proportional([420, 180, 125], [170, 105, 125], 300) == [170, 105, 125]  # then it scrolls
