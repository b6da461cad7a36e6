"""The "Export CSV…" of every record table: the columns shown (already chosen for the person's role, so
no £ column without Finance View), the rows as on screen (sorted and filtered), their raw values rather
than the texts shown (app.services.csv_export words them for a spreadsheet). Written on a worker.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton, QWidget

from app.services import format as fmt
from app.services import tasks

if TYPE_CHECKING:
    from app.views.record_table import RecordTable

EXPORT_TEXT = "Export CSV…"


def table_contents(table: RecordTable[Any]) -> tuple[list[str], list[tuple[Any, ...]], set[int]]:
    """The headers, the raw values of the rows on screen in their order, and the money columns."""
    model, proxy = table.model, table.proxy
    columns, values = model.columns, model.prepared.values
    rows = [values[proxy.mapToSource(proxy.index(row, 0)).row()] for row in range(proxy.rowCount())]
    money = {index for index, column in enumerate(columns) if column.display is fmt.money}
    return [column.title for column in columns], rows, money


def suggested_name(name: str, today: date) -> str:
    """e.g. "income 2026-12-01.csv": the table's name and the day, safe as a file name."""
    safe = re.sub(r"[^\w\- ]+", "", name).strip() or "table"
    return f"{safe} {today.isoformat()}.csv"


class TableExport:
    """The export button and action of one table, and the line saying where the file went."""

    def __init__(self, table: RecordTable[Any], name: str) -> None:
        self._table = table
        self._name = name
        self.button = QPushButton(EXPORT_TEXT, table)
        self.button.setAccessibleName(f"Export {name} as CSV")
        self.button.setToolTip("Save the rows shown as a CSV file for Excel")
        self.button.clicked.connect(lambda: self.choose_and_export())
        self.action = QAction(EXPORT_TEXT, table)
        self.action.triggered.connect(lambda: self.choose_and_export())
        table.view.addAction(self.action)  # also on the table's right-click menu
        table.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.note = QLabel(table)
        self.note.setWordWrap(True)
        self.note.setAccessibleName(f"{name} export")
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.hide()

    def set_available(self, available: bool) -> None:
        self.button.setVisible(available)
        self.action.setEnabled(available)

    def choose_and_export(self, parent: QWidget | None = None) -> None:
        """Ask where to save (the Documents folder first), then write the file in the background."""
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        suggested = str(Path(folder or Path.home()) / suggested_name(self._name, date.today()))
        path, _filter = QFileDialog.getSaveFileName(parent or self._table.window(), "Export CSV", suggested,
                                                    "CSV files (*.csv)")
        if path:
            self.export(path if path.lower().endswith(".csv") else f"{path}.csv")

    def export(self, path: str | Path, done: Callable[[Path], None] | None = None) -> None:
        """Write the rows on screen to ``path`` on a worker, then say where they went (or why not)."""
        from app.services.csv_export import write_csv

        headers, rows, money = table_contents(self._table)
        target = Path(path)

        def saved(count: int) -> None:
            self._say(f"Saved {count} row{'' if count == 1 else 's'} to {target}. Open it in Excel, or "
                      "attach it to an email.")
            if done is not None:
                done(target)

        def failed(error: BaseException) -> None:
            why = error.strerror if isinstance(error, OSError) and error.strerror else \
                tasks.describe_error(error)
            self._say(f"The CSV file was not saved ({why}). Try again, choosing another folder such as "
                      "your Documents folder.")

        tasks.run(lambda: write_csv(target, headers, rows, money=money), saved, failed)

    def _say(self, text: str) -> None:
        self.note.setText(text)
        self.note.show()
