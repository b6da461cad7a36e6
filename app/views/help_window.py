"""The help window: contents on the left, the topic on the right, a search box above. F1 or a page's Help
button opens it on that page's topic (one window for the whole app). Topics are read, and searched, on
the task runner: the GUI thread never opens a file.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.services import help_texts, tasks

SEARCH_DELAY_MS = 250
DEFAULT_SIZE = (860, 620)  # fits a 1024×768 screen beside the taskbar


class HelpWindow(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("CQRS Desktop help")
        self.setObjectName("helpWindow")
        self.topic: str | None = None  # the topic on screen
        self._request = 0
        self._terms: list[str] = []
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search help, for example: declaration")
        self.search.setAccessibleName("Search help")
        self.search.setClearButtonEnabled(True)
        self.found = QLabel()
        self.found.setAccessibleName("Search result")
        self.found.setWordWrap(True)
        self.contents = QListWidget()
        self.contents.setAccessibleName("Help contents")
        for key, title in help_texts.TOPICS:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.contents.addItem(item)
        self.contents.setMinimumWidth(self.contents.sizeHintForColumn(0) + 24)
        self.contents.currentItemChanged.connect(self._chosen)
        self.browser = QTextBrowser()
        self.browser.setAccessibleName("Help text")
        self.browser.setOpenLinks(False)  # links between topics open here; web links in the browser
        self.browser.anchorClicked.connect(self._link)
        split = QSplitter()
        split.addWidget(self.contents)
        split.addWidget(self.browser)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        top = QHBoxLayout()
        top.addWidget(QLabel("Search:"))
        top.addWidget(self.search, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.found)
        layout.addWidget(split, 1)
        self.found.hide()
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, self.search.setFocus)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        screen = self.screen().availableGeometry()
        self.resize(min(DEFAULT_SIZE[0], screen.width() - 40), min(DEFAULT_SIZE[1], screen.height() - 60))

    def show_topic(self, key: str) -> None:
        """Show topic ``key`` (a section key or a topic name), read in the background."""
        key = help_texts.topic_for(key)
        self._select(key)
        self._request += 1
        request = self._request
        tasks.run(lambda: help_texts.read(key), lambda text: self._show(request, key, text),
                  lambda error: self._failed(request, error))

    # --- internals -----------------------------------------------------------------------------------

    def _select(self, key: str) -> None:
        for row in range(self.contents.count()):
            item = self.contents.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == key and self.contents.currentItem() is not item:
                self.contents.blockSignals(True)
                self.contents.setCurrentItem(item)
                self.contents.blockSignals(False)

    def _chosen(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None:
            self.show_topic(item.data(Qt.ItemDataRole.UserRole))

    def _show(self, request: int, key: str, text: str) -> None:
        if request != self._request:
            return  # another topic was asked for meanwhile
        self.topic = key
        self.browser.setMarkdown(text)
        if self._terms:
            self.browser.find(self._terms[0])  # the first place the search words are, selected

    def _failed(self, request: int, error: BaseException) -> None:
        if request == self._request:
            self.browser.setPlainText(f"This help topic could not be read ({tasks.describe_error(error)}). "
                                      "Reinstalling CQRS Desktop puts the help files back.")

    def _link(self, url: QUrl) -> None:
        name = url.toString()
        if url.isRelative() and name.endswith(".md"):
            self.show_topic(name.removesuffix(".md"))
        elif url.scheme() in ("https", "mailto", "tel"):
            QDesktopServices.openUrl(url)

    def _run_search(self) -> None:
        words = self.search.text().strip()
        self._terms = [term.lower() for term in words.split()]
        self._request += 1
        request = self._request
        tasks.run(lambda: help_texts.search(words), lambda found: self._matches(request, words, found),
                  lambda error: self._failed(request, error))

    def _matches(self, request: int, words: str, found: list[help_texts.Match]) -> None:
        if request != self._request:
            return
        keys = {match.key for match in found}
        for row in range(self.contents.count()):
            item = self.contents.item(row)
            item.setHidden(bool(words) and item.data(Qt.ItemDataRole.UserRole) not in keys)
        if not words:
            self.found.hide()
            return
        self.found.setText(f"{len(found)} topics contain “{words}”." if found else
                           f"No topic contains “{words}”. Try fewer or different words.")
        self.found.show()
        if found and self.topic not in keys:
            self.show_topic(found[0].key)
        elif found and self.topic is not None:
            self.show_topic(self.topic)  # shown again with the words selected


_window: HelpWindow | None = None


def show_help(key: str, parent: QWidget | None = None) -> HelpWindow:
    """Open the one help window (built the first time) on ``key``'s topic and bring it to the front."""
    global _window
    if _window is None:
        window = _window = HelpWindow(parent)
        window.destroyed.connect(lambda: _forget(window))
    _window.show_topic(key)
    _window.show()
    _window.raise_()
    _window.activateWindow()
    return _window


def _forget(window: HelpWindow) -> None:
    global _window
    if _window is window:  # not a newer one built since this one was closed
        _window = None
