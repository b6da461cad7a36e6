"""Where the shipped files (rules, help pages, icons, styles, demo figures) are: ``resources/`` beside the
packages when run from source, or inside the folder PyInstaller unpacks a bundle into.

Pure (no Qt, database or network): the desktop client, its headless commands and the central service
all find their files through it.
"""

from __future__ import annotations

import sys
from pathlib import Path

FOLDER = "resources"
_SOURCE_ROOT = Path(__file__).resolve().parents[1]  # the checkout (or site-packages' parent of app/)


def bundle_dir() -> Path | None:
    """The folder a frozen build keeps its files in (PyInstaller's ``sys._MEIPASS``); None from source."""
    if not getattr(sys, "frozen", False):
        return None
    unpacked = getattr(sys, "_MEIPASS", None)
    # Without _MEIPASS (another freezer) the files sit beside the executable.
    return Path(unpacked) if unpacked else Path(sys.executable).resolve().parent


def root() -> Path:
    """The ``resources`` folder of this copy of the app, from source or from the bundle."""
    base = bundle_dir()
    return (base if base is not None else _SOURCE_ROOT) / FOLDER


def path(*parts: str) -> Path:
    """A file or folder under ``resources``, e.g. ``path("help")`` or ``path("styles", "app.qss")``."""
    return root().joinpath(*parts)
