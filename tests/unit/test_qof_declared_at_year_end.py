"""QOF is declared for its year end (31 March) only: the shared rule (app.services.windows) and the
desktop's Declarations rows, which neither list a monthly QOF result as declarable or missed nor queue it,
while still showing a declaration made of one in the past as it is."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from qof_records import FEBRUARY, JANUARY, MARCH, change, feed_changes

from app.services import cache_store, declarations, needs_doing, outbox
from app.services.rules import AWAITING_PROVIDER, PAID
from app.services.windows import is_declarable, not_declarable_reason, qof_year_end
from central.timetable_plan import national_timetable

ODS = "Z99001"
TODAY = date(2026, 4, 8)  # the windows of March's claims are open; January's and February's have closed
OWNER = "practice.manager@nhs.net"


# --- the rule -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "year_end"), [
    (date(2026, 4, 30), date(2027, 3, 31)), (date(2026, 10, 31), date(2027, 3, 31)),
    (date(2027, 1, 31), date(2027, 3, 31)), (date(2027, 3, 31), date(2027, 3, 31)),
    (date(2027, 4, 1), date(2028, 3, 31))])
def test_the_year_end_is_31_march_of_the_qof_year(day: date, year_end: date) -> None:
    assert qof_year_end(day) == year_end


def test_qof_is_a_claim_at_its_year_end_only_and_other_services_every_period() -> None:
    assert is_declarable("QOF", date(2026, 3, 31)) and is_declarable("QOF", date(2027, 3, 31))
    for month_end in (date(2026, 4, 30), date(2026, 10, 31), date(2027, 2, 28), date(2026, 3, 30)):
        assert not is_declarable("QOF", month_end)
    for service in ("FLU", "LDHC", "6IN1", "WM"):
        assert is_declarable(service, date(2026, 10, 31)) and is_declarable(service, date(2027, 3, 31))
    assert not_declarable_reason("FLU", date(2026, 10, 31)) is None
    assert not_declarable_reason("QOF", date(2027, 3, 31)) is None


def test_the_reason_names_the_year_end_and_when_to_declare_it() -> None:
    reason = not_declarable_reason("QOF", date(2026, 10, 31))
    assert reason is not None
    assert reason.startswith("QOF is declared once a year, for the year end (31 Mar 2027).")
    assert "31 Oct 2026 shows progress" in reason and "is not a claim" in reason
    assert "Declare QOF for 31 Mar 2027 once that result is in" in reason and "timetable" in reason


# --- the desktop's rows -------------------------------------------------------------------------------

def _timetable() -> list[dict[str, Any]]:
    return [change("timetable_event", number, {
        "id": number, "kind": event.kind, "title": event.title, "service": event.service,
        "starts": event.starts.isoformat(), "ends": event.ends.isoformat(),
        "achievement_date": event.achievement_date.isoformat() if event.achievement_date else None})
        for number, event in enumerate(national_timetable("2025-26"), start=1)]


def _declared(number: int, when: date, status: str) -> dict[str, Any]:
    history = [{"status": "Awaiting Commissioning Organisation Approval", "at": "2026-02-20T10:00:00",
                "by": OWNER}]
    if status == AWAITING_PROVIDER:
        history.append({"status": AWAITING_PROVIDER, "at": "2026-02-25T10:00:00", "by": "system"})
    return change("declaration", number, {
        "id": number, "service": "QOF", "achievement_date": when.isoformat(), "status": status,
        "points": "120.5", "payment": "25000", "declared_at": "2026-02-20T10:00:00", "history": history})


def _fill(*extra: dict[str, Any]) -> None:
    cache_store.apply_feed_page(ODS, [*feed_changes(ODS), *_timetable(), *extra], 100)


def test_monthly_qof_results_are_neither_declarable_nor_missed_and_the_year_end_is(cache_db: Path) -> None:
    _fill()
    rows = declarations.load(ODS, finance=True, today=TODAY)
    qof = [row for row in rows if row.service == "QOF"]
    assert [row.achievement_date for row in qof] == [MARCH]  # January's and February's are not listed
    year_end = qof[0]
    assert year_end.can_declare and year_end.stage == declarations.NEEDS_DECLARING
    assert year_end.next_step == "Declare by 24 Jun 2026."  # the year end has longer than a month
    assert not any(row.service == "QOF" for row in rows if row.stage == declarations.MISSED)
    # Once the year end's window has closed, it is missed like any claim.
    late = declarations.load(ODS, finance=True, today=date(2026, 7, 1))
    assert [row.stage for row in late if row.service == "QOF"] == [declarations.MISSED]


def test_declaring_a_monthly_qof_result_is_refused_with_the_year_end_and_nothing_is_queued(
        cache_db: Path) -> None:
    _fill()
    with pytest.raises(declarations.DeclarationRefused, match=r"for the year end \(31 Mar 2026\)"):
        declarations.declare(ODS, "QOF", FEBRUARY, TODAY, owner=OWNER)
    outcomes = declarations.declare_many(ODS, [f"QOF:{JANUARY}", f"QOF:{MARCH}"], TODAY, owner=OWNER)
    assert outcomes[0].entry is None and outcomes[0].refused is not None
    assert outcomes[0].refused.startswith("QOF is declared once a year")
    assert outcomes[1].entry is not None
    assert [item.body for item in outbox.items(ODS)] == [{"service": "QOF", "achievement_date": "2026-03-31"}]


def test_an_old_declaration_of_a_monthly_qof_result_is_still_shown_as_it_is(cache_db: Path) -> None:
    _fill(_declared(1, JANUARY, PAID), _declared(2, FEBRUARY, AWAITING_PROVIDER))
    rows = {row.achievement_date: row for row in declarations.load(ODS, finance=True, today=TODAY)
            if row.service == "QOF"}
    assert set(rows) == {JANUARY, FEBRUARY, MARCH}
    paid = rows[JANUARY]
    assert paid.status == PAID and paid.stage == declarations.PAID_STAGE and paid.next_step == "Paid."
    assert paid.declared_payment == 25000 and paid.declaration_id == 1
    # Sent back after a recalculation, but it is not a claim: not to be declared again, not missed, and it
    # says why; its history keeps the step back.
    back = rows[FEBRUARY]
    assert back.status == AWAITING_PROVIDER and back.history[-1].status == AWAITING_PROVIDER
    assert not back.sent_back and not back.claim
    assert not back.can_declare and not back.missed and back.stage == declarations.OTHER_STAGE
    assert back.why_not.startswith("QOF is declared once a year, for the year end (31 Mar 2026).")
    assert back.next_step == "Progress only: QOF is declared for 31 Mar 2026."
    assert rows[MARCH].claim and paid.next_step == "Paid."
    # What needs doing does not ask for it to be declared again; the year end it does ask for.
    keys = {item.key for item in needs_doing.load(ODS, TODAY)}
    assert f"sent-back/QOF:{FEBRUARY}" not in keys and f"declare/QOF:{MARCH}" in keys
    with pytest.raises(declarations.DeclarationRefused, match="QOF is declared once a year"):
        declarations.declare(ODS, "QOF", FEBRUARY, TODAY, owner=OWNER)
    assert outbox.items(ODS) == []
