"""The page frame: the one base of every page in the main window, and of record-table pages in particular.

A page shows one practice (its PracticeAccess). It reads what it shows through the task runner (its
``loader`` runs on the database worker), and a result that arrives after a newer request — another
practice, another reload — is dropped. It has a heading, an optional intro line and one message area;
a failed load shows the error's plain-English message there with "Try again" (never raw exception text,
never a silent empty table). It reloads itself, at most once per hub announcement, when a kind of record
it shows changed (a page not on screen reloads when it is next shown). "Today" is the service's date,
passed in by the window.

A new screen of records is one file: a :class:`TablePage` subclass that declares its columns and its loader.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.services import screen_share, tasks
from app.services.profile import PracticeAccess
from app.signals import EVERYTHING, hub
from app.views import fonts
from app.views.record_table import Column, Prepared, RecordTable, prepare

Today = Callable[[], date]


def local_today() -> date:
    """This PC's date: only until the window passes the service's date (Profile.server_today)."""
    return date.today()


class Page(QWidget):
    """Heading, intro, message area and body; the page contract (show practice, reload, stale guard,
    one error path, empty state, select by key). Subclasses set the class attributes, put their widgets
    in ``self.body_layout`` and implement ``loader`` and ``show_result``."""

    loaded = Signal()  # the latest request was answered: rows, an empty state or an error is on screen

    key: ClassVar[str] = ""  # the section key (also the screenshot's file name)
    title: ClassVar[str] = ""
    intro: ClassVar[str] = ""
    kinds: ClassVar[Collection[str]] = ()  # record kinds (hub data_changed) whose change reloads the page
    per_practice: ClassVar[bool] = True  # False: shows the same whoever is signed in (Help)
    needs_role: ClassVar[str | None] = None  # the role needed to see anything on the page
    signed_out_text: ClassVar[str] = "Sign in to see your practice's records."
    message_name: ClassVar[str] = "Message"  # the message area's accessible name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"page-{self.key}")
        self.today: Today = local_today  # the window replaces it with the service's date
        self.access: PracticeAccess | None = None
        self.owner: str | None = None  # the signed-in person's email: writes are queued in their name
        self.table: RecordTable[Any] | None = None  # the page's main table, if it has one (select by key)
        self._request = 0
        self._load_failed = False
        self._stale = False  # a change arrived while the page was hidden: reload when shown
        self._empty_shown = False  # the empty state is shown in place of the body

        heading = QLabel(self.title)
        heading.setObjectName("pageHeading")
        fonts.relative(heading, fonts.HEADING, bold=True)
        self.intro_label = QLabel(self.intro)
        self.intro_label.setWordWrap(True)
        self.intro_label.setVisible(bool(self.intro))
        self.message = QLabel()
        self.message.setObjectName("errorText")  # the style sheet colours it by its "kind" property
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.message_name)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self.try_again = QPushButton("Try again")
        self.try_again.setAccessibleName("Try again")
        self.try_again.clicked.connect(self.reload)
        self.try_again.hide()
        message_row = QHBoxLayout()
        message_row.addWidget(self.message, 1)
        message_row.addWidget(self.try_again, 0, Qt.AlignmentFlag.AlignTop)
        self.empty_label = QLabel()
        self.empty_label.setObjectName("emptyMessage")
        self.empty_label.setWordWrap(True)
        self.empty_label.hide()
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        self.help_button = QPushButton("Help")
        self.help_button.setAccessibleName(f"Help about the {self.title} page")
        self.help_button.setToolTip("Help about this page (F1)")
        self.help_button.clicked.connect(self.show_help)
        header = QHBoxLayout()
        header.addWidget(heading, 1)
        header.addWidget(self.help_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.intro_label)
        layout.addLayout(message_row)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(self.body, 1)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        if self.kinds:
            hub().data_changed.connect(self._data_changed)  # a bound slot: Qt disconnects it with the page

    # --- what subclasses provide ---------------------------------------------------------------------

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], Any]:
        """What to read for ``access``: a function run on the database worker. It must not touch widgets
        (capture plain values here, not ``self``)."""
        raise NotImplementedError

    def show_result(self, result: Any) -> None:
        """Show what the loader returned (on the GUI thread)."""
        raise NotImplementedError

    def row_key(self, row: Any) -> Any:
        """The key that identifies ``row`` across reloads (select by key); rows' "key" by default."""
        return row.get("key") if isinstance(row, Mapping) else getattr(row, "key", None)

    def printable(self, printed_by: str) -> Callable[[], Any] | None:
        """What Print (Ctrl+P), Print preview and Export PDF print for this page: a function run on the task
        runner that returns an ``app.services.report_html.Report`` (see ``app.views.print_document``), or
        None when the page has nothing to print. ``printed_by`` names who prints it (masked when sharing)."""
        return None

    def print_name(self) -> str:
        """The file name (without ".pdf") Export PDF suggests."""
        return self.title or self.key

    # --- the page contract ---------------------------------------------------------------------------

    @property
    def finance(self) -> bool:
        """Whether the signed-in user may see money at this practice."""
        return self.access is not None and self.access.sees_money

    def show_practice(self, access: PracticeAccess | None) -> None:
        """Show ``access``'s practice (None: signed out): read it in the background."""
        if not self.per_practice:
            self.access = access
            if self._request == 0:  # read once; "Try again" reads it again after a failure
                self.reload()
            return
        if access is None or self.access is None or access.ods != self.access.ods:
            self.clear_message()  # a result about another practice no longer applies
        self.access = access
        self.reload()

    def reload(self) -> None:
        """Read the page again for the practice shown (a load still on its way is then dropped)."""
        self._stale = False
        access = self.access
        if self.per_practice and access is None:
            self._request += 1
            self.practice_shown(None)
            self._begin_content()
            self.show_empty(self.signed_out_text)
            self._reveal_content()
            self.loaded.emit()
            return
        if self.per_practice and self.needs_role and access is not None and not access.has(self.needs_role):
            self._request += 1
            self.practice_shown(access)
            self._begin_content()
            self.show_empty(f"Only people with the {self.needs_role} role for {access.name} can see this "
                            "page.")
            self._reveal_content()
            self.loaded.emit()
            return
        self.practice_shown(access)
        self.run(self.loader(access, self.today()), self.show_result)

    def run(self, op: Callable[[], Any], show: Callable[[Any], None]) -> None:
        """Run ``op`` on the database worker as the page's current request, then ``show`` its result —
        unless a newer request was made meanwhile. A failure takes the page's one error path."""
        self._request += 1
        request = self._request
        tasks.run(op, lambda result: self._deliver(request, show, result),
                  lambda error: self._failed(request, error))

    def practice_shown(self, access: PracticeAccess | None) -> None:
        """Called as a (re)load starts, e.g. to switch money columns on or off. Nothing by default."""

    def show_help(self) -> None:
        """Open the help window on this page's topic."""
        from app.views.help_window import show_help  # built the first time someone asks for help

        show_help(self.key, self.window())

    def select(self, key: Any) -> bool:
        """Select the row whose :meth:`row_key` is ``key`` in the page's table; False if it has none."""
        if self.table is None or key is None:
            return False
        return self.table.select_where(lambda row: self.row_key(row) == key)

    def selected_key(self) -> Any:
        row = self.table.selected_row() if self.table is not None else None
        return None if row is None else self.row_key(row)

    def show_empty(self, text: str) -> None:
        """The empty state: the table's own message, or ``text`` in place of the body."""
        if self.table is not None:
            self.table.set_empty_message(text)
            self.table.set_rows([])
            return
        self._empty_shown = True
        self.empty_label.setText(text)
        self.empty_label.show()
        self.body.hide()

    def show_error(self, error: BaseException) -> None:
        """The one error path of a load: the plain-English message and "Try again" instead of the body."""
        self._load_failed = True
        self.show_message(tasks.describe_error(error), "error")
        self.try_again.show()
        self.empty_label.hide()
        self.body.hide()

    def show_message(self, text: str, kind: str = "info") -> None:
        """A line about what just happened (e.g. an answer queued, or refused); empty text hides it."""
        self.try_again.hide()
        self.message.setProperty("kind", kind)
        self.message.style().unpolish(self.message)  # the style sheet colours it by "kind"
        self.message.style().polish(self.message)
        self.message.setText(screen_share.shown(text))  # e.g. a refusal naming someone's email
        self.message.setVisible(bool(text))

    def clear_message(self) -> None:
        self.show_message("")

    # --- internals -----------------------------------------------------------------------------------

    def _begin_content(self) -> None:
        """Before a result is shown: a load error no longer applies."""
        if self._load_failed:
            self._load_failed = False
            self.clear_message()
        self._empty_shown = False

    def _reveal_content(self) -> None:
        """After it is shown: the body, unless the result was the empty state in its place."""
        if not self._empty_shown:
            self.empty_label.hide()
            self.body.show()

    def _deliver(self, request: int, show: Callable[[Any], None], result: Any) -> None:
        if request != self._request:
            return  # a newer request (another practice, a reload) is on its way
        keep = self.selected_key()
        self._begin_content()
        show(result)  # while the body may still be hidden: it is then laid out once, when shown
        self._reveal_content()
        if keep is not None and self.selected_key() != keep:
            self.select(keep)
        self.loaded.emit()

    def _failed(self, request: int, error: BaseException) -> None:
        if request != self._request:
            return
        self.show_error(error)
        self.loaded.emit()

    def _data_changed(self, kinds: Collection[str]) -> None:
        if EVERYTHING not in kinds and not set(kinds) & set(self.kinds):
            return
        if self.isVisible():
            self.reload()
        else:
            self._stale = True  # nobody is looking: read it when the page is next shown

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()


