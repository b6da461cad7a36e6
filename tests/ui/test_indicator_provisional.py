"""The indicator detail says "Provisional: <source>" for a 2026/27 figure that rests on one source, and
nothing of the kind for a firm one; readable at 1024×768 with 100% and 200% text."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QFormLayout, QLabel
from text_size_checks import dialog, everything

from app.services.calculation import IndicatorCounts
from app.services.dashboard import QofDashboard, QofSummary, indicator_rows
from app.services.rules import load_rules
from app.views.indicator_detail import IndicatorDetail
from central.results import qof_record

RULES = load_rules("2026-27")
WHEN = date(2026, 10, 31)


def detail_for(indicator_id: str) -> IndicatorDetail:
    """The detail of one 2026/27 indicator at 80 of 100, from a result record made as the service makes it."""
    rule = RULES.indicators[indicator_id]
    registers = {r: 150 for r in rule.registers}
    counts = [IndicatorCounts(indicator_id, 80, 100, 2)]
    record = qof_record(RULES, WHEN, 8_000, registers, counts)
    row = indicator_rows(record, RULES, False)[0]
    summary = QofSummary(RULES.year, WHEN, 8_000, row.points, RULES.qof_max_points, None, None, None, None,
                         None, None, 0)
    dashboard = QofDashboard(summary, (row,), (rule.group,), {indicator_id: ((WHEN, Fraction(4, 5)),)}, (),
                             None, {}, False, registers)
    return IndicatorDetail(row, dashboard, record, RULES)


def form_rows(box: IndicatorDetail) -> dict[str, str]:
    form = box.findChild(QFormLayout)
    rows = {}
    for n in range(form.rowCount()):
        label = form.itemAt(n, QFormLayout.ItemRole.LabelRole)
        field = form.itemAt(n, QFormLayout.ItemRole.FieldRole)
        if label is not None and isinstance(field.widget(), QLabel):
            rows[label.widget().text()] = field.widget().text()
    return rows


@pytest.mark.parametrize("text_scale", [1.0, 2.0], indirect=True, ids=["100%", "200%"])
def test_a_provisional_figure_names_its_source(qtbot, text_scale, tmp_path) -> None:
    box = detail_for("AF006")
    qtbot.addWidget(box)
    box.resize(min(box.sizeHint().width(), 1024), min(box.sizeHint().height(), 768))
    box.show()
    qtbot.waitExposed(box)
    rows = form_rows(box)
    assert "medicus-suite" in rows["Provisional:"] and "95%" in rows["Provisional:"]
    assert dialog(box, QRect(0, 0, 1024, 768)) == [] and everything(box) == []
    box.grab().save(str(tmp_path / f"provisional_{int(text_scale * 100)}.png"))


def test_a_firm_figure_has_no_provisional_line(qtbot) -> None:
    box = detail_for("AF008")
    qtbot.addWidget(box)
    assert "Provisional:" not in form_rows(box)
