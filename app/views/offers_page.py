"""The Offers page: services the commissioner has offered the practice, and the practice's answer.

People with the Service Management role accept or reject a pending offer after a confirmation that says
what the answer means for payment. The answer is queued on this PC and sent by the next sync; the page
shows it as waiting until CQRS has it, or CQRS's reason if it was refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from app.services import format as fmt
from app.services import offers, tasks
from app.services.offers import OfferRow
from app.services.outbox import OutboxEntry
from app.services.profile import SERVICE_MANAGEMENT, PracticeAccess
from app.signals import hub
from app.views import fonts
from app.views.record_table import Column, RecordTable, field

Row = dict[str, Any]
TITLE = "Offers"
INTRO = ("Services the commissioner has offered this practice. A service is only paid once its offer has "
         "been accepted.")
EMPTY = "The commissioner has not offered any services yet."
PARTICIPATION_ONLY = "No — participation only"  # the "Payment claim" column
PAID = "Yes"
# Soft backgrounds: amber for an offer needing an answer, red for one past its deadline or refused.
NEEDS_ANSWER, TOO_LATE = "#fff4cc", "#fde2e0"


def _status_words(offer: OfferRow, today: date) -> str:
    if offer.pending and offer.deadline_passed(today):
        return "Deadline passed"  # never answered; too late now
    return offer.status.capitalize()


def _table_row(offer: OfferRow, today: date) -> Row:
    """What the table shows for one offer; the OfferRow itself rides along under "offer"."""
    return {"id": offer.id, "offer": offer, "service": offer.service, "service_name": offer.service_name,
            "status": _status_words(offer, today),
            "kind": PARTICIPATION_ONLY if offer.participation_only else PAID,
            "start_date": offer.start_date, "end_date": offer.end_date,
            "response_deadline": offer.response_deadline, "responded_at": offer.responded_at,
            "waiting": offer.waiting or "", "refused": bool(offer.waiting) and not offer.queued,
            "background": _background(offer, today)}


def _background(offer: OfferRow, today: date) -> str | None:
    if not offer.pending or offer.queued:
        return None
    return TOO_LATE if offer.deadline_passed(today) else NEEDS_ANSWER


def offer_columns() -> list[Column]:
    """Most needed first: at 1024×768 the last columns (the offer's period) may need a scroll, and the
    line under the table repeats the period of the selected offer."""
    return [
        Column("Service", field("service_name"), tooltip=lambda row: f"{row['service_name']} "
               f"(service code {row['service']})"),
        Column("Status", field("status"), background=field("background"), tooltip=_status_tooltip),
        Column("Respond by", field("response_deadline"),
               lambda value: "No deadline" if value is None else fmt.uk_date(value)),
        Column("Waiting to be sent", field("waiting"), tooltip=lambda row: row["waiting"] or None,
               background=lambda row: TOO_LATE if row["refused"] else None),
        Column("Payment claim", field("kind"), tooltip=lambda row: (
            "Participation only: the practice takes part, but there is no payment claim for this service."
            if row["offer"].participation_only else "Paid for what the practice achieves, once accepted.")),
        Column("Responded", field("responded_at"), lambda value: "" if value is None else fmt.uk_date(value)),
        Column("From", field("start_date"), fmt.uk_date),
        Column("To", field("end_date"), fmt.uk_date),
    ]


def _status_tooltip(row: Row) -> str | None:
    offer: OfferRow = row["offer"]
    if row["status"] == "Deadline passed" and offer.response_deadline is not None:
        return f"Not answered by the deadline, {fmt.uk_date(offer.response_deadline)}."
    if offer.pending:
        return "Waiting for the practice's answer."
    if offer.responded_at is not None:
        return f"{offer.status.capitalize()} on {fmt.uk_date(offer.responded_at)}."
    return None


class OffersPage(QWidget):
    """A heading, what the page holds, the offers, and Accept… / Reject… for Service Management."""

    loaded = Signal()
    kinds = ("offer", "outbox")  # feed record types (and the outbox) whose change reloads the page

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page-offers")
        self.today: Callable[[], date] = date.today  # the service's "today" once signed in
        self._access: PracticeAccess | None = None
        self._busy = False  # an answer is being queued
        self._just_queued: set[int] = set()  # queued since the last load: keep their buttons off

        heading = QLabel(TITLE)
        heading.setObjectName("pageHeading")
        fonts.relative(heading, fonts.HEADING, bold=True)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.table = RecordTable(offer_columns(), name="offers", empty_message=EMPTY)
        self.table.view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())

        self.accept_button = QPushButton("&Accept…")
        self.accept_button.setAccessibleName("Accept offer")
        self.accept_button.setToolTip("Accept the selected offer (asks you to confirm first).")
        self.accept_button.clicked.connect(lambda: self._respond(True))
        self.reject_button = QPushButton("&Reject…")
        self.reject_button.setAccessibleName("Reject offer")
        self.reject_button.setToolTip("Reject the selected offer (asks you to confirm first).")
        self.reject_button.clicked.connect(lambda: self._respond(False))
        # Why the buttons are off, or who can answer offers; wraps rather than being cut off at 1024 px.
        self.hint = QLabel()
        self.hint.setObjectName("offerHint")
        self.hint.setWordWrap(True)
        self.hint.setAccessibleName("About answering offers")
        self.message = QLabel()
        self.message.setObjectName("errorText")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Answer result")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()

        actions = QHBoxLayout()
        actions.addWidget(self.accept_button)
        actions.addWidget(self.reject_button)
        actions.addSpacing(8)
        actions.addWidget(self.hint, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        self._update_actions()
        # A sync that sent (or had refused) an answer reports the kind "offer_response", not "outbox".
        hub().data_changed.connect(self._kind_changed)  # a bound slot: Qt disconnects it with the page

    # --- the page interface the main window uses ---------------------------------------------------

    def show_practice(self, access: PracticeAccess | None) -> None:
        """Read the offers of ``access``'s practice from the cache (in the background) and show them."""
        if access is None or self._access is None or access.ods != self._access.ods:
            self._show_message("", "info")  # a result about another practice's offer no longer applies
        self._access = access
        if access is None:
            self.table.set_empty_message("Sign in to see the offers made to your practice.")
            self._set_rows([])
            self.loaded.emit()
            return
        self.table.set_empty_message(EMPTY)
        ods = access.ods
        tasks.run(lambda: offers.load_offers(ods), lambda rows: self._show(ods, rows),
                  lambda error: self._load_failed(ods, error))

    def reload(self) -> None:
        self.show_practice(self._access)

    # --- internals -------------------------------------------------------------------------------

    def _kind_changed(self, kind: str) -> None:
        if kind == offers.KIND:
            self.reload()

    @property
    def _can_manage(self) -> bool:
        return self._access is not None and self._access.has(SERVICE_MANAGEMENT)

    def _show(self, ods: str, rows: list[OfferRow]) -> None:
        if self._access is None or self._access.ods != ods:
            return  # the practice changed while this was loading; a newer load is on its way
        self._just_queued.clear()
        self._set_rows(rows)
        self.loaded.emit()

    def _load_failed(self, ods: str, error: BaseException) -> None:
        if self._access is not None and self._access.ods == ods:
            self._show_message(f"The offers could not be read from this PC. {tasks.describe_error(error)}",
                               "error")
        self.loaded.emit()

    def _set_rows(self, rows: list[OfferRow]) -> None:
        keep = self.selected_offer()
        today = self.today()
        self.table.set_rows([_table_row(offer, today) for offer in rows])
        if keep is not None:
            self._select(keep.id)
        self._update_actions()

    def _select(self, offer_id: int) -> None:
        proxy = self.table.proxy
        for row in range(proxy.rowCount()):
            if proxy.index(row, 0).data(self.table.model.ROW_ROLE)["id"] == offer_id:
                self.table.view.selectRow(row)
                return

    def selected_offer(self) -> OfferRow | None:
        row = self.table.selected_row()
        return row["offer"] if row is not None else None

    def _update_actions(self) -> None:
        manage = self._can_manage
        for button in (self.accept_button, self.reject_button):
            button.setVisible(manage)
        offer = self.selected_offer()
        reason = self._why_not(offer) if manage else None
        enabled = manage and offer is not None and reason is None and not self._busy
        self.accept_button.setEnabled(enabled)
        self.reject_button.setEnabled(enabled)
        if self._access is None:
            self.hint.setText("")
        elif not manage:
            self.hint.setText(f"Only people with the {SERVICE_MANAGEMENT} role for {self._access.name} can "
                              "accept or reject offers.")
        elif offer is None:
            self.hint.setText("Select a pending offer, then choose Accept or Reject.")
        elif reason is not None:
            self.hint.setText(reason)
        else:
            deadline = (f"answer by {fmt.uk_date(offer.response_deadline)}." if offer.response_deadline
                        else "there is no deadline for an answer.")
            self.hint.setText(f"{offer.service_name}{_period(offer)}: {deadline}")
        self.hint.setVisible(bool(self.hint.text()))

    def _why_not(self, offer: OfferRow | None) -> str | None:
        if offer is None:
            return None
        if offer.id in self._just_queued:
            return "Your answer to this offer is waiting to be sent."
        return offer.refusal(self.today())

    def _respond(self, accept: bool) -> None:
        offer, access = self.selected_offer(), self._access
        if offer is None or access is None or not self.accept_button.isEnabled():
            return
        if not self._confirm(offer, access, accept):
            return
        ods, today = access.ods, self.today()
        self._busy = True
        self._update_actions()
        tasks.run(lambda: offers.respond(ods, offer.id, accept, today),
                  lambda entry: self._queued(offer, accept, entry), self._refused)

    def _confirm(self, offer: OfferRow, access: PracticeAccess, accept: bool) -> bool:
        title = "Accept this offer?" if accept else "Reject this offer?"
        answer = QMessageBox.question(self, title, confirmation_text(offer, access.name, accept),
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _queued(self, offer: OfferRow, accept: bool, _entry: OutboxEntry) -> None:
        self._busy = False
        self._just_queued.add(offer.id)
        answer = "acceptance" if accept else "rejection"
        self._show_message(f"Your {answer} of {offer.service_name} is saved on this PC and will be sent to "
                           "CQRS as soon as the app is online.", "info")
        self._update_actions()
        hub().queued.emit(offers.KIND)  # the shell sends it at once
        hub().data_changed.emit("outbox")  # pages showing the outbox (this one too) reload

    def _refused(self, error: BaseException) -> None:
        self._busy = False
        self._show_message(tasks.describe_error(error), "error")
        self.reload()  # what the page showed was out of date

    def _show_message(self, text: str, kind: str) -> None:
        self.message.setText(text)
        self.message.setProperty("kind", kind)
        self.message.style().unpolish(self.message)  # the style sheet colours it by "kind"
        self.message.style().polish(self.message)
        self.message.setVisible(bool(text))


def confirmation_text(offer: OfferRow, practice: str, accept: bool) -> str:
    """What answering means, in plain English, for the confirmation."""
    answer = "Accept" if accept else "Reject"
    what = f"{answer} the offer of {offer.service_name}{_period(offer)} for {practice}?"
    if accept and offer.participation_only:
        meaning = ("Accepting commits the practice to take part in this service as specified. It is "
                   "participation only: there is no payment claim for it.")
    elif accept:
        meaning = ("Accepting commits the practice to deliver this service as specified. Accepting is also "
                   "what allows the practice to be paid for it: there is no payment without acceptance.")
    elif offer.participation_only:
        meaning = "Rejecting means the practice will not take part in this service this year."
    else:
        meaning = ("Rejecting means the practice will not be paid for this service this year: there is no "
                   "payment without acceptance.")
    return f"{what}\n\n{meaning}\n\nOnce sent, your answer cannot be changed."


def _period(offer: OfferRow) -> str:
    if offer.start_date and offer.end_date:
        return f" ({fmt.uk_date(offer.start_date)} to {fmt.uk_date(offer.end_date)})"
    return ""
