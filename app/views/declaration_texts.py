"""What the Declarations page says about a declaration: its columns, its history in words, the lines
above the history and the confirmation's summary. Pure (no Qt): the page's loader prepares the table's
texts with these on the database worker."""

from __future__ import annotations

from typing import Any

from app.services import declarations
from app.services import format as fmt
from app.services.declarations import DeclarationRow, HistoryStep
from app.views.table_rows import Column, attr

SENT_BACK = "#fde2e0"  # soft red: needs declaring again


def _sent_back_colour(row: DeclarationRow) -> str | None:
    return SENT_BACK if row.sent_back else None


def _status_tooltip(row: DeclarationRow) -> str | None:
    if row.sent_back:
        return ("Sent back to the practice: achievement was recalculated after it was declared, so it "
                "needs to be declared again.")
    return row.status


def declaration_columns(finance: bool) -> list[Column[DeclarationRow]]:
    """The table's columns; "Payment" only for Finance View."""
    columns: list[Column[DeclarationRow]] = [
        Column("Achievement date", attr("achievement_date"), fmt.uk_date),
        Column("Service", attr("service_name"),
               tooltip=lambda row: f"{row.service_name} (service code {row.service})"),
        Column("Points", attr("points"), fmt.points, numeric=True),
    ]
    if finance:
        columns.append(Column("Payment", attr("payment"), fmt.money, numeric=True))
    return [*columns,
            Column("Status", attr("status"), tooltip=_status_tooltip, background=_sent_back_colour),
            Column("Next step", attr("next_step"), tooltip=lambda row: row.next_step,
                   background=_sent_back_colour)]


def _who(by: str) -> str:
    return "CQRS (automatic)" if by == declarations.SYSTEM else by


def _what(step: HistoryStep, previous: HistoryStep | None) -> str:
    if step.status == declarations.AWAITING_COMMISSIONER:
        return f"Declared by the practice: {step.status}"
    if step.status == declarations.AWAITING_PROVIDER and previous is not None:
        return f"Sent back after a recalculation: {step.status}"
    return step.status


def history_lines(declaration: DeclarationRow) -> list[tuple[str, str, str]]:
    """(when, what, who) for each step, oldest first, in UK time and plain words."""
    lines = []
    for position, step in enumerate(declaration.history):
        previous = declaration.history[position - 1] if position else None
        lines.append((fmt.uk_datetime(step.at), _what(step, previous), _who(step.by)))
    return lines


def _figures(points: Any, payment: Any, finance: bool) -> str:
    parts = [] if points is None else [f"{fmt.points(points)} points"]
    if finance and payment is not None:
        parts.append(fmt.money(payment))
    return ", ".join(parts)


def details(declaration: DeclarationRow, finance: bool) -> str:
    """The lines above the history: the status and next step, then what was declared (and what it is now,
    if a recalculation sent it back)."""
    lines = [f"Status: {declaration.status}. {declaration.next_step}"]
    if declaration.declared_at is not None:
        declared = _figures(declaration.declared_points, declaration.declared_payment, finance)
        line = f"Last declared on {fmt.uk_date(declaration.declared_at)}" + (f": {declared}." if declared
                                                                              else ".")
        now = _figures(declaration.points, declaration.payment, finance)
        if declaration.sent_back and now:
            line += f" Now calculated: {now}."
        lines.append(line)
    return "\n".join(lines)


def declaration_summary(declaration: DeclarationRow, finance: bool) -> str:
    """The confirmation's summary of exactly what is declared."""
    lines = [f"Service: {declaration.service_name}",
             f"Achievement date: {fmt.uk_date(declaration.achievement_date)}"]
    if declaration.points is not None:
        lines.append(f"Points: {fmt.points(declaration.points)}")
    if finance and declaration.payment is not None:
        lines.append(f"Payment: {fmt.money(declaration.payment)}")
    text = "\n".join(lines)
    if declaration.sent_back:
        text += ("\n\nThis replaces the declaration that was sent back after a recalculation: the figures "
                 "above are the recalculated ones.")
    return (text + "\n\nThe declaration is sent to CQRS at the next sync. Your commissioner will then "
            "review it and approve it before payment.")
