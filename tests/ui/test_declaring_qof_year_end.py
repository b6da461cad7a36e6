"""The Declarations page while a month's window is open: its QOF result tracks progress and is not a claim
(QOF is declared for its year end only), so it is neither listed as needing declaring nor offered by
Declare several, while the month's other claims are; an old declaration of a monthly QOF result still
shows as it is.

The cache is filled as in test_declarations_page.py, seen on 10 Feb 2026, when January's window is open.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import test_declarations_page as base
import test_declaring_several as several
from PySide6.QtWidgets import QApplication
from qof_records import FEBRUARY, JANUARY
from test_declarations_page import MANAGER, ODS, PRACTICE, select, shown_rows

from app.services import declarations
from app.services.profile import PracticeAccess
from app.views.declarations_page import DeclarationsPage

filled, dialogs = base.filled, several.dialogs
JANUARY_OPEN = date(2026, 2, 10)  # January's claims can be declared until 24 Feb 2026


def _open(qtbot: Any, today: date) -> DeclarationsPage:
    page = DeclarationsPage()
    page.today = lambda: today
    page.owner = "practice.manager@nhs.net"
    qtbot.addWidget(page)
    page.resize(1024, 768)
    page.show()
    qtbot.waitExposed(page)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_practice(PracticeAccess(ODS, PRACTICE, MANAGER))
    QApplication.processEvents()
    return page


def test_a_monthly_qof_result_is_not_listed_while_the_months_claims_need_declaring(filled, qtbot) -> None:
    page = _open(qtbot, JANUARY_OPEN)
    assert ("QOF", JANUARY) not in {(row.service, row.achievement_date) for row in shown_rows(page)}
    page.filter.setCurrentIndex(declarations.FILTERS.index(declarations.NEEDS_DECLARING))
    QApplication.processEvents()
    needs = shown_rows(page)
    assert {row.achievement_date for row in needs} == {JANUARY}
    assert sorted(row.service for row in needs) == ["FLU", "LDHC", "SHING", "WM"]
    assert page.filter.itemText(0) == "Needs declaring (4)"
    # February's QOF was declared and paid before the rule: it still shows, as CQRS has it.
    page.filter.setCurrentIndex(declarations.FILTERS.index(declarations.ALL))
    QApplication.processEvents()
    paid = select(page, "QOF", FEBRUARY)
    assert paid.status == "Paid" and paid.next_step == "Paid."
    assert not page.declare_button.isEnabled()


def test_declare_several_never_offers_a_monthly_qof_result(filled, dialogs, qtbot) -> None:
    page = _open(qtbot, JANUARY_OPEN)
    dialogs.answer = several.DeclareManyDialog.DialogCode.Rejected
    page.declare_many_button.click()
    [dialog] = dialogs.shown
    choices = [dialog.scope.itemText(i) for i in range(dialog.scope.count())]
    assert choices == ["Everything due for January 2026 (4)", "Everything that can be declared in “All” (4)"]
    for index in range(dialog.scope.count()):
        dialog.scope.setCurrentIndex(index)
        QApplication.processEvents()
        names = [line[0] for line in several._lines(dialog)]
        assert len(names) == 4 and "Quality and Outcomes Framework" not in names
    assert "Quality and Outcomes Framework" not in dialog.held.text()
