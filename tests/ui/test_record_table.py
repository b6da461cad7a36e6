"""app.views.record_table: records in a sortable, filterable table, with a message when there are none."""

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel, QLineEdit

from app.services import format as fmt
from app.views.record_table import Column, RecordSortProxy, RecordTable, RecordTableModel, field, sort_key

ASTHMA = {"service": {"name": "QOF: Asthma"}, "date": date(2026, 3, 31), "points": "412.43", "code": "AST"}
HYPERTENSION = {"service": {"name": "QOF: Hypertension"}, "date": date(2025, 12, 31),
                "points": Fraction(1033, 10), "code": "HYP"}
MMR = {"service": {"name": "Childhood immunisations"}, "date": None, "points": None, "code": "MMR"}
LD = {"service": {"name": "Learning disability checks"}, "date": date(2026, 1, 15), "points": "9.5",
      "code": "LD"}
DIABETES = {"service": {"name": "QOF: Diabetes"}, "date": date(2026, 2, 28), "points": Decimal("75.12"),
            "code": "DM"}
ROWS = [ASTHMA, HYPERTENSION, MMR, LD, DIABETES]
SERVICE, DATE, POINTS = 0, 1, 2


def columns() -> list[Column]:
    return [
        Column("Service", field("service", "name"), tooltip=lambda row: f"Code {row['code']}"),
        Column("Achievement date", field("date"), fmt.uk_date),
        Column("Points", field("points"), fmt.points, numeric=True),
    ]


@pytest.fixture
def table(qtbot) -> RecordTable:
    widget = RecordTable(columns(), name="results", empty_message="No results yet.")
    qtbot.addWidget(widget)
    widget.resize(600, 300)
    widget.show()
    return widget


def shown(table: RecordTable, column: int = SERVICE) -> list[str]:
    proxy = table.proxy
    return [proxy.index(row, column).data() for row in range(proxy.rowCount())]


def filter_box(table: RecordTable) -> QLineEdit:
    box = table.findChild(QLineEdit)
    assert box is not None
    return box


def message(table: RecordTable) -> QLabel:
    label = table.findChild(QLabel, "emptyMessage")
    assert label is not None
    return label


def test_field_reads_nested_values_and_gives_none_when_missing() -> None:
    assert field("service", "name")(ASTHMA) == "QOF: Asthma"
    assert field("code")(ASTHMA) == "AST"
    assert field("service", "missing")(ASTHMA) is None
    assert field("nope", "name")(ASTHMA) is None
    assert field("code", "name")(ASTHMA) is None  # "AST" is not a mapping


def test_column_display_defaults_to_blank_for_none_and_str_otherwise() -> None:
    column = Column("Code", field("code"))
    assert column.display(None) == "" and column.display(5) == "5" and column.numeric is False


def test_the_model_and_proxy_pass_the_model_testers(qtmodeltester, capfd) -> None:
    model = RecordTableModel(columns())
    model.set_rows(ROWS)
    qtmodeltester.check(model)  # Qt's own tester: it reports problems as "FAIL!" warnings on stderr
    model.set_rows(ROWS[:2])
    model.set_columns(columns()[:1])
    model.set_rows([])
    model.set_columns(columns())
    model.set_rows(ROWS)
    assert "FAIL!" not in capfd.readouterr().err
    qtmodeltester.check(model, force_py=True)
    proxy = RecordSortProxy()
    proxy.setSourceModel(model)
    proxy.sort(POINTS, Qt.SortOrder.AscendingOrder)
    qtmodeltester.check(proxy, force_py=True)


def test_model_roles() -> None:
    model = RecordTableModel(columns())
    model.set_rows(ROWS)
    assert (model.rowCount(), model.columnCount()) == (5, 3)
    assert model.index(1, POINTS).data() == "103.30"
    assert model.index(2, POINTS).data() == "—"
    assert model.index(0, DATE).data() == "31 Mar 2026"
    assert model.index(0, SERVICE).data(Qt.ItemDataRole.ToolTipRole) == "Code AST"
    assert model.index(0, POINTS).data(Qt.ItemDataRole.ToolTipRole) is None
    assert model.index(1, POINTS).data(RecordTableModel.SORT_ROLE) == Fraction(1033, 10)
    assert model.index(1, DATE).data(RecordTableModel.ROW_ROLE) == HYPERTENSION
    assert model.row(1) is HYPERTENSION
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable


