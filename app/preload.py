"""Heavy imports done on a worker before they are needed, then kept out of the garbage collector's way.

A full garbage collection walks every object the process holds: once SQLAlchemy, numpy and matplotlib
are loaded that took 55-65 ms, in one stretch that holds the interpreter lock, whichever thread
triggers it, so the GUI thread stalls with it. ``gc.freeze()`` after each import moves what exists then
(modules, classes, caches: long-lived by nature) out of the collector's scans, so later collections
only walk what was made since.
"""

from __future__ import annotations

import gc
import importlib

# What matplotlib's Agg drawing of the charts needs (app.views.charts imports them inside functions).
CHARTING = ("matplotlib.figure", "matplotlib.backends.backend_agg", "matplotlib.dates", "matplotlib.lines",
            "matplotlib.patches", "matplotlib.ticker", "matplotlib.transforms")


def settle_heap() -> None:
    """Keep everything alive now out of later garbage collections' scans."""
    gc.freeze()


def qt_types() -> None:
    """Create PySide6's Python classes for Qt's core, GUI and widget types now, on a worker.

    PySide6 makes each class the first time Python meets an object of it (about 0.5 ms each): a page's
    first show met dozens (its header view, selection model, scroll bars...), which added 20-30 ms to it
    on the GUI thread. Making a class creates no Qt object, so it is safe on any thread.
    """
    from PySide6 import QtCore, QtGui, QtWidgets

    for module in (QtCore, QtGui, QtWidgets):
        for name in dir(module):
            getattr(module, name)


def numpy() -> None:
    """Import numpy (which the charts need) before the live window exists.

    Importing it beside a live window stalled the GUI thread for 90-120 ms when a chart was first opened;
    the start-up snapshot on screen meanwhile is plain Qt widgets, which repaint without Python.
    """
    importlib.import_module("numpy")
    settle_heap()


def charting() -> None:
    """Import matplotlib's drawing modules and do the font lookup the first drawing would do (~0.4 s)."""
    for name in CHARTING:
        importlib.import_module(name)
    from matplotlib import font_manager

    font_manager.findfont(font_manager.FontProperties())
    settle_heap()
