"""app.preload: heavy imports done ahead, then kept out of the garbage collector's scans."""

from __future__ import annotations

import subprocess
import sys


def test_numpy_is_imported_and_what_exists_then_is_frozen_out_of_collections() -> None:
    code = ("import gc, sys; from app import preload; before = gc.get_freeze_count(); "
            "preload.numpy(); print('numpy' in sys.modules, before == 0, gc.get_freeze_count() > 10000)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True"]


def test_charting_imports_the_agg_drawing_modules_and_no_qt_canvas() -> None:
    code = ("import sys; from app import preload; preload.charting(); "
            "print(all(n in sys.modules for n in preload.CHARTING), "
            "'matplotlib.backends.backend_qtagg' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]


def test_qt_types_makes_the_widget_classes_before_any_is_met() -> None:
    # QHeaderView is met only through QTableView.horizontalHeader(): PySide6 makes its class lazily.
    code = ("import sys; import PySide6.QtWidgets as w; lazy = 'QHeaderView' not in vars(w); "
            "from app import preload; preload.qt_types(); print(lazy, 'QHeaderView' in vars(w))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]