def test_numeric_columns_are_right_aligned_and_so_are_their_headers() -> None:
    model = RecordTableModel(columns())
    model.set_rows(ROWS)
    align = Qt.ItemDataRole.TextAlignmentRole
    assert model.index(0, POINTS).data(align) & Qt.AlignmentFlag.AlignRight
    assert model.index(0, SERVICE).data(align) & Qt.AlignmentFlag.AlignLeft
    assert model.headerData(POINTS, Qt.Orientation.Horizontal, align) & Qt.AlignmentFlag.AlignRight


def test_headers_have_titles_for_sight_and_for_screen_readers() -> None:
    model = RecordTableModel(columns())
    horizontal = Qt.Orientation.Horizontal
    assert [model.headerData(i, horizontal) for i in range(3)] == ["Service", "Achievement date", "Points"]
    assert model.headerData(DATE, horizontal, Qt.ItemDataRole.AccessibleTextRole) == "Achievement date"
    assert model.headerData(0, Qt.Orientation.Vertical) is None


def test_set_columns_keeps_the_rows() -> None:
    model = RecordTableModel(columns())
    model.set_rows(ROWS)
    model.set_columns([Column("Code", field("code"))])
    assert model.columnCount() == 1 and model.index(3, 0).data() == "LD"


def test_rows_start_in_the_order_given(table) -> None:
    table.set_rows(ROWS)
    assert table.proxy.sortColumn() == -1
    assert shown(table, POINTS) == ["412.43", "103.30", "—", "9.50", "75.12"]


def test_numbers_sort_numerically_with_blanks_last_both_ways(table) -> None:
    table.set_rows(ROWS)
    table.view.sortByColumn(POINTS, Qt.SortOrder.AscendingOrder)
    assert shown(table, POINTS) == ["9.50", "75.12", "103.30", "412.43", "—"]
    table.view.sortByColumn(POINTS, Qt.SortOrder.DescendingOrder)
    assert shown(table, POINTS) == ["412.43", "103.30", "75.12", "9.50", "—"]


def test_dates_sort_by_date_not_by_their_text(table) -> None:
    table.set_rows(ROWS)
    table.view.sortByColumn(DATE, Qt.SortOrder.AscendingOrder)
    assert shown(table, DATE) == ["31 Dec 2025", "15 Jan 2026", "28 Feb 2026", "31 Mar 2026", "—"]


def test_text_sorts_ignoring_case(table) -> None:
    rows = [{"service": {"name": name}, "code": "X"} for name in ("beta", "Alpha", "gamma", "Beta")]
    table.set_rows(rows)
    table.view.sortByColumn(SERVICE, Qt.SortOrder.AscendingOrder)
    assert shown(table) == ["Alpha", "Beta", "beta", "gamma"]


def test_sort_key_ranks_numbers_then_dates_then_text_then_anything_else() -> None:
    ordered = [2, Fraction(19, 2), Decimal("9.75"), "10", datetime(2026, 1, 1, 12, tzinfo=UTC),
               date(2026, 1, 2), datetime(2026, 1, 2, 0, 30), "A", "b", ("tuple",)]
    assert sorted(reversed(ordered), key=sort_key) == ordered
    assert sort_key(float("nan"))[0] == sort_key(("tuple",))[0]  # not a number, so not among the numbers


def test_the_sort_is_kept_when_rows_are_replaced(table) -> None:
    table.set_rows(ROWS)
    table.view.sortByColumn(POINTS, Qt.SortOrder.DescendingOrder)
    table.set_rows([LD, ASTHMA, {**DIABETES, "points": "500"}])
    assert table.proxy.sortColumn() == POINTS
    assert shown(table, POINTS) == ["500.00", "412.43", "9.50"]


