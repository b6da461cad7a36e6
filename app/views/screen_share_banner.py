"""The banner across the top of the window while screen-share mode is on: what is hidden, the support
reference for the help desk to note, "Show £" (for people who may see money) and "Stop sharing".

It is laid out above the page (never over it) and wraps at large text sizes rather than being cut off.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from app.services.screen_share import ScreenShare
from app.views import fonts

TITLE = "Screen-share mode"
HIDDEN = "Other people's emails and phone numbers, and your email, are hidden."
MONEY_HIDDEN = " £ are hidden too."


class ScreenShareBanner(QFrame):
    show_money_changed = Signal(bool)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screenShareBanner")
        self.setAccessibleName(TITLE)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # A strong colour so nobody forgets the screen is being shared; the text says it too.
        self.setStyleSheet("#screenShareBanner { background: #fff4ce; border: 2px solid #b35c00; }"
                           " #screenShareBanner QLabel { color: #202020; }")
        self.title = QLabel(TITLE)
        fonts.relative(self.title, fonts.PROMINENT, bold=True)
        self.reference = QLabel()
        self.reference.setObjectName("supportReference")
        self.reference.setWordWrap(True)
        self.reference.setAccessibleName("Support reference")
        self.reference.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.money = QCheckBox("Show &£")
        self.money.setAccessibleName("Show £")
        self.money.setToolTip("Show payments in £ to the person you are sharing your screen with")
        self.money.toggled.connect(self.show_money_changed)
        self.stop = QPushButton("&Stop sharing")
        self.stop.setAccessibleName("Stop sharing")
        self.stop.setToolTip("Turn screen-share mode off (Ctrl+Shift+S)")
        self.stop.clicked.connect(self.stop_requested)
        # One line (two at large text sizes), so the page keeps its room; what is hidden is in the tooltip.
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.reference, 1)
        layout.addWidget(self.money)
        layout.addWidget(self.stop)
        self.hide()

    def show_state(self, state: ScreenShare, *, may_see_money: bool) -> None:
        """Show ``state`` (hidden when sharing is off); "Show £" only for people who may see money."""
        self.setVisible(state.on)
        self.reference.setText(f"Support reference: {state.reference}" if state.on else "")
        self.reference.setToolTip("Give this to the help desk, so they can find what you see in their notes")
        self.money.setVisible(may_see_money)
        self.money.blockSignals(True)
        self.money.setChecked(state.show_money)
        self.money.blockSignals(False)
        hidden = HIDDEN + (MONEY_HIDDEN if may_see_money and not state.show_money else "")
        self.setToolTip(hidden)
        self.setAccessibleDescription(hidden)
