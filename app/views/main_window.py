"""The main window: sections on the left, the chosen page on the right, the status bar below.

The window shows what the cache holds and asks for things through its signals (sync, sign out, another
practice); the shell (app.views.shell) acts on them. It reloads a page when the hub says its records
changed.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMenu,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import settings
from app.services.profile import Profile
from app.signals import hub
from app.views import fonts
from app.views.dashboard_page import DashboardPage
from app.views.declarations_page import DeclarationsPage
from app.views.help_page import HelpPage, InstallationFacts
from app.views.manual_entry_page import ManualEntryPage
from app.views.offers_page import OffersPage
from app.views.record_pages import PAGES, RecordsPage
from app.views.status_bar import StatusBar

SECTIONS = (("dashboard", "Dashboard"), ("manual-entry", "Manual entry"), ("declarations", "Declarations"),
            ("offers", "Offers"), *((spec.key, spec.title) for spec in PAGES), ("help", "Help"))
MINIMUM_SIZE = (1000, 700)  # fits a 1024×768 screen with the taskbar
DEFAULT_SIZE = (1280, 800)
Page = DashboardPage | ManualEntryPage | DeclarationsPage | OffersPage | RecordsPage
MESSAGE_MS = 12_000


class GeometryMixin:
    """Keeps the window's position and size in the settings between runs."""

    def restore_geometry(self, store: settings.Settings) -> None:
        saved = store.get(settings.WINDOW_GEOMETRY)
        if saved and self.restoreGeometry(  # type: ignore[attr-defined]
                QByteArray.fromBase64(saved.encode("ascii"))):
            return
        screen = self.screen().availableGeometry()  # type: ignore[attr-defined]
        self.resize(min(DEFAULT_SIZE[0], screen.width()), min(DEFAULT_SIZE[1], screen.height()))

    def save_geometry(self, store: settings.Settings) -> None:
        data = bytes(self.saveGeometry().toBase64()).decode("ascii")  # type: ignore[attr-defined]
        store.set(settings.WINDOW_GEOMETRY, data)


