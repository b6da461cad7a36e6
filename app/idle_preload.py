"""matplotlib imported in the background at a quiet moment after start-up, so the first Charts tab does
not wait for it."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from app import preload
from app.services import tasks

IDLE_CHECK_MS = 250  # how often to look for a quiet moment to import matplotlib
QUIET_LOOKS = 12  # that many looks in a row with no task waiting: 3 s of quiet
MAX_LOOKS = 480  # two minutes


def preload_charts_when_idle(quiet: int = 0, looks: int = 0) -> None:
    """Import matplotlib in the background once no task has been waiting for a while (the first sync's
    pages have loaded and the person is reading): at most a couple of minutes after start-up.

    The import is ~0.4 s of Python on a worker. It shares the interpreter with the GUI thread, and GUI
    work running beside it (a page being shown) took over 50 ms, so it waits for a quiet moment. A chart
    opened before that imports matplotlib itself, on its drawing worker.
    """
    quiet = 0 if tasks.runner().pending else quiet + 1
    if quiet >= QUIET_LOOKS or looks >= MAX_LOOKS:
        _preload_charts()
    else:
        QTimer.singleShot(IDLE_CHECK_MS, lambda: preload_charts_when_idle(quiet, looks + 1))


def _preload_charts() -> None:
    """Import what matplotlib's Agg drawing needs on a network worker once the window is up, so the
    first Charts tab does not wait for it. Importing a module creates no widget: safe off the GUI."""
    tasks.run(preload.charting, kind="net")
