"""app.views.settings_page: generated from the declarations, changes applied at once and saved in the
background, the practice's second-person rule shown read-only as CQRS holds it."""

from __future__ import annotations

import json
import threading

import pytest
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLabel, QLineEdit, QSpinBox
from test_main_window import ODS, PRACTICE, change, open_on, profile, visit

from app import paths, settings
from app.services import cache_store, tasks
from app.signals import changed, hub
from app.views.main_window import MainWindow
from app.views.settings_page import SettingsPage


@pytest.fixture
def restore_font(qapp):
    font = qapp.font()
    yield
    qapp.setFont(font)


def settings_page(qtbot, window: MainWindow) -> SettingsPage:
    page = visit(qtbot, window, "settings")
    assert isinstance(page, SettingsPage)
    qtbot.waitUntil(lambda: page.rule.text() != "", timeout=5000)  # its first load is answered
    return page


def labels(page: SettingsPage) -> list[str]:
    return [label.text() for label in page.findChildren(QLabel)]


def test_every_declared_setting_with_a_group_is_on_the_page_with_its_label_help_and_value(
        qtbot, fresh_hub) -> None:
    store = settings.load()
    store.set(settings.SYNC_INTERVAL_MINUTES, 30)
    # A later setting (e.g. a reminder) appears by being declared: no change to the page.
    reminder = settings.declare("test_reminder_days", int, 7, "Remind me before a deadline",
                                group="Reminders", minimum=1, maximum=28, unit="days",
                                help="How many days ahead to remind you.")
    remind = settings.declare("test_remind", bool, True, "Show reminders", group="Reminders")
    try:
        window = MainWindow(store)
        qtbot.addWidget(window)
        open_on(qtbot, window, profile())
        page = settings_page(qtbot, window)
    finally:
        del settings.SETTINGS[reminder.key], settings.SETTINGS[remind.key]

    shown = {s.key for s in settings.SETTINGS.values() if s.group} | {reminder.key, remind.key}
    assert set(page.controls) == shown
    assert "server_url" not in page.controls and "window_geometry" not in page.controls  # no group
    text_size = page.controls["text_scale"]
    assert isinstance(text_size, QComboBox)
    assert [text_size.itemText(i) for i in range(text_size.count())] == ["100%", "125%", "150%", "175%",
                                                                          "200%"]
    assert text_size.currentText() == "100%" and text_size.accessibleName() == "Text size"
    interval = page.controls["sync_interval_minutes"]
    assert isinstance(interval, QSpinBox)
    assert (interval.value(), interval.minimum(), interval.maximum()) == (30, 1, 1440)
    assert interval.suffix() == " minutes"
    days = page.controls[reminder.key]
    assert isinstance(days, QSpinBox) and (days.value(), days.maximum()) == (7, 28)
    assert isinstance(page.controls[remind.key], QCheckBox) and page.controls[remind.key].isChecked()
    shown_labels = labels(page)
    for text in (settings.TEXT_SCALE.label, settings.TEXT_SCALE.help, settings.SYNC_INTERVAL_MINUTES.help,
                 reminder.label, reminder.help):
        assert text in shown_labels


def test_a_text_size_change_restyles_the_open_window_and_is_saved_off_the_gui_thread(
        qtbot, fresh_hub, restore_font, monkeypatch) -> None:
    writers: list[str] = []
    replace = paths.os.replace

    def recording_replace(src: str, dst: str) -> None:
        writers.append(threading.current_thread().name)
        replace(src, dst)

    monkeypatch.setattr(paths.os, "replace", recording_replace)
    store = settings.load()
    store.write_in_background()  # as the shell does
    window = MainWindow(store)
    qtbot.addWidget(window)
    open_on(qtbot, window, profile())
    page = settings_page(qtbot, window)
    before = QApplication.font().pointSizeF()
    heading = page.findChild(QLabel, "pageHeading")
    heading_before = heading.font().pointSizeF()
    nav_before = window.nav.font().pointSizeF()

    combo = page.controls["text_scale"]
    combo.setCurrentIndex(combo.findData(2.0))
    combo.activated.emit(combo.currentIndex())  # what choosing it with the mouse or keyboard sends

    assert QApplication.font().pointSizeF() == pytest.approx(before * 2)
    # The widgets are told in batches, a turn of the event loop each (the GUI thread never stalls).
    qtbot.waitUntil(lambda: window.font().pointSizeF() == pytest.approx(before * 2), timeout=2000)
    qtbot.waitUntil(lambda: window.sync_button.font().pointSizeF() == pytest.approx(before * 2), timeout=2000)
    qtbot.waitUntil(lambda: window.nav.width() >= window.nav.sizeHintForColumn(0), timeout=2000)
    assert heading.font().pointSizeF() == pytest.approx(heading_before * 2)  # relative fonts follow
    assert window.nav.font().pointSizeF() == pytest.approx(nav_before * 2)
    assert "Saved: Text size is now 200%." in labels(page)
    assert store.flush(5)
    assert writers and threading.current_thread().name not in writers
    assert json.loads(paths.settings_path().read_text())["text_scale"] == 2.0


