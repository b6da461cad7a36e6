"""app.views.record_table: records in a sortable, filterable table, with a message when there are none."""

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel, QLineEdit

from app.services import format as fmt
from app.views.record_table import (
    Column,
    Prepared,
    RecordSortProxy,
    RecordTable,
    RecordTableModel,
    attr,
    field,
    prepare,
    sort_key,
)

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


# --- any row type: dataclasses through attribute getters, prepared on a worker ---------------------------

@dataclass(frozen=True)
class Place:
    name: str


@dataclass(frozen=True)
class Result:
    code: str
    points: Fraction | None
    when: date | None
    place: Place | None = None


RESULTS = [Result("AST", Fraction(41243, 100), date(2026, 3, 31), Place("Riverside")),
           Result("HYP", Fraction(1033, 10), date(2025, 12, 31)),
           Result("MMR", None, None, Place("Castle Street"))]


def result_columns() -> list[Column[Result]]:
    return [Column("Code", attr("code"), tooltip=lambda row: f"Code {row.code}"),
            Column("Points", attr("points"), fmt.points, numeric=True),
            Column("When", attr("when"), fmt.uk_date),
            Column("Where", attr("place", "name"))]


def test_attr_reads_nested_attributes_and_gives_none_past_a_missing_part() -> None:
    assert attr("place", "name")(RESULTS[0]) == "Riverside"
    assert attr("place", "name")(RESULTS[1]) is None  # no place
    assert attr("points")(RESULTS[2]) is None
    with pytest.raises(AttributeError):
        attr("nope")(RESULTS[0])  # a typo in a column is a bug, not a blank cell


def test_a_dataclass_model_passes_the_model_testers(qtmodeltester, capfd) -> None:
    model: RecordTableModel[Result] = RecordTableModel(result_columns())
    model.set_rows(RESULTS)
    qtmodeltester.check(model)
    model.set_prepared(prepare(result_columns()[:2], RESULTS[:1]))
    model.set_prepared(prepare(result_columns(), RESULTS))
    assert "FAIL!" not in capfd.readouterr().err
    qtmodeltester.check(model, force_py=True)
    proxy = RecordSortProxy()
    proxy.setSourceModel(model)
    proxy.sort(1, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(proxy, force_py=True)
    assert [proxy.index(row, 0).data() for row in range(3)] == ["AST", "HYP", "MMR"]  # blank points last
    assert model.row(2) is RESULTS[2]
    assert model.index(0, 3).data() == "Riverside" and model.index(1, 3).data() == ""
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == "Code AST"


def test_rows_prepared_on_another_thread_are_shown_as_they_are(qtbot) -> None:
    prepared: list[Prepared[Result]] = []
    worker = threading.Thread(target=lambda: prepared.append(prepare(result_columns(), RESULTS)))
    worker.start()
    worker.join(5)
    [rows] = prepared
    assert rows.texts[0] == ("AST", "412.43", "31 Mar 2026", "Riverside")
    table: RecordTable[Result] = RecordTable([], name="results", empty_message="None.")
    qtbot.addWidget(table)
    table.set_prepared(rows)
    assert [table.model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)] == [
        "Code", "Points", "When", "Where"]
    assert table.model.index(1, 1).data() == "103.30"
    assert table.model.index(1, 1).data(RecordTableModel.SORT_ROLE) == Fraction(1033, 10)
    only_riverside = rows.where(lambda row: row.place is not None and row.place.name == "Riverside")
    assert only_riverside.rows == (RESULTS[0],) and only_riverside.texts == (rows.texts[0],)


def test_select_where_and_shown_rows_follow_the_sort(qtbot) -> None:
    table: RecordTable[Result] = RecordTable(result_columns(), name="results", empty_message="None.")
    qtbot.addWidget(table)
    table.show()
    table.set_rows(RESULTS)
    table.view.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    assert [row.code for row in table.shown_rows()] == ["HYP", "AST", "MMR"]
    assert table.select_where(lambda row: row.code == "AST")
    assert table.selected_row() is RESULTS[0]
    assert not table.select_where(lambda row: row.code == "XYZ")
    assert table.selected_row() is RESULTS[0]


def test_columns_are_fitted_from_a_few_of_the_longest_texts(qtbot) -> None:
    rows = [{"text": "x" * (index % 7)} for index in range(700)] + [{"text": "W" * 15}]
    table: RecordTable[dict] = RecordTable([Column("Text", field("text")), Column("End", field("text"))],
                                           name="long", empty_message="None.")
    qtbot.addWidget(table)
    table.resize(1200, 400)
    table.show()
    qtbot.waitExposed(table)
    table.set_rows(rows)
    header = table.view.horizontalHeader()
    wide = table.view.fontMetrics().horizontalAdvance("W" * 15)
    assert header.sectionSize(0) >= wide  # the one long text, far down the list, decided the width
    assert header.sectionSize(0) <= 36 * table.view.fontMetrics().averageCharWidth()  # but capped


def test_wrapped_rows_are_fitted_only_where_they_are_on_screen(qtbot) -> None:
    long_text = "A long next step that wraps onto a second line when its column is narrow " * 2
    rows = [{"text": long_text, "n": index} for index in range(500)]
    table: RecordTable[dict] = RecordTable([Column("N", field("n")), Column("Text", field("text"))],
                                           name="wrapped", empty_message="None.", wrap=True)
    qtbot.addWidget(table)
    table.resize(400, 300)
    table.show()
    qtbot.waitExposed(table)
    table.set_rows(rows)
    table.fit_visible_rows()
    heights = table.view.verticalHeader()
    default = heights.defaultSectionSize()
    assert heights.sectionSize(0) > default  # on screen: as tall as its wrapped text
    assert heights.sectionSize(499) == default  # far off screen: never measured


def test_columns_are_fitted_again_when_the_text_size_changes(qtbot) -> None:
    table: RecordTable[dict] = RecordTable([Column("Text", field("text")), Column("End", field("text"))],
                                           name="sized", empty_message="None.")
    qtbot.addWidget(table)
    table.resize(1200, 400)
    table.show()
    qtbot.waitExposed(table)
    table.set_rows([{"text": "W" * 15}])
    header = table.view.horizontalHeader()
    before = header.sectionSize(0)
    font = table.font()
    font.setPointSizeF(font.pointSizeF() * 2)
    table.setFont(font)  # as a new text size from the Settings page reaches every widget
    wide = table.view.fontMetrics().horizontalAdvance("W" * 15)
    qtbot.waitUntil(lambda: header.sectionSize(0) >= wide, timeout=2000)
    assert header.sectionSize(0) > before
