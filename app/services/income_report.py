"""The income statement in words and tables: the same sentences on screen and on paper.

Pure (no Qt): the page shows :func:`summary_text`, :func:`qof_text` and :func:`attention_text`; the
printout is :func:`report` through the one report builder (app.services.report_html).
"""

from __future__ import annotations

from datetime import datetime

from app.services import format as fmt
from app.services.income import TO_BE_PAID, TO_DECLARE, IncomeRow, IncomeStatement, QofAspiration
from app.services.report_html import Report, ReportMeta, Section, Table, paragraph
from app.services.report_html import report as build_report

TITLE = "Income statement"
HEADERS = ("Service", "Month end", "Calculated", "Declared", "Approved", "Paid", "Payment due", "Status")
NUMERIC = (False, False, True, True, True, True, False, False)


def table_rows(statement: IncomeStatement) -> tuple[IncomeRow, ...]:
    """Every claim of the year, oldest first, with QOF's year end last."""
    year_end = statement.qof.year_end if statement.qof is not None else None
    return (*statement.rows, *([year_end] if year_end is not None else []))


def status_text(row: IncomeRow) -> str:
    """Where the claim is, in words: when it was paid, or what it is still waiting for."""
    if row.flag:
        return row.flag
    return f"Paid on {fmt.uk_date(row.paid_on)}." if row.paid_on is not None else "Paid."


def summary_text(statement: IncomeStatement) -> str:
    year = statement.year.replace("-", "/")
    return (f"Expected for {year}: {fmt.money(statement.expected)}. "
            f"Paid so far: {fmt.money(statement.paid)}. Still to come: {fmt.money(statement.outstanding)}.")


def qof_text(qof: QofAspiration | None) -> str:
    if qof is None:
        return "QOF: there is no QOF achievement for this year to set against aspiration."
    achievement = (f"QOF achievement payment at {fmt.uk_date(qof.achievement_date)}: "
                   f"{fmt.money(qof.achievement)}")
    if qof.projected != qof.achievement:
        achievement += f", projected to {fmt.money(qof.projected)} by 31 March"
    if qof.aspiration_total is None or qof.monthly is None or qof.balance is None:
        return (f"{achievement}. There is no aspiration payment this year: no QOF result for last year's "
                "31 March is held.")
    balance = (f"the practice repays {fmt.money(-qof.balance)}" if qof.balance < 0
               else f"{fmt.money(qof.balance)} to be paid after the year end")
    return (f"{achievement}. Aspiration: {fmt.money(qof.aspiration_total)} for the year, "
            f"{fmt.money(qof.monthly)} a month; {qof.months_paid} of 12 instalments paid "
            f"({fmt.money(qof.aspiration_paid)}). Projected year-end balance (achievement − aspiration): "
            f"{balance}.")


def attention_text(statement: IncomeStatement) -> str:
    rows = table_rows(statement)
    to_declare = sum(1 for row in rows if row.needs_attention and row.flag.startswith(TO_DECLARE))
    to_pay = sum(1 for row in rows if row.needs_attention and row.flag.startswith(TO_BE_PAID))
    if not to_declare and not to_pay:
        return "Nothing is waiting: every claim calculated this year has been declared and paid."
    parts = ([f"{to_declare} calculated but not yet declared"] if to_declare else []) + \
        ([f"{to_pay} declared but not yet paid"] if to_pay else [])
    return f"Needs attention: {', '.join(parts)}. The Status column says what each is waiting for."


def cells(row: IncomeRow) -> tuple[str, ...]:
    """One row as printed: the texts the page shows."""
    return (row.service_name, fmt.uk_date(row.achievement_date), fmt.money(row.calculated),
            fmt.money(row.declared), fmt.money(row.approved), fmt.money(row.paid),
            fmt.uk_date(row.payment_due), status_text(row))


def report(statement: IncomeStatement, *, practice_name: str, ods: str, printed_by: str,
           printed_at: datetime, synced_at: datetime | None) -> Report:
    """The income statement for printing, preview and PDF."""
    meta = ReportMeta(TITLE, practice_name, ods, printed_by, printed_at, synced_at, "All services",
                      statement.year)
    rows = table_rows(statement)
    sections = [Section("Totals", paragraph(summary_text(statement))),
                Section("QOF aspiration and achievement", paragraph(qof_text(statement.qof))),
                Section("Claims by service and month", paragraph(attention_text(statement)),
                        Table(HEADERS, tuple(cells(row) for row in rows), NUMERIC))]
    if statement.flagged:
        sections.append(Section("Waiting to be declared or paid",
                                "".join(paragraph(line) for line in statement.flagged)))
    notes = ("Calculated: the payment CQRS calculated from the latest extract. Declared, approved and paid: "
             "the amount declared, once it reached that status.",
             "QOF is paid once a year on the 31 March achievement, less the aspiration paid monthly.")
    return build_report(meta, sections, notes)
