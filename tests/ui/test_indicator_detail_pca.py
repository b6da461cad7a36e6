"""The indicator detail shows the PCAs by reason, each with its plain-English meaning, and the practice's
PCA rate beside the PCN's and the national one; readable at 1024×768 with 100% and 200% text.

Worked by hand: DM020 351/540 with 28 PCAs (20 declined, 8 unsuitable): 28 / 568 = 4.9%; the PCN's pooled
rate 7/142 = 4.9%, the national 1/20 = 5.0%.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from PySide6.QtCore import QRect
from text_size_checks import dialog, everything

from app.services.calculation import IndicatorCounts
from app.services.dashboard import qof_dashboard
from app.services.pca_reference import meaning
from app.services.rules import load_rules
from app.views.indicator_detail import IndicatorDetail
from central.results import qof_record

RULES = load_rules("2025-26")
WHEN = date(2026, 3, 31)
REASONS = {"DMPCADEC": 20, "DMPCAPU": 8}


def detail(reasons: dict[str, int] | None, benchmarks: list[dict]) -> IndicatorDetail:
    """DM020's detail from a result record and a benchmark record made as the service makes them."""
    counts = [IndicatorCounts("DM020", 351, 540, 28), IndicatorCounts("AF006", 120, 200, 0)]
    record = qof_record(RULES, WHEN, 9_812, {"DM": 650, "AF": 214}, counts,
                        pca_reasons={"DM020": reasons} if reasons else None)
    shown = qof_dashboard([record], benchmarks, RULES, WHEN, finance=False, today=date(2026, 4, 20))
    row = next(r for r in shown.indicators if r.indicator_id == "DM020")
    return IndicatorDetail(row, shown, record, RULES)


BENCHMARK = {"service": "QOF", "achievement_date": WHEN.isoformat(), "indicators": {
    "DM020": {"pcn": "13/20", "icb": "2/3", "all": "7/10", "practices": 9,
              "pca": {"pcn": "7/142", "icb": "1/21", "all": "1/20"}}}}


@pytest.mark.parametrize("text_scale", [1.0, 2.0], indirect=True, ids=["100%", "200%"])
def test_the_pca_breakdown_and_rates_are_shown_in_plain_english(qtbot, text_scale, tmp_path) -> None:
    box = detail(REASONS, [BENCHMARK])
    qtbot.addWidget(box)
    box.resize(min(box.sizeHint().width(), 1024), min(box.sizeHint().height(), 768))
    box.show()
    qtbot.waitExposed(box)
    assert box.row.pca_rate == Fraction(28, 568)
    assert box.pca_rates.text() == ("This practice 4.9% (28 of 568 patients); PCN 4.9%; national (all "
                                    "practices) 5.0%.")
    # Largest first, each with NHS England's meaning.
    assert [label.accessibleName() for label in box.pca_reasons] == ["PCA reason DMPCADEC: 20",
                                                                      "PCA reason DMPCAPU: 8"]
    assert [label.text() for label in box.pca_reasons] == [meaning("DMPCADEC"), meaning("DMPCAPU")]
    assert box.pca_reasons[0].text().startswith("Patient chose not to receive diabetes")
    assert dialog(box, QRect(0, 0, 1024, 768)) == [] and everything(box) == []
    box.grab().save(str(tmp_path / f"pca_detail_{text_scale:g}pt.png"))


def test_without_reasons_or_peers_the_detail_says_so(qtbot) -> None:
    box = detail(None, [])
    qtbot.addWidget(box)
    assert box.pca_reasons == []
    assert box.pca_rates.text() == ("This practice 4.9% (28 of 568 patients); no PCN or national rate has "
                                    "been published for this date yet.")
    texts = [label.text() for label in box.findChildren(type(box.pca_rates))]
    assert "The extract gave the PCAs as one total, without the reasons." in texts
