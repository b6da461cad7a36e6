"""Screen-share mode in the main window: the toggle (Ctrl+Shift+S), the banner's state, the text size,
£ hidden through the pages' access, and the signed-in person's email masked where the window shows it.

The window mixes this in; the mode itself is held by app.services.screen_share and announced on the hub.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QSizePolicy, QToolButton

from app import settings
from app.services import screen_share
from app.services.screen_share import ScreenShare
from app.views import fonts
from app.views.every_window_action import in_every_window

if TYPE_CHECKING:
    from app.services.profile import PracticeAccess
    from app.views.help_page import InstallationFacts


class ScreenShareMixin:
    """Needs the window's store, profile, pages, status bar, account menu and banner (see MainWindow)."""

    store: settings.Settings
    _own_access: PracticeAccess | None
    _access: PracticeAccess | None

    def _watch_text_sizes(self) -> None:
        # The text size that screen-share mode replaces, and what it sets instead (both follow the settings).
        self._own_scale = self.store.get(settings.TEXT_SCALE)
        self._share_scale = self.store.get(settings.SCREEN_SHARE_TEXT_SCALE)
        self._sharing_scale = False  # the screen-share text size is the one applied
        self.store.watch(settings.TEXT_SCALE, self._own_scale_changed)
        self.store.watch(settings.SCREEN_SHARE_TEXT_SCALE, self._share_scale_changed)

    def toggle_screen_share(self) -> None:
        screen_share.toggle(self._own_access.ods if self._own_access else None)

    def _screen_share_changed(self, state: ScreenShare) -> None:
        """Mask (or unmask) everything shown, hide £ unless "Show £" was chosen, and change the text size."""
        self.screen_share_action.setChecked(state.on)
        own = self._own_access
        self.screen_share_banner.show_state(state, may_see_money=own is not None and own.sees_money)
        if self._sharing_scale != state.on:
            share, mine = self._share_scale, self._own_scale
            fonts.scale_text(share if state.on else mine, current=mine if state.on else share)
            self._sharing_scale = state.on
        self._fill_account_menu()
        self._show_who()
        if self._facts is not None:
            self.show_facts(self._facts)
        # Every built page reads again: £ shown or hidden, and its texts masked or not as they are filled.
        self._access = self._as_shown(own)
        if self._shown_profile:
            for page in self.pages.built().values():
                page.show_practice(self._access)

    def _own_scale_changed(self, scale: float) -> None:
        # The settings page applies the change as if no screen-share size were on: while one is, undo it.
        before, self._own_scale = self._own_scale, scale
        if self._sharing_scale:
            fonts.scale_text(before, current=scale)

    def _share_scale_changed(self, scale: float) -> None:
        before, self._share_scale = self._share_scale, scale
        if self._sharing_scale:
            fonts.scale_text(scale, current=before)

    def _as_shown(self, access: PracticeAccess | None) -> PracticeAccess | None:
        """``access`` with £ hidden while sharing the screen (unless "Show £" was chosen)."""
        if access is not None and screen_share.hides_money() and access.sees_money:
            return replace(access, money_hidden=True)
        return access

    def _show_who(self) -> None:
        profile, access = self.profile, self._own_access
        self.status.set_who(screen_share.shown(profile.display_name) if profile else None,
                            access.name if access else None, access.ods if access else None)

    def _shown_facts(self, facts: InstallationFacts) -> InstallationFacts:
        return replace(facts, signed_in_as=screen_share.shown(facts.signed_in_as))

    def _screen_share_toggle(self) -> QToolButton:
        # In every window of the app, modal dialogs included: a help-desk call often starts with one open.
        self.screen_share_action = QAction("Screen share", self)
        self.screen_share_action.setCheckable(True)
        self.screen_share_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        in_every_window(self.screen_share_action)
        self.screen_share_action.setToolTip("Screen-share mode (Ctrl+Shift+S): hide emails, phone numbers "
                                            "and £, and show a support reference for the help desk")
        self.screen_share_action.triggered.connect(self.toggle_screen_share)
        self.addAction(self.screen_share_action)  # type: ignore[attr-defined]
        self.screen_share_button = QToolButton()
        self.screen_share_button.setDefaultAction(self.screen_share_action)
        self.screen_share_button.setAccessibleName("Screen-share mode")
        self.screen_share_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        return self.screen_share_button

