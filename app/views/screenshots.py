"""``--screenshot DIR``: a PNG of every main view (income.png among them: the income statement), for
checking the screens and for the help desk, of
the Add user dialog filled in (add-user.png), of the Users page in screen-share mode
(screen-share.png), and of the dashboard's "What needs doing" panel (needs-doing.png)."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.services import screen_share, tasks
from app.services.rules import ACHIEVEMENT_ENTRY, FINANCE_VIEW, VIEW
from app.services.user_admin import NewUser
from app.views.main_window import SECTIONS, MainWindow

EXAMPLE_USER = NewUser("robin.lee@nhs.net", "robin.lee@nhs.net", "Robin", "Lee", "01632 960002",
                       "07700 900123", (VIEW, FINANCE_VIEW, ACHIEVEMENT_ENTRY))
SETTLE_SECONDS = 0.3  # layout timers (column sharing, row fitting) run within this after a page is shown


def _settle() -> None:
    """Let the page's loads arrive and its layout timers fire before it is photographed."""
    tasks.wait_for_idle(10.0)
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    tasks.wait_for_idle(10.0)
    QApplication.processEvents()


def save_all(window: MainWindow, folder: Path) -> list[Path]:
    """Show each section in turn (each page is built and loaded when first shown) and save the whole
    window as ``folder/<section>.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    _settle()  # pages reload after a sync: let them finish first
    saved = []
    for key, _title in SECTIONS:
        if key in window.hidden:
            continue  # not listed for the signed-in roles
        window.show_section(key)
        _settle()
        path = folder / f"{key}.png"
        if not window.grab().save(str(path)):
            raise OSError(f"could not save {path}")
        saved.append(path)
    saved.append(save_add_user(window, folder))
    saved.append(save_screen_share(window, folder))
    saved.append(save_needs_doing(window, folder))
    window.show_section(SECTIONS[0][0])
    return saved


def save_add_user(window: MainWindow, folder: Path) -> Path:
    """The Add user dialog as the Users page opens it, filled in with an example person."""
    from app.views.user_dialogs import AddUserDialog
    from app.views.users_page import UsersPage

    page = window.pages["users"]
    dialog = page.add_user(EXAMPLE_USER) if isinstance(page, UsersPage) else None
    if dialog is None:  # not a User Administrator here: the dialog on its own
        dialog = AddUserDialog([], form=EXAMPLE_USER, parent=window)
        dialog.show()
    _settle()
    path = folder / "add-user.png"
    try:
        if not dialog.grab().save(str(path)):
            raise OSError(f"could not save {path}")
    finally:
        dialog.reject()
    return path


def save_screen_share(window: MainWindow, folder: Path) -> Path:
    """The Users page with screen-share mode on (its banner, masked emails and phones, its text size)."""
    window.show_section("users")
    was_on = screen_share.active()
    if not was_on:
        window.toggle_screen_share()
    _settle()
    path = folder / "screen-share.png"
    try:
        if not window.grab().save(str(path)):
            raise OSError(f"could not save {path}")
    finally:
        if not was_on:
            window.toggle_screen_share()
            _settle()
    return path


def save_needs_doing(window: MainWindow, folder: Path) -> Path:
    """The dashboard's "What needs doing" panel on its own."""
    from app.views.dashboard_page import DashboardPage

    window.show_section("dashboard")
    _settle()
    page = window.pages["dashboard"]
    path = folder / "needs-doing.png"
    panel = page.needs_doing if isinstance(page, DashboardPage) else None
    shown = panel if panel is not None and panel.isVisible() else window  # one line beside the heading
    if not shown.grab().save(str(path)):
        raise OSError(f"could not save {path}")
    return path