class TablePage(Page):
    """A page that is one table of records: subclasses declare ``columns`` and ``load``."""

    empty_text: ClassVar[str] = "Nothing to show yet."
    table_name: ClassVar[str] = ""  # the table's accessible name ("<name> table"); the title by default
    sort_column: ClassVar[int] = 0
    descending: ClassVar[bool] = True

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = RecordTable(self.columns(None), name=self.table_name or self.title.lower(),
                                 empty_message=self.empty_text)
        self.body_layout.addWidget(self.table, 1)

    def columns(self, access: PracticeAccess | None) -> Sequence[Column[Any]]:
        """The columns shown to ``access`` (e.g. money only for Finance View)."""
        raise NotImplementedError

    @staticmethod
    def load(ods: str, today: date) -> Sequence[Any]:
        """The rows of practice ``ods`` (runs on the database worker)."""
        raise NotImplementedError

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], Prepared[Any]]:
        assert access is not None
        ods, columns, load = access.ods, tuple(self.columns(access)), self.load
        return lambda: prepare(columns, load(ods, today))  # texts and sort keys worked out off the GUI

    def practice_shown(self, access: PracticeAccess | None) -> None:
        if self.table is not None and access is not None:
            self.table.set_empty_message(self.empty_text)

    def show_result(self, result: Prepared[Any]) -> None:
        assert self.table is not None
        self.table.set_prepared(result)
        if self.table.proxy.sortColumn() < 0:
            order = Qt.SortOrder.DescendingOrder if self.descending else Qt.SortOrder.AscendingOrder
            self.table.view.sortByColumn(self.sort_column, order)
