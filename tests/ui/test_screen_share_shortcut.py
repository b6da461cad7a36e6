"""Ctrl+Shift+S turns screen-share mode on and off from every window of the app, a modal dialog included
(a help-desk call often starts with one open), once per press."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QMenu, QMessageBox, QVBoxLayout, QWidget

from app import settings
from app.services import screen_share
from app.views.main_window import MainWindow
from app.views.sign_out_dialog import SignOutDialog

BOTH = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(fresh_hub: None, qtbot: Any) -> Iterator[MainWindow]:
    shown = MainWindow(settings.load())
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitUntil(shown.isActiveWindow, timeout=2000)
    yield shown
    if screen_share.active():  # the window puts the text size back while it is still there
        screen_share.turn_off()
    screen_share.reset()


def press(widget: QWidget) -> None:
    QTest.keyClick(widget, Qt.Key.Key_S, BOTH)


def opened(qtbot: Any, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    assert QApplication.activeModalWidget() is dialog
    return dialog


def test_it_works_while_a_modal_dialog_is_open_and_fires_once_per_press(qtbot: Any,
                                                                        window: MainWindow) -> None:
    dialog = opened(qtbot, SignOutDialog("Helen Marsh", 0, window))
    press(dialog.focusWidget() or dialog)
    assert screen_share.active() and window.screen_share_action.isChecked()
    assert dialog.isVisible()  # the key did not reach the dialog as anything else
    press(dialog.focusWidget() or dialog)  # fired twice, a press would leave it as it was
    assert not screen_share.active() and not window.screen_share_action.isChecked()


def test_it_works_from_a_message_box_and_a_text_field_in_a_dialog(qtbot: Any, window: MainWindow) -> None:
    box = opened(qtbot, QMessageBox(QMessageBox.Icon.Question, "Declare", "Declare now?",
                                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, window))
    press(box)
    assert screen_share.active()
    box.close()
    form = QDialog(window)
    field = QLineEdit(form)
    QVBoxLayout(form).addWidget(field)
    opened(qtbot, form)
    field.setFocus()
    field.setText("Riverside")
    press(field)
    assert not screen_share.active()
    assert field.text() == "Riverside"  # nothing typed into the field


def test_once_per_press_in_the_main_window(qtbot: Any, window: MainWindow) -> None:
    press(window)
    assert screen_share.active()
    press(window)
    assert not screen_share.active()


class OwnShortcutField(QLineEdit):
    """A field that claims Ctrl+Shift+S for itself, as Qt lets any widget do."""

    def __init__(self) -> None:
        super().__init__()
        self.claimed = 0

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and event.key() == Qt.Key.Key_S and event.modifiers() == BOTH:
            event.accept()
            return True
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() == Qt.Key.Key_S and event.modifiers() == BOTH:
            self.claimed += 1
            return True
        return super().event(event)


def test_a_widget_that_claims_the_key_keeps_it(qtbot: Any, window: MainWindow) -> None:
    form = QDialog(window)
    field = OwnShortcutField()
    QVBoxLayout(form).addWidget(field)
    opened(qtbot, form)
    field.setFocus()
    press(field)
    assert field.claimed == 1 and not screen_share.active()


def test_it_works_while_a_dialog_waits_in_exec(qtbot: Any, window: MainWindow) -> None:
    dialog = QDialog()  # application-modal, with no parent: it blocks every other window
    qtbot.addWidget(dialog)
    seen: list[bool] = []

    def in_the_dialog() -> None:
        if not dialog.isActiveWindow():
            QTimer.singleShot(20, in_the_dialog)
            return
        press(dialog)
        seen.append(screen_share.active())
        dialog.reject()

    QTimer.singleShot(0, in_the_dialog)
    dialog.exec()
    assert seen == [True]


def test_menus_do_not_gain_it_as_an_item(qtbot: Any, window: MainWindow) -> None:
    menu = QMenu(window)
    menu.addAction("Sign out")
    menu.popup(window.mapToGlobal(window.rect().center()))
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    qtbot.wait(50)
    assert [action.text() for action in menu.actions()] == ["Sign out"]
    menu.close()


def test_a_window_closed_but_not_yet_deleted_does_not_take_the_key(qtbot: Any, fresh_hub: None) -> None:
    # As when a session's main window is closed and the next one opened: the older action must not join
    # the new windows too, or Qt finds two actions for the key and fires neither.
    older = MainWindow(settings.load())
    older.show()
    qtbot.waitUntil(older.isActiveWindow, timeout=2000)
    older.close()  # closed, still alive
    newer = MainWindow(settings.load())
    qtbot.addWidget(newer)
    newer.show()
    qtbot.waitUntil(newer.isActiveWindow, timeout=2000)
    triggered_older: list[bool] = []  # (its checked state follows the mode, as every window's does)
    older.screen_share_action.triggered.connect(triggered_older.append)
    dialog = opened(qtbot, SignOutDialog("Helen Marsh", 0, newer))
    press(dialog.focusWidget() or dialog)
    assert screen_share.active() and newer.screen_share_action.isChecked()
    assert triggered_older == [] and older.screen_share_action not in dialog.actions()
    dialog.reject()
    screen_share.turn_off()
    screen_share.reset()
    older.deleteLater()
