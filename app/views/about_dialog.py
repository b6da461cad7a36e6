"""About CQRS Desktop: the versions in use and the licence of each component the app ships with (read
from the installed packages' metadata on the task runner, so opening it never waits on the disk)."""

from __future__ import annotations

import platform
import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services import tasks
from app.services.licences import Component, shipped_components
from app.version import app_version

DEFAULT_SIZE = (720, 560)


def versions_text() -> str:
    return (f"Version {app_version()}\nQt {qVersion()} with PySide6 {pyside_version}, "
            f"Python {sys.version.split()[0]}\n{platform.system()} {platform.release()}")


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About CQRS Desktop")
        title = QLabel("CQRS Desktop")
        title.setObjectName("pageHeading")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        purpose = QLabel("Achievement and payment for QOF, enhanced services and vaccinations, for GP "
                         "practices in England.")
        purpose.setWordWrap(True)
        self.versions = QLabel(versions_text())
        self.versions.setAccessibleName("Versions")
        self.versions.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        heading = QLabel("It ships with these components, each under its own licence:")
        heading.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setAccessibleName("Components and licences")
        self.table.setHorizontalHeaderLabels(["Component", "Version", "Licence"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.status = QLabel("Reading the list of components…")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (title, purpose, self.versions, heading, self.table, self.status, buttons):
            layout.addWidget(widget, 1 if widget is self.table else 0)
        # Larger with larger text (the list keeps a dozen rows in view), within the screen.
        screen, metrics = self.screen().availableGeometry(), self.fontMetrics()
        self.resize(min(max(DEFAULT_SIZE[0], 80 * metrics.averageCharWidth()), screen.width() - 40),
                    min(max(DEFAULT_SIZE[1], 30 * metrics.height()), screen.height() - 60))
        qt = qVersion()
        tasks.run(lambda: shipped_components(qt), self.show_components, self._failed)

    def show_components(self, components: list[Component]) -> None:
        self.table.setRowCount(len(components))
        for row, component in enumerate(components):
            for column, text in enumerate((component.name, component.version, component.licence)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        self.status.setText(f"{len(components)} components.")

    def _failed(self, error: BaseException) -> None:
        self.status.setText(f"The list of components could not be read ({tasks.describe_error(error)}).")
