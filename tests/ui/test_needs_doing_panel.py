"""app.views.needs_doing_panel at the top of the dashboard, with a real cache (the 2025/26 timetable, a
pending offer): most urgent first with days left, a button that opens the resolving screen, and an
update after a sync announces new data. Also the reminders (none without a tray, at most once a day)
and the two reminder settings on the Settings page."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from qof_records import change

from app import settings
from app.services import cache_store, outbox, reminder_log, tasks
from app.services.profile import SERVICE_MANAGEMENT, VIEW, PracticeAccess, Profile
from app.signals import EVERYTHING, changed, hub
from app.views.dashboard_page import DashboardPage
from app.views.main_window import MainWindow
from app.views.needs_doing_panel import NeedsDoingPanel
from app.views.reminders import Reminders, message
from central.timetable_plan import national_timetable

ODS = "Z99001"
TODAY = date(2026, 4, 8)
ACCESS = PracticeAccess(ODS, "Riverside Medical Practice", (VIEW, SERVICE_MANAGEMENT))
OFFER = {"id": 24, "service": "WM", "status": "pending", "start_date": "2025-04-01",
         "end_date": "2026-03-31", "response_deadline": "2026-04-30", "participation_only": False}


def _fill(*extra: dict[str, Any]) -> None:
    cache_store.apply_feed_page(ODS, [change("timetable_event", number, {
        "id": number, "kind": event.kind, "title": event.title, "service": event.service,
        "starts": event.starts.isoformat(), "ends": event.ends.isoformat(),
        "achievement_date": event.achievement_date.isoformat() if event.achievement_date else None})
        for number, event in enumerate(national_timetable("2025-26"), start=1)] + list(extra), 100)


@pytest.fixture
def panel(qtbot, fresh_hub) -> NeedsDoingPanel:
    _fill(change("offer", 24, OFFER))
    widget = NeedsDoingPanel()
    qtbot.addWidget(widget)
    widget.resize(900, 900)  # room for the list at this text size
    widget.show()
    with qtbot.waitSignal(widget.loaded, timeout=3000):
        widget.show_practice(ACCESS, TODAY)
    return widget


def test_most_urgent_first_with_days_left_and_a_button_to_the_screen(qtbot, panel: NeedsDoingPanel) -> None:
    days = [item.days_left for item in panel.items]
    assert days == sorted(days) and days[0] == 4  # March's entry windows close on 12 Apr
    assert len(panel.rows) == len(panel.items) > 3
    assert panel.title() == f"What needs doing ({len(panel.items)})"
    assert panel.rows[0].days.text() == "4 days left" and "(by 12 Apr 2026)" in panel.rows[0].title.text()
    assert panel.scroll.height() <= max(panel.window().height() * 0.2, 3 * panel.fontMetrics().height())
    offer = next(row for row in panel.rows if row.item.key == "offer/24")
    assert offer.days.text() == "22 days left" and offer.button.text() == "Open Offers"
    with qtbot.waitSignal(panel.open_requested, timeout=1000) as opened:
        offer.button.click()
    assert opened.args == ["offers"]


def test_updates_after_a_sync(qtbot, panel: NeedsDoingPanel) -> None:
    assert any(item.key == "offer/24" for item in panel.items)
    # A sync brings the offer back accepted (elsewhere), and a change waits to be sent.
    cache_store.apply_feed_page(ODS, [change("offer", 24, {**OFFER, "status": "accepted"})], 101)
    outbox.enqueue(ODS, "declaration", "POST", f"/practices/{ODS}/declarations",
                   {"service": "QOF", "achievement_date": "2026-03-31"}, owner="me@nhs.net")
    with qtbot.waitSignal(panel.loaded, timeout=3000):
        hub().data_changed.emit(changed(EVERYTHING))
    keys = {item.key for item in panel.items}
    assert "offer/24" not in keys and "waiting" in keys


def test_nothing_to_do_says_so(qtbot, fresh_hub) -> None:
    widget = NeedsDoingPanel()
    qtbot.addWidget(widget)
    widget.resize(900, 900)
    widget.show()
    with qtbot.waitSignal(widget.loaded, timeout=3000):
        widget.show_practice(ACCESS, date(2026, 5, 20))  # nothing synced: no timetable, no offers
    assert widget.items == [] and widget.empty.isVisible() and widget.empty.text().startswith("Nothing needs")


def test_large_text_on_a_small_screen_makes_it_a_summary_under_the_heading(qtbot, fresh_hub) -> None:
    _fill(change("offer", 24, OFFER))
    page = DashboardPage()
    page.today = lambda: TODAY
    qtbot.addWidget(page)
    page.resize(1000, 900)
    page.show()
    panel = page.needs_doing
    with qtbot.waitSignal(panel.loaded, timeout=3000):
        page.show_practice(ACCESS)
    assert panel.isVisible() and not panel.compact_row.isVisible()
    page.resize(1000, 20 * panel.fontMetrics().height())  # fewer lines than the list needs
    qtbot.waitUntil(lambda: panel.compact_row.isVisible(), timeout=2000)
    assert not panel.isVisible()
    assert panel.summary.text() == f"4 days left: {panel.items[0].title}"  # whole: it wraps, never "…"
    # Across the page under the heading, shown although no achievement has been calculated yet.
    assert page.layout().indexOf(panel.compact_row) < page.layout().indexOf(page.body)
    assert panel.compact_row.width() >= page.width() // 2
    assert panel.toggle.text() == f"To do ({len(panel.items)})"
    assert panel.toggle.accessibleName() == "Show what needs doing"
    panel.toggle.click()  # the list on request
    assert panel.isVisible() and panel.toggle.text() == "Hide the list"
    tasks.wait_for_idle()


def test_the_panel_is_at_the_top_of_the_dashboard_and_opens_the_page(qtbot, fresh_hub) -> None:
    _fill(change("offer", 24, OFFER))
    window = MainWindow(settings.load())
    qtbot.addWidget(window)
    # The service's clock reads midday on TODAY (its today is what the window judges by).
    offset = (datetime(2026, 4, 8, 12, tzinfo=UTC) - datetime.now(UTC)).total_seconds()
    profile = Profile("https://cqrs.example.nhs.uk", "me@nhs.net", "Pat", "Lee", (ACCESS,),
                      server_clock_offset_seconds=offset)
    with qtbot.waitSignal(window.ready, timeout=5000):
        window.show_profile(profile, ODS)
        window.show()
    dashboard = window.dashboard
    assert isinstance(dashboard, DashboardPage)
    panel = dashboard.needs_doing
    qtbot.waitUntil(lambda: bool(panel.rows), timeout=3000)
    assert dashboard.layout().indexOf(panel) < dashboard.layout().indexOf(dashboard.body)
    assert panel.isVisible()
    offer_row = next((row for row in panel.rows if row.item.page == "manual-entry"), panel.rows[0])
    offer_row.button.click()
    qtbot.waitUntil(lambda: window.current_section() == offer_row.item.page, timeout=3000)
    tasks.wait_for_idle()


def test_reminders_once_a_day_and_none_without_a_tray(qtbot, fresh_hub, tmp_path) -> None:
    _fill(change("offer", 24, OFFER))
    store = settings.load()
    path = tmp_path / "shown.json"
    first = reminder_log.pick(ODS, TODAY, ACCESS.roles, 5, path)
    assert {item.days_left for item in first} == {4}  # within 5 days: March's entry windows
    assert reminder_log.pick(ODS, TODAY, ACCESS.roles, 5, path) == []  # shown today already
    again = reminder_log.pick(ODS, date(2026, 4, 9), ACCESS.roles, 5, path)
    assert {item.key for item in again} == {item.key for item in first}  # the next day, once more
    title, text = message(first)
    assert title.startswith("CQRS: ") and "days left" in text

    without = Reminders(store, available=False)
    shown: list[Any] = []
    without.shown.connect(shown.append)
    without.check(ACCESS, TODAY)
    assert tasks.wait_for_idle() and shown == [] and without.tray is None
    store.set(settings.REMINDERS_ON, False)
    off = Reminders(store, available=True)
    off.shown.connect(shown.append)
    off.check(ACCESS, TODAY)
    assert tasks.wait_for_idle() and shown == [] and off.tray is None


def test_reminder_settings_join_the_settings_page(qtbot, fresh_hub) -> None:
    from app.views.settings_page import SettingsPage

    assert settings.REMINDER_DAYS.default == 3 and settings.REMINDERS_ON.default is True
    page = SettingsPage()
    qtbot.addWidget(page)
    page.use_store(settings.load())
    assert {"reminder_days", "reminders_on"} <= set(page.controls)
    assert page.controls["reminder_days"].accessibleName() == "Remind me this many days before"
