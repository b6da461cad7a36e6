"""A line saying which figures are provisional and why, each web address a link named by its site.

The reasons come from the rules files (a fee carried over from the year before, a constant resting on
one source); shown beside the figures they affect. Addresses are long and cannot wrap, so each shows as
its site's name and opens in the web browser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

_URL = re.compile(r"https?://[^\s)]+")


def linked(text: str) -> str:
    """``text`` as rich text, each address a link showing its site (e.g. "bma.org.uk")."""
    parts, last = [], 0
    for found in _URL.finditer(text):
        url = found.group(0).rstrip(".,;")
        parts.append(html.escape(text[last:found.start()]))
        site = urlsplit(url).netloc.removeprefix("www.")
        parts.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(site)}</a>')
        last = found.start() + len(url)
    parts.append(html.escape(text[last:]))
    return "".join(parts)


class ProvisionalNote(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("provisional")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setOpenExternalLinks(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.linkHovered.connect(self.setToolTip)  # the full address, before it is opened
        self.setAccessibleName("Provisional")
        self.reasons: tuple[str, ...] = ()
        self.hide()

    def show_reasons(self, reasons: Sequence[str]) -> None:
        """One "Provisional: <why, with its source>" line per reason; hidden when there are none."""
        self.reasons = tuple(reasons)
        self.setText("<br>".join(f"<b>Provisional:</b> {linked(reason)}" for reason in self.reasons))
        self.setAccessibleDescription(" ".join(f"Provisional: {reason}" for reason in self.reasons))
        self.setVisible(bool(self.reasons))
