"""``--screenshot DIR``: a PNG of every main view, for checking the screens and for the help desk."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.services import tasks
from app.views.main_window import SECTIONS, MainWindow

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
        window.show_section(key)
        _settle()
        path = folder / f"{key}.png"
        if not window.grab().save(str(path)):
            raise OSError(f"could not save {path}")
        saved.append(path)
    window.show_section(SECTIONS[0][0])
    return saved
