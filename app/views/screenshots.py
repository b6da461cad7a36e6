"""``--screenshot DIR``: a PNG of every main view, for checking the screens and for the help desk."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.services import tasks
from app.views.main_window import SECTIONS, MainWindow


def save_all(window: MainWindow, folder: Path) -> list[Path]:
    """Show each section in turn and save the whole window as ``folder/<section>.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    tasks.wait_for_idle(10.0)  # pages reload after a sync: let them finish first
    saved = []
    for key, _title in SECTIONS:
        window.show_section(key)
        QApplication.processEvents()
        path = folder / f"{key}.png"
        if not window.grab().save(str(path)):
            raise OSError(f"could not save {path}")
        saved.append(path)
    window.show_section(SECTIONS[0][0])
    return saved
