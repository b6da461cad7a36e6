"""What the Declarations page says about a declaration: its columns, its history in words, the lines
above the history, the confirmation's summary, and the message after declaring, worded from where each
declaration has got to. Pure (no Qt): the page's loader prepares the table's texts with these on the
database worker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


def _payment_tooltip(row: DeclarationRow) -> str | None:
    if row.offer_block and not row.offer_final:
        return "Claimed, but not paid until the service's offer is accepted."
    return None


def declaration_columns(finance: bool) -> list[Column[DeclarationRow]]:
    """The table's columns; "Payment" only for Finance View."""
    columns: list[Column[DeclarationRow]] = [
        Column("Achievement date", attr("achievement_date"), fmt.uk_date),
        Column("Service", attr("service_name"),
               tooltip=lambda row: f"{row.service_name} (service code {row.service})"),
        Column("Points", attr("points"), fmt.points, numeric=True),
    ]
    if finance:
        columns.append(Column("Payment", attr("payment"), fmt.money, numeric=True,
                              tooltip=_payment_tooltip))
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
    if declaration.missed:
        lines.append(MISSED_ROW)
    return "\n".join(lines)


MISSED_ROW = ("Missed: declaring closed before this was declared, so it can no longer be declared here. "
              "If it should still be paid, contact your commissioner.")


def missed_note(commissioner: str | None) -> str:
    """The line above the "Missed" list: what missed means and who to contact."""
    who = f"your commissioner ({commissioner})" if commissioner else "your commissioner (your ICB)"
    return ("Missed: the deadline for declaring these passed before they were declared, so CQRS will not "
            "accept them now and they will not be paid. If you think one should still be paid, contact "
            f"{who} as soon as you can.")


def nothing_to_pay_warning(finance: bool, of_several: int | None = None) -> str:
    """A warning for declarations that pay nothing, worded without £ for people who may not see money:
    for one declaration, or for ``of_several`` of a list."""
    if of_several is None:
        what = ("This declaration is for £0.00: nothing will be paid for it." if finance
                else "There is nothing to be paid for this declaration.")
    else:
        verb = "is" if of_several == 1 else "are"
        what = (f"{of_several} of these {verb} for £0.00: nothing will be paid for "
                f"{'it' if of_several == 1 else 'them'}." if finance
                else f"{of_several} of these {'has' if of_several == 1 else 'have'} nothing to be paid.")
    return f"Warning: {what} Check the figures (is the month's data complete?) before declaring."


def label(row: DeclarationRow) -> str:
    """"Shingles for 31 Mar 2026"."""
    return f"{row.service_name} for {fmt.uk_date(row.achievement_date)}"


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
    if declaration.nothing_to_pay:
        text += "\n\n" + nothing_to_pay_warning(finance)
    return (text + "\n\nThe declaration is sent to CQRS at the next sync. Your commissioner will then "
            "review it and approve it before payment.")


# --- the message after declaring -----------------------------------------------------------------------

@dataclass(frozen=True)
class Asked:
    """One declaration the person asked for from the page, and what the app did with it."""

    key: str  # DeclarationRow.key
    label: str  # "Shingles for 31 Mar 2026"
    item_key: str | None  # the outbox item queued for it; None when the app refused it
    refused: str | None = None  # why the app did not queue it


def _state(asked: Asked, row: DeclarationRow | None) -> tuple[str, str]:
    """("waiting" | "sent" | "refused", detail) for one declaration, from its outbox item as cached."""
    if asked.item_key is None:
        return "refused", asked.refused or "it could not be declared."
    if row is None or row.item_key != asked.item_key:
        # Its item is no longer the newest (or the row is gone): judge by the declaration itself.
        status = row.status if row is not None else ""
        return ("sent", status) if status and status != declarations.NOT_DECLARED else ("waiting", "")
    if row.item_status in declarations.ITEM_REFUSED:
        return "refused", row.problem or "CQRS gave no reason."
    if row.item_status in declarations.ITEM_WAITING:
        return "waiting", ""
    return "sent", row.status


def _sent_words(status: str) -> str:
    if status == declarations.AWAITING_COMMISSIONER:
        return "It is now with your commissioner for approval."
    if status in (declarations.NOT_DECLARED, ""):
        return "It shows as declared here after the next sync."
    return f"Its status is now {status}."


def follow_up(asked: Sequence[Asked], rows: Mapping[str, DeclarationRow]) -> tuple[str, str]:
    """(message, kind) after declaring: "will be sent" only while a declaration waits on this PC, "sent"
    once CQRS has it, and which ones were refused and why; kind is "error" if any was refused."""
    states = [(item, *_state(item, rows.get(item.key))) for item in asked]
    refused = [(item, detail) for item, state, detail in states if state == "refused"]
    kind = "error" if refused else "info"
    if len(states) == 1:
        item, state, detail = states[0]
        if state == "waiting":
            return (f"{item.label} is declared on this PC and will be sent to CQRS at the next sync.", kind)
        if state == "sent":
            return f"{item.label} has been sent to CQRS. {_sent_words(detail)}", kind
        return (f"{item.label} was not declared: {detail} Nothing else was changed.", kind)
    sent = [detail for _item, state, detail in states if state == "sent"]
    waiting = sum(1 for _item, state, _detail in states if state == "waiting")
    parts = []
    if sent:
        with_icb = all(status == declarations.AWAITING_COMMISSIONER for status in sent)
        parts.append(f"{len(sent)} sent to CQRS" + (" (now with your commissioner for approval)" if with_icb
                                                     else ""))
    if waiting:
        parts.append(f"{waiting} waiting on this PC, to be sent at the next sync")
    if refused:
        parts.append(f"{len(refused)} not declared (the others are not affected)")
    lines = "".join(f"\n• {item.label}: {detail}" for item, detail in refused)
    return f"Of {len(states)} declarations: " + "; ".join(parts) + "." + lines, kind