def test_a_sync_interval_change_reaches_whoever_watches_it(qtbot, fresh_hub) -> None:
    store = settings.load()
    heard: list[int] = []
    store.watch(settings.SYNC_INTERVAL_MINUTES, heard.append)  # the shell reschedules sync this way
    window = MainWindow(store)
    qtbot.addWidget(window)
    open_on(qtbot, window, profile())
    page = settings_page(qtbot, window)

    page.controls["sync_interval_minutes"].setValue(45)

    assert heard == [45]
    assert store.get(settings.SYNC_INTERVAL_MINUTES) == 45
    assert json.loads(paths.settings_path().read_text())["sync_interval_minutes"] == 45


def test_bad_values_in_the_file_are_explained_and_the_defaults_shown(qtbot, fresh_hub) -> None:
    paths.settings_path().write_text(json.dumps({"text_scale": 3, "sync_interval_minutes": "often"}))
    window = MainWindow(settings.load())
    qtbot.addWidget(window)
    open_on(qtbot, window, profile())
    page = settings_page(qtbot, window)

    assert page.problems.isVisible()
    message = page.problems.text()
    assert "“Text size”" in message and "100% is used" in message
    assert "“Sync every”" in message and "15 minutes is used" in message
    assert page.controls["text_scale"].currentText() == "100%"
    assert page.controls["sync_interval_minutes"].value() == 15

    combo = page.controls["text_scale"]
    page.change(settings.TEXT_SCALE, 1.0)  # choosing a size replaces the bad value
    assert "Text size" not in page.problems.text() and "Sync every" in page.problems.text()
    assert combo.currentText() == "100%"


@pytest.mark.parametrize("required", [True, False])
def test_the_practices_second_person_rule_is_shown_read_only_as_cqrs_holds_it(qtbot, fresh_hub,
                                                                            required) -> None:
    cache_store.apply_feed_page(ODS, [change("practice", ODS, {**PRACTICE,
                                                               "second_person_required": required})], 5)
    window = MainWindow(settings.load())
    qtbot.addWidget(window)
    open_on(qtbot, window, profile())
    page = settings_page(qtbot, window)

    assert page.rule.text().startswith("Required" if required else "Not required")
    assert page.practice_box.title() == "Riverside Medical Practice (held by CQRS)"
    assert any("User Administrator" in text and "cannot be changed here" in text for text in labels(page))
    editors = [widget for kind in (QCheckBox, QComboBox, QLineEdit, QSpinBox)
               for widget in page.practice_box.findChildren(kind)]
    assert editors == []  # nothing to change it with here

    # A sync that changes the rule on the service shows at once; signing out hides it.
    cache_store.apply_feed_page(ODS, [change("practice", ODS, {**PRACTICE,
                                                               "second_person_required": not required})], 6)
    hub().data_changed.emit(changed("practice"))
    assert tasks.wait_for_idle(5.0)
    qtbot.waitUntil(lambda: page.rule.text().startswith("Not required" if required else "Required"))
    window.show_profile(None, None)
    assert tasks.wait_for_idle(5.0)
    qtbot.waitUntil(lambda: page.rule.text() == "Sign in to see your practice's settings.")
    assert page.controls["text_scale"].isVisible()  # this PC's settings stay usable signed out


def test_before_the_first_sync_the_rule_is_not_known_yet(qtbot, fresh_hub) -> None:
    window = MainWindow(settings.load())
    qtbot.addWidget(window)
    open_on(qtbot, window, profile())
    page = settings_page(qtbot, window)
    assert page.rule.text().startswith("Not known yet")


def test_bad_values_in_the_file_are_explained_when_the_window_opens(qtbot, fresh_hub) -> None:
    paths.settings_path().write_text(json.dumps({"text_scale": 0.5}))
    window = MainWindow(settings.load())
    qtbot.addWidget(window)
    open_on(qtbot, window, profile())

    assert window.message.isVisible()
    assert "“Text size”" in window.message.text() and "100% is used" in window.message.text()
    assert "Choose a value in Settings" in window.message.text()
