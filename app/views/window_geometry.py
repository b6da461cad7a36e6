"""The main window's position and size, kept in the settings between runs."""

from __future__ import annotations

from PySide6.QtCore import QByteArray

from app import settings

DEFAULT_SIZE = (1280, 800)


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