def test_a_first_click_on_a_header_sorts_ascending(qtbot, table) -> None:
    table.set_rows(ROWS)
    header = table.view.horizontalHeader()
    x = header.sectionViewportPosition(POINTS) + header.sectionSize(POINTS) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    assert table.proxy.sortColumn() == POINTS and table.proxy.sortOrder() == Qt.SortOrder.AscendingOrder
    assert shown(table, POINTS)[0] == "9.50"


def test_the_filter_matches_displayed_text_in_any_column_ignoring_case(qtbot, table) -> None:
    table.set_rows(ROWS)
    box = filter_box(table)
    qtbot.keyClicks(box, "qof")
    assert shown(table) == ["QOF: Asthma", "QOF: Hypertension", "QOF: Diabetes"]
    box.setText("31 MAR")  # the date as shown, not as stored
    assert shown(table) == ["QOF: Asthma"]
    box.setText("2026-03")
    assert shown(table) == []
    box.setText("103.30")
    assert shown(table) == ["QOF: Hypertension"]
    box.clear()
    assert len(shown(table)) == 5


def test_a_filter_that_matches_nothing_says_so(table) -> None:
    table.set_rows(ROWS)
    filter_box(table).setText("zzz")
    assert not table.view.isVisible()
    assert message(table).isVisible() and message(table).text() == "Nothing matches “zzz”."
    filter_box(table).setText("")
    assert table.view.isVisible() and not message(table).isVisible()


def test_no_rows_shows_the_message_instead_of_the_table(table) -> None:
    assert message(table).isVisible() and message(table).text() == "No results yet."
    assert message(table).wordWrap()
    assert not table.view.isVisible() and not filter_box(table).isVisible()
    table.set_rows(ROWS)
    assert table.view.isVisible() and filter_box(table).isVisible() and not message(table).isVisible()
    table.set_empty_message("Sign in to see your practice's records.")
    table.set_rows([])
    assert not table.view.isVisible()
    assert message(table).isVisible() and message(table).text() == "Sign in to see your practice's records."


def test_accessible_names(table) -> None:
    assert table.view.accessibleName() == "results table"
    assert filter_box(table).accessibleName() == "Filter results"
    assert filter_box(table).placeholderText() == "Filter…"


def test_view_settings(table) -> None:
    view = table.view
    assert view.isSortingEnabled() and view.alternatingRowColors() and not view.wordWrap()
    assert view.selectionBehavior() == QAbstractItemView.SelectionBehavior.SelectRows
    assert view.selectionMode() == QAbstractItemView.SelectionMode.SingleSelection
    assert view.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    assert view.verticalHeader().isHidden() and view.horizontalHeader().stretchLastSection()
    assert view.focusPolicy() & Qt.FocusPolicy.TabFocus


def test_selected_row_follows_the_sorted_view(table) -> None:
    table.set_rows(ROWS)
    assert table.selected_row() is None
    table.view.sortByColumn(POINTS, Qt.SortOrder.AscendingOrder)
    table.view.selectRow(0)
    assert table.selected_row() is LD


def test_enter_activates_the_current_row(qtbot, table) -> None:
    table.set_rows(ROWS)
    table.view.sortByColumn(POINTS, Qt.SortOrder.DescendingOrder)
    table.view.setFocus()
    table.view.setCurrentIndex(table.proxy.index(1, 0))
    with qtbot.waitSignal(table.row_activated, timeout=1000) as blocker:
        qtbot.keyClick(table.view, Qt.Key.Key_Return)
    assert blocker.args == [HYPERTENSION]
    assert blocker.args[0] is HYPERTENSION  # the same dict, not a copy


def test_double_click_activates_the_row(qtbot, table) -> None:
    table.set_rows(ROWS)
    centre = table.view.visualRect(table.proxy.index(3, SERVICE)).center()
    viewport, activated = table.view.viewport(), []
    table.row_activated.connect(activated.append)
    # A real double-click starts with a click; QTest's double-click alone skips that first release.
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=centre)
    assert activated == [] and table.selected_row() is LD  # a single click only selects
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=centre)
    assert activated == [LD]
