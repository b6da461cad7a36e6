"""app.views.snapshot_window: a window described and drawn again shows the same texts in the same places;
the live window takes the picture's place once it is ready; the keeper stores and forgets the picture."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QTableView,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import paths
from app.services import snapshot
from app.views.snapshot_window import SnapshotKeeper, SnapshotWindow, capture, on_screen, swap_in

SERVER, EMAIL = "https://cqrs.example", "practice.manager@nhs.net"


def a_window(qtbot) -> QMainWindow:
    window = QMainWindow()
    body = QWidget()
    layout = QVBoxLayout(body)
    heading = QLabel("Offers")
    heading.setObjectName("pageHeading")
    banner = QLabel("Signed out.")
    banner.setObjectName("messageBanner")  # a message of this session: not drawn next time
    top = QHBoxLayout()
    service = QComboBox()
    service.addItems(["QOF 2025/26", "Vaccinations"])
    service.setCurrentIndex(1)
    top.addWidget(QLabel("&Service:", buddy=service))
    top.addWidget(service)
    top.addWidget(QPushButton("Sync now (F5)"))
    tabs = QTabWidget()
    tabs.addTab(QWidget(), "&Worklist")
    tabs.addTab(QWidget(), "C&harts")
    model = QStandardItemModel(40, 2)
    model.setHorizontalHeaderLabels(["Service", "£ unclaimed"])
    for row in range(40):
        model.setItem(row, 0, QStandardItem(f"Service {row}"))
        money = QStandardItem(f"£{row},000.00")
        money.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        model.setItem(row, 1, money)
    model.item(2, 0).setBackground(Qt.GlobalColor.yellow)
    table = QTableView()
    table.setModel(model)
    table.setColumnWidth(0, 180)
    for widget in (heading, banner):
        layout.addWidget(widget)
    layout.addLayout(top)
    layout.addWidget(tabs)
    layout.addWidget(table, 1)
    window.setCentralWidget(body)
    window.resize(700, 500)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_a_described_window_is_drawn_with_the_same_texts_in_the_same_places(qtbot) -> None:
    window = a_window(qtbot)
    described = capture(window)
    assert "Signed out." not in [item.get("text") for item in described]
    shot = snapshot.Snapshot(SERVER, EMAIL, "offers", "CQRS Desktop", (window.width(), window.height()), 9.0,
                             described)
    drawn = SnapshotWindow(shot)
    qtbot.addWidget(drawn)
    drawn.show()
    qtbot.waitExposed(drawn)
    assert drawn.size() == window.size()

    (heading,) = [label for label in drawn.findChildren(QLabel) if label.objectName() == "pageHeading"]
    assert heading.text() == "Offers"
    drawn_at = heading.mapTo(drawn, heading.rect().topLeft())
    (original,) = [label for label in window.findChildren(QLabel) if label.objectName() == "pageHeading"]
    assert drawn_at == original.mapTo(window, original.rect().topLeft())
    assert "Signed out." not in [label.text() for label in drawn.findChildren(QLabel)]
    assert [combo.currentText() for combo in drawn.findChildren(QComboBox)] == ["Vaccinations"]
    assert [button.text() for button in drawn.findChildren(QPushButton)] == ["Sync now (F5)"]
    (tabs,) = drawn.findChildren(QTabWidget)
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["&Worklist", "C&harts"]

    (table,) = drawn.findChildren(QTableWidget)
    view = window.findChild(QTableView)
    assert [table.horizontalHeaderItem(c).text() for c in range(2)] == ["Service", "£ unclaimed"]
    assert table.columnWidth(0) == 180
    visible = view.rowAt(view.viewport().height() - 1) + 1
    assert 0 < table.rowCount() == visible < 40  # the rows in view, not the whole model
    assert table.item(3, 1).text() == "£3,000.00"
    assert table.item(3, 1).textAlignment() == (Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    assert table.item(2, 0).background().color().name() == "#ffff00"
    assert table.geometry().size() == view.size()


class Live(QMainWindow):
    ready = Signal()


def test_the_live_window_takes_the_pictures_place_once_ready(qtbot) -> None:
    shot = snapshot.Snapshot(SERVER, EMAIL, "offers", "CQRS Desktop", (640, 480), 9.0, [])
    picture = SnapshotWindow(shot)
    picture.show()
    picture.move(40, 30)
    live = Live()
    qtbot.addWidget(live)
    swap_in(live, picture, live.ready)
    assert live.isVisible() and not on_screen(live)  # loading as a shown window does, but unseen
    assert picture.isVisible()
    size = picture.size()
    with qtbot.waitSignal(picture.destroyed, timeout=2000):
        live.ready.emit()
    assert on_screen(live)
    assert live.size() == size


class Hub(QObject):
    changed = Signal()


def test_the_keeper_stores_the_window_for_its_person_and_forgets_it_when_nobody_is_signed_in(
        qtbot, app_data_dir: Path) -> None:
    window = a_window(qtbot)
    window.profile = SimpleNamespace(server_url=SERVER, email=EMAIL)  # what MainWindow.profile carries
    hub = Hub()
    keeper = SnapshotKeeper(window, [hub.changed], lambda op: op(), snapshot.save, snapshot.clear,
                            lambda: False, lambda: "offers")
    hub.changed.emit()
    assert keeper.timer.isActive()  # saved a moment later, after the burst of reloads
    keeper.timer.setInterval(1)
    hub.changed.emit()
    qtbot.waitUntil(lambda: paths.snapshot_path().exists(), timeout=2000)
    stored = snapshot.load((SERVER, EMAIL))
    assert stored is not None and stored.section == "offers"
    assert "Offers" in [item.get("text") for item in stored.widgets]

    window.profile = None
    keeper.save_now()
    assert snapshot.load((SERVER, EMAIL)) is None
    assert not paths.snapshot_path().exists()
