"""Desktop reminders of deadlines: a notification from the system tray for what is due within the
Settings page's number of days, at most once a day for each item, and nothing when the reminders are off
or the desktop has no system tray. Clicking the notification opens the screen that resolves it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

from app import settings
from app.services import tasks
from app.services.profile import PracticeAccess

if TYPE_CHECKING:  # the rules read the cache: they load with it, after the first paint
    from app.services.needs_doing import Item

MESSAGE_MS = 15_000
LISTED = 4  # items named in one notification


def message(items: list[Item]) -> tuple[str, str]:
    """The notification's title and text for ``items`` (at least one)."""
    if len(items) == 1:
        item = items[0]
        return f"CQRS: {item.title}", f"{item.days_text}. {item.detail}"
    lines = [f"{item.title}: {item.days_text.lower()}" for item in items[:LISTED]]
    if len(items) > LISTED:
        lines.append(f"and {len(items) - LISTED} more on the dashboard")
    return f"CQRS: {len(items)} deadlines coming up", "\n".join(lines)


class Reminders(QObject):
    shown = Signal(list)  # the items just notified
    open_requested = Signal(str)  # the section key of the first item notified, when its message is clicked

    def __init__(self, store: settings.Settings, parent: QObject | None = None, *,
                 available: bool | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.available = QSystemTrayIcon.isSystemTrayAvailable() if available is None else available
        self.tray: QSystemTrayIcon | None = None
        self._page: str | None = None

    def check(self, access: PracticeAccess | None, today: date) -> None:
        """Look for deadlines to remind of at ``access``'s practice (in the background)."""
        if access is None or not self.available or not self.store.get(settings.REMINDERS_ON):
            return
        ods, roles, days = access.ods, access.roles, self.store.get(settings.REMINDER_DAYS)

        def pick() -> list[Item]:
            from app.services import reminder_log

            return reminder_log.pick(ods, today, roles, days)

        tasks.run(pick, self._notify)

    def _notify(self, items: list[Item]) -> None:
        if not items or not self.store.get(settings.REMINDERS_ON):  # turned off while it was reading
            return
        if self.tray is None:
            app = QApplication.instance()
            style = app.style() if isinstance(app, QApplication) else None
            icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation) if style else QIcon()
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("CQRS Desktop")
            self.tray.messageClicked.connect(self._clicked)
        self._page = items[0].page
        self.tray.show()
        title, text = message(items)
        self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, MESSAGE_MS)
        self.shown.emit(items)

    def _clicked(self) -> None:
        if self._page is not None:
            self.open_requested.emit(self._page)