class MainWindow(GeometryMixin, QMainWindow):
    sync_requested = Signal()
    sign_out_requested = Signal()
    sign_in_requested = Signal()
    practice_chosen = Signal(str)
    section_shown = Signal(str)  # the key of the section now on screen
    ready = Signal()  # painted with the cached data of the current practice

    def __init__(self, store: settings.Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("CQRS Desktop")
        self.setMinimumSize(*MINIMUM_SIZE)
        self.profile: Profile | None = None
        self._ready_sent = False

        self.dashboard = DashboardPage()
        self.manual_entry = ManualEntryPage()
        self.declarations = DeclarationsPage()
        self.offers = OffersPage()
        # In the order of SECTIONS. Each page: show_practice(access), reload(), loaded, kinds (and today).
        self.pages: dict[str, Page] = {
            "dashboard": self.dashboard, "manual-entry": self.manual_entry, "declarations": self.declarations,
            "offers": self.offers, **{spec.key: RecordsPage(spec) for spec in PAGES}}
        # The page on screen still loading: "ready" (painted with cached data) waits for it, and for
        # show_profile to load it. The other pages load behind it, in the background.
        self._pending = {SECTIONS[0][0]}
        self.help_page = HelpPage()
        self.stack = QStackedWidget()
        for page in [*self.pages.values(), self.help_page]:
            self.stack.addWidget(page)
        for key, page in self.pages.items():
            page.loaded.connect(lambda key=key: self._page_loaded(key))

        self.nav = QListWidget()
        self.nav.setObjectName("sections")
        self.nav.setAccessibleName("Sections")
        self.nav.addItems([title for _key, title in SECTIONS])
        fonts.relative(self.nav, fonts.PROMINENT)
        self.nav.setMinimumWidth(self.nav.sizeHintForColumn(0) + 40)
        self.nav.setMaximumWidth(self.nav.sizeHintForColumn(0) + 60)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.currentRowChanged.connect(lambda row: self.section_shown.emit(SECTIONS[row][0]))

        body = QWidget()
        columns = QHBoxLayout(body)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.addWidget(self.nav)
        columns.addWidget(self.stack, 1)
        # Messages go in a banner that wraps, not the status bar: there they would be cut off at 1024 px.
        self.message = QLabel()
        self.message.setObjectName("messageBanner")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Message")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.message.hide)
        central = QWidget()
        rows = QVBoxLayout(central)
        rows.addWidget(self._top_bar())
        rows.addWidget(self.message)
        rows.addWidget(body, 1)
        self.setCentralWidget(central)
        self.status = StatusBar()
        self.setStatusBar(self.status)
        self.nav.setCurrentRow(0)

        hub().data_changed.connect(self._data_changed)
        hub().sync_started.connect(lambda: self.sync_button.setEnabled(False))
        hub().sync_finished.connect(self._sync_finished)
        self.restore_geometry(store)

    def _top_bar(self) -> QWidget:
        bar = QWidget()
        bar.setObjectName("topBar")
        layout = QHBoxLayout(bar)
        layout.setContentsMargins(4, 0, 4, 0)
        self.practice_name = QLabel("Not signed in")
        self.practice_name.setObjectName("practiceName")
        fonts.relative(self.practice_name, fonts.PROMINENT, bold=True)
        self.practice_picker = QComboBox()
        self.practice_picker.setAccessibleName("Practice")
        self.practice_picker.setMinimumContentsLength(28)
        self.practice_picker.activated.connect(
            lambda index: self.practice_chosen.emit(self.practice_picker.itemData(index)))
        self.practice_picker.hide()
        sync_action = QAction("Sync now", self)
        sync_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        sync_action.triggered.connect(self.sync_requested)
        self.addAction(sync_action)
        self.sync_button = QPushButton("Sync now (F5)")
        self.sync_button.setAccessibleName("Sync now")
        self.sync_button.clicked.connect(self.sync_requested)
        self.account = QToolButton()
        self.account.setAccessibleName("Account")
        self.account.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.account_menu = QMenu(self.account)
        self.account.setMenu(self.account_menu)
        layout.addWidget(self.practice_name, 1)
        layout.addWidget(self.practice_picker)
        layout.addWidget(self.sync_button)
        layout.addWidget(self.account)
        self._fill_account_menu()
        return bar

    def _fill_account_menu(self) -> None:
        self.account_menu.clear()
        if self.profile is None:
            self.account.setText("Sign in")
            self.account_menu.addAction("Sign in…", self.sign_in_requested)
        else:
            self.account.setText(self.profile.display_name)
            self.account_menu.addAction(self.profile.email).setEnabled(False)
            self.account_menu.addAction("Sign out", self.sign_out_requested)

    # --- what the shell tells the window ---------------------------------------------------------

    def show_profile(self, profile: Profile | None, ods: str | None) -> None:
        """Show ``profile``'s practice ``ods`` (reloading every page from the cache)."""
        self.profile = profile
        self._fill_account_menu()
        self.practice_picker.clear()
        access = profile.practice(ods) if profile else None
        today = profile.server_today if profile else date.today  # windows are judged on the service's date
        for page in (self.dashboard, self.manual_entry, self.declarations, self.offers):
            page.today = today
        if profile is not None:
            for practice in profile.practices:
                self.practice_picker.addItem(practice.label, practice.ods)
            self.practice_picker.setCurrentIndex(max(0, self.practice_picker.findData(ods)))
        self.practice_picker.setVisible(profile is not None and len(profile.practices) > 1)
        self.practice_name.setText(access.label if access else "Not signed in")
        self.status.set_who(profile.display_name if profile else None, access.name if access else None,
                            access.ods if access else None)
        current = self.current_section()
        self._pending = {current} & set(self.pages)
        # The page on screen first: the database worker takes the loads in order.
        for key in sorted(self.pages, key=lambda key: key != current):
            self.pages[key].show_practice(access)

    def show_facts(self, facts: InstallationFacts) -> None:
        self.help_page.show_facts(facts)

    def show_message(self, message: str) -> None:
        """Show ``message`` above the page for a few seconds (long ones wrap rather than being cut off)."""
        self.message.setText(message)
        self.message.show()
        self._message_timer.start(MESSAGE_MS)

    def current_section(self) -> str:
        return SECTIONS[max(0, self.nav.currentRow())][0]

    def clear_message(self) -> None:
        self.message.hide()

    def show_section(self, key: str) -> None:
        self.nav.setCurrentRow([k for k, _title in SECTIONS].index(key))

    # --- internals -------------------------------------------------------------------------------

    def _sync_finished(self, ok: bool, message: str) -> None:
        self.sync_button.setEnabled(True)
        if not ok:  # a good sync shows as "Last sync: just now" in the status bar
            self.show_message(message)

    def _data_changed(self, kind: str) -> None:
        for page in self.pages.values():
            if kind == "*" or kind in page.kinds:
                page.reload()

    def _page_loaded(self, key: str) -> None:
        self._pending.discard(key)
        self._maybe_ready()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._maybe_ready()

    def _maybe_ready(self) -> None:
        if not self._pending and not self._ready_sent and self.isVisible():
            self._ready_sent = True
            self.repaint()  # painted now, with the cached rows in it
            QTimer.singleShot(0, self.ready.emit)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_geometry(self.store)
        super().closeEvent(event)
