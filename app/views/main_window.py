"""The main window: sections on the left, the chosen page on the right, the status bar below.

The window shows what the cache holds and asks for things through its signals (sync, sign out, another
practice); the shell (app.shell) acts on them. Only the page on screen is built at start; each other
page is built (its module imported) and loaded the first time it is shown. Pages reload themselves when
the hub says their records changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import settings
from app.services import screen_share
from app.services.profile import Profile
from app.signals import hub
from app.views import fonts
from app.views.busy_note import BusyNote
from app.views.message_banner import MessageBanner
from app.views.page import Page, Today, local_today
from app.views.print_actions import PrintActions
from app.views.reminders import Reminders
from app.views.screen_share_banner import ScreenShareBanner
from app.views.screen_share_window import ScreenShareMixin
from app.views.section_list import SectionList
from app.views.sections import (  # noqa: F401  (import_pages re-exported)
    SECTION_PAGES,
    SECTIONS,
    Pages,
    hidden_sections,
    import_pages,
    page_class,
)
from app.views.status_bar import StatusBar
from app.views.window_geometry import GeometryMixin

if TYPE_CHECKING:
    from app.services.profile import PracticeAccess
    from app.views.dashboard_page import DashboardPage
    from app.views.declarations_page import DeclarationsPage
    from app.views.help_page import HelpPage, InstallationFacts
    from app.views.manual_entry_page import ManualEntryPage, SecondPersonConfirmer
    from app.views.offers_page import OffersPage
    from app.views.settings_page import SettingsPage
    from app.views.timetable_page import TimetablePage

MINIMUM_SIZE = (1000, 700)  # fits a 1024×768 screen with the taskbar


class MainWindow(ScreenShareMixin, GeometryMixin, QMainWindow):
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
        self._access: PracticeAccess | None = None  # as the pages are shown it (£ hidden while sharing)
        self._own_access: PracticeAccess | None = None  # as the profile has it
        self._today: Today = local_today
        self._owner: str | None = None
        self._shown_profile = False  # show_profile has been called: built pages load their practice
        self._showing_new_page = False  # a page being built to be shown: it loads once it is on screen
        self._awaiting_load: set[str] = set()  # such pages, until they load
        self._facts: InstallationFacts | None = None
        self._second_person: SecondPersonConfirmer | None = None
        # The page on screen still loading: "ready" (painted with cached data) waits for it, and for
        # show_profile to load it. The other pages are built, and load, when first shown.
        self._pending = {SECTIONS[0][0]}
        self.pages = Pages(self._build_page)
        self.stack = QStackedWidget()
        self._slots: dict[str, QVBoxLayout] = {}
        for key, _title in SECTIONS:
            slot = QWidget()
            slot_layout = QVBoxLayout(slot)
            slot_layout.setContentsMargins(0, 0, 0, 0)
            self._slots[key] = slot_layout
            self.stack.addWidget(slot)

        self.nav = SectionList()
        self.nav.currentRowChanged.connect(self._section_changed)

        body = QWidget()
        columns = QHBoxLayout(body)
        columns.setContentsMargins(0, 0, 0, 0)
        # The screen-share toggle sits under the sections, where there is room at any text size (the top
        # bar has none to spare at 200% on a 1024 px screen).
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.nav, 1)
        self.print_actions = PrintActions(self, lambda: self.pages[self.current_section()], self._printed_by,
                                          self.show_message)  # Ctrl+P prints the page on screen
        left.addWidget(self.print_actions.button)
        left.addWidget(self._screen_share_toggle())
        columns.addLayout(left)
        columns.addWidget(self.stack, 1)
        self.banner = MessageBanner(self)  # wraps: the status bar would cut messages off at 1024 px
        self.message = self.banner.label
        central = QWidget()
        rows = QVBoxLayout(central)
        self.screen_share_banner = ScreenShareBanner()
        self.screen_share_banner.stop_requested.connect(screen_share.turn_off)
        self.screen_share_banner.show_money_changed.connect(screen_share.show_money)
        rows.addWidget(self.screen_share_banner)
        rows.addWidget(self._top_bar())
        rows.addWidget(self.message)
        self.busy = BusyNote()  # "Connecting to https://…" while the app waits on the service
        rows.addWidget(self.busy)
        rows.addWidget(body, 1)
        self.setCentralWidget(central)
        self.status = StatusBar()
        self.status.attention_clicked.connect(self.show_section)  # "1 needs your attention: Manual entry"
        self.setStatusBar(self.status)
        self.nav.setCurrentRow(0)
        self._hide_sections(hidden_sections(None))

        hub().sync_started.connect(lambda: self.sync_button.setEnabled(False))
        hub().sync_finished.connect(self._sync_finished)
        hub().online_changed.connect(self.banner.online_changed)
        hub().screen_share_changed.connect(self._screen_share_changed)
        self.reminders = Reminders(store, self)  # deadlines close: a tray notification, once a day each
        self.reminders.open_requested.connect(self.open_resolving)
        self._watch_text_sizes()
        self.restore_geometry(store)
        if problems := store.problems():  # e.g. a hand-edited settings file: say what is used instead
            self.show_message(" ".join(problems))

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
        help_action = QAction("Help", self)  # F1: the help window, on the topic of the page on screen
        help_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        help_action.triggered.connect(self.show_help)
        self.addAction(help_action)
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
            self.account.setText(screen_share.shown(self.profile.display_name))
            self.account_menu.addAction(screen_share.shown(self.profile.email)).setEnabled(False)
            self.account_menu.addAction("Sign out", self.sign_out_requested)

    # --- what the shell tells the window ---------------------------------------------------------

    def show_profile(self, profile: Profile | None, ods: str | None) -> None:
        """Show ``profile``'s practice ``ods`` (the page on screen, and any built, reload from the cache)."""
        self.profile = profile
        self._fill_account_menu()
        self.practice_picker.clear()
        access = profile.practice(ods) if profile else None
        # Windows and deadlines are judged on the service's date.
        self._own_access, self._today = access, profile.server_today if profile else local_today
        self._access = access = self._as_shown(access)
        self._owner = profile.email if profile else None
        if profile is not None:
            for practice in profile.practices:
                self.practice_picker.addItem(practice.label, practice.ods)
            self.practice_picker.setCurrentIndex(max(0, self.practice_picker.findData(ods)))
        self.practice_picker.setVisible(profile is not None and len(profile.practices) > 1)
        self.practice_name.setText(access.label if access else "Not signed in")
        self._show_who()
        self._hide_sections(hidden_sections(self._own_access))  # by the roles held, not as shown
        current = self.current_section()
        self._pending = {current}
        self.pages[current]  # noqa: B018  (built now if it was not: it is on screen)
        self._shown_profile = True  # pages built from now on load the practice themselves
        # The page on screen first: the database worker takes the loads in order.
        built = self.pages.built()
        for key in sorted(built, key=lambda key: key != current):
            built[key].today, built[key].owner = self._today, self._owner
            built[key].show_practice(access)
        self._awaiting_load.clear()
        self.reminders.check(self._own_access, self._today())

    def show_facts(self, facts: InstallationFacts) -> None:
        self._facts = facts
        help_page = self.pages.built().get("help")
        if help_page is not None:
            cast("HelpPage", help_page).show_facts(self._shown_facts(facts))

    def show_message(self, message: str) -> None:
        """Show ``message`` above the page for a few seconds (long ones wrap rather than being cut off)."""
        self.banner.show_message(message)

    def show_help(self) -> None:
        """Open the help window on the topic of the page on screen (F1)."""
        from app.views.help_window import show_help

        show_help(self.current_section(), self)

    def _printed_by(self) -> str:
        """Who prints, as the window shows them (masked in screen-share mode)."""
        return screen_share.shown(self.profile.display_name) if self.profile else "Not signed in"

    def current_section(self) -> str:
        return self.nav.current_key()

    @property
    def hidden(self) -> frozenset[str]:
        """The sections the signed-in roles may not see."""
        return self.nav.hidden

    def clear_message(self) -> None:
        self.message.hide()

    def show_section(self, key: str) -> None:
        """Open section ``key``; one the signed-in roles may not see opens the dashboard instead."""
        self.nav.choose(key if key not in self.hidden else "dashboard")

    def _hide_sections(self, hidden: frozenset[str]) -> None:
        """Sections a role may not see are not listed (the Income page without Finance View)."""
        self.nav.hide_sections(hidden)
        if self.current_section() in hidden:
            self.show_section("dashboard")

    def open_resolving(self, key: str) -> None:
        """Open the screen that resolves a "What needs doing" item or reminder ("sync": sync now)."""
        if key == "sync":
            self.sync_requested.emit()
        elif key in dict(SECTIONS):
            self.show_section(key)
            self.activateWindow()

    # --- the pages (built on first use) ------------------------------------------------------------

    @property
    def dashboard(self) -> DashboardPage:
        return cast("DashboardPage", self.pages["dashboard"])

    @property
    def manual_entry(self) -> ManualEntryPage:
        return cast("ManualEntryPage", self.pages["manual-entry"])

    @property
    def declarations(self) -> DeclarationsPage:
        return cast("DeclarationsPage", self.pages["declarations"])

    @property
    def offers(self) -> OffersPage:
        return cast("OffersPage", self.pages["offers"])

    @property
    def help_page(self) -> HelpPage:
        return cast("HelpPage", self.pages["help"])

    def set_second_person_confirmer(self, confirm: SecondPersonConfirmer) -> None:
        """How the manual-entry page checks a second person (the demo passes its own CA); applied when the
        page is built, so setting it does not build the page."""
        self._second_person = confirm
        page = self.pages.built().get("manual-entry")
        if page is not None:
            cast("ManualEntryPage", page).confirm_second_person = confirm

    def _build_page(self, key: str) -> Page:
        page = page_class(next(section for section in SECTION_PAGES if section.key == key))()
        page.today, page.owner = self._today, self._owner
        page.loaded.connect(lambda key=key: self._page_loaded(key))
        self._slots[key].addWidget(page)
        if key == "settings":
            cast("SettingsPage", page).use_store(self.store)
        if key == "dashboard":
            cast("DashboardPage", page).needs_doing.open_requested.connect(self.open_resolving)
        if key == "timetable":
            cast("TimetablePage", page).reminder_days = lambda: self.store.get(settings.REMINDER_DAYS)
        if key == "help" and self._facts is not None:
            cast("HelpPage", page).show_facts(self._shown_facts(self._facts))
        if key == "manual-entry" and self._second_person is not None:
            cast("ManualEntryPage", page).confirm_second_person = self._second_person
        if self._shown_profile and not self._showing_new_page:
            page.show_practice(self._access)
        return page

    def _section_changed(self, row: int) -> None:
        key = SECTIONS[row][0]
        if key in self.hidden:
            self.show_section("dashboard")
            return
        if key in self.pages.built() or not self.isVisible():
            self.pages[key]  # noqa: B018  (built, and loading, the first time it is asked for)
            self._show_row(row)
            return
        # Building, first showing (style, layout) and loading are three pieces of work: the GUI gets a
        # turn between them, and the GUI's part of the first show never competes with the page's read
        # for the interpreter (which made a first show take twice as long).
        self._showing_new_page = True
        try:
            page = self.pages[key]
        finally:
            self._showing_new_page = False
        self._awaiting_load.add(key)

        def load() -> None:
            if key in self._awaiting_load:  # not loaded meanwhile by a new profile
                self._awaiting_load.discard(key)
                if self._shown_profile:
                    page.show_practice(self._access)

        def show_then_load() -> None:
            self._show_row(row)  # styled and laid out now; painted once the read is on its way
            load()

        QTimer.singleShot(0, self, show_then_load)

    def _show_row(self, row: int) -> None:
        if self.nav.currentRow() != row:
            return  # another section was chosen meanwhile
        self.stack.setCurrentIndex(row)
        self.section_shown.emit(SECTIONS[row][0])

    # --- internals -------------------------------------------------------------------------------

    def _sync_finished(self, ok: bool, message: str) -> None:
        self.sync_button.setEnabled(True)
        if not ok:  # a good sync shows as "Last sync: just now" in the status bar
            self.show_message(message)
        else:
            self.reminders.check(self._own_access, self._today())

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

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the text size changed: the sections' names fit again
            self.nav.fit_width()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_geometry(self.store)
        super().closeEvent(event)
