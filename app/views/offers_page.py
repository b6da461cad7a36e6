"""The Offers page: services the commissioner has offered the practice, and the practice's answer.

People with the Service Management role accept or reject a pending offer after a confirmation that says
what the answer means for payment. The answer is queued on this PC and sent by the next sync; the page
shows it as waiting until CQRS has it, or CQRS's reason if it was refused. The message after answering
follows the answer's real state (saved on this PC, sent, answered on a date, or refused), never two at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from app.services import format as fmt
from app.services import offers, tasks
from app.services.offers import OfferRow
from app.services.outbox import OutboxEntry
from app.services.profile import SERVICE_MANAGEMENT, PracticeAccess
from app.services.record_types import OFFER, OFFER_RESPONSE, OUTBOX
from app.views.page import Page
from app.views.record_table import Column, Prepared, RecordTable, attr, prepare

TITLE = "Offers"
INTRO = ("Services the commissioner has offered this practice. A service is only paid once its offer has "
         "been accepted.")
EMPTY = "The commissioner has not offered any services yet."
PARTICIPATION_ONLY = "No — participation only"  # the "Payment claim" column
PAID = "Yes"
DEADLINE_PASSED = "Deadline passed"
# Soft backgrounds: amber for an offer needing an answer, red for one past its deadline or refused.
NEEDS_ANSWER, TOO_LATE = "#fff4cc", "#fde2e0"


def status_words(offer: OfferRow, today: date) -> str:
    if offer.pending and offer.deadline_passed(today):
        return DEADLINE_PASSED  # never answered; too late now
    return offer.status.capitalize()


def _background(offer: OfferRow, today: date) -> str | None:
    if not offer.pending or offer.queued or offer.answer_sent:
        return None
    return TOO_LATE if offer.deadline_passed(today) else NEEDS_ANSWER


def _status_tooltip(offer: OfferRow, today: date) -> str | None:
    if status_words(offer, today) == DEADLINE_PASSED and offer.response_deadline is not None:
        return f"Not answered by the deadline, {fmt.uk_date(offer.response_deadline)}."
    if offer.pending and offer.queued:
        return "The practice's answer is saved on this PC, waiting to be sent."
    if offer.pending and offer.answer_sent:
        return "The practice's answer has been sent to CQRS; the offer shows as answered after the next sync."
    if offer.pending:
        return "Waiting for the practice's answer."
    if offer.responded_at is not None:
        return f"{offer.status.capitalize()} on {fmt.uk_date(offer.responded_at)}."
    return None


def _refused(offer: OfferRow) -> bool:
    return bool(offer.waiting) and not offer.queued


def offer_columns(today: date) -> list[Column[OfferRow]]:
    """Most needed first: at 1024×768 the last columns (the offer's period) may need a scroll, and the
    line under the table repeats the period of the selected offer. Status words depend on ``today``."""
    return [
        Column("Service", attr("service_name"),
               tooltip=lambda offer: f"{offer.service_name} (service code {offer.service})"),
        Column("Status", lambda offer: status_words(offer, today),
               background=lambda offer: _background(offer, today),
               tooltip=lambda offer: _status_tooltip(offer, today)),
        Column("Respond by", attr("response_deadline"),
               lambda value: "No deadline" if value is None else fmt.uk_date(value)),
        Column("Waiting to be sent", lambda offer: offer.waiting or "",
               tooltip=lambda offer: offer.waiting or None,
               background=lambda offer: TOO_LATE if _refused(offer) else None),
        Column("Payment claim", lambda offer: PARTICIPATION_ONLY if offer.participation_only else PAID,
               tooltip=lambda offer: (
                   "Participation only: the practice takes part, but there is no payment claim for this "
                   "service." if offer.participation_only else "Paid for what the practice achieves, once "
                   "accepted.")),
        Column("Responded", attr("responded_at"), lambda value: "" if value is None else fmt.uk_date(value)),
        Column("From", attr("start_date"), fmt.uk_date),
        Column("To", attr("end_date"), fmt.uk_date),
    ]


def _read(ods: str, today: date) -> Prepared[OfferRow]:
    """On the database worker: the offers, with the table's texts and sort keys worked out."""
    return prepare(offer_columns(today), offers.load_offers(ods))


class OffersPage(Page):
    """The offers, and Accept… / Reject… for Service Management."""

    key = "offers"
    title = TITLE
    intro = INTRO
    # A sync that sent (or had refused) an answer reports the kind "offer_response".
    kinds = (OFFER, OFFER_RESPONSE, OUTBOX)
    signed_out_text = "Sign in to see the offers made to your practice."
    message_name = "Answer result"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._busy = False  # an answer is being queued
        self._just_queued: set[int] = set()  # queued since the last load: keep their buttons off
        self._answered: tuple[int, bool, str] | None = None  # (offer, accepted?, outbox item) answered last
        self.table: RecordTable[OfferRow] = RecordTable(offer_columns(self.today()), name="offers",
                                                        empty_message=EMPTY)
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

        actions = QHBoxLayout()
        actions.addWidget(self.accept_button)
        actions.addWidget(self.reject_button)
        actions.addSpacing(8)
        actions.addWidget(self.hint, 1)
        self.body_layout.addWidget(self.table, 1)
        self.body_layout.addLayout(actions)
        self._update_actions()

    # --- the frame's loader ----------------------------------------------------------------------------

    def row_key(self, row: OfferRow) -> int:
        return row.id

    def practice_shown(self, access: PracticeAccess | None) -> None:
        if access is None or self.access is None or access.ods != self.access.ods:
            self._answered = None
        self.table.set_empty_message(EMPTY)
        self._update_actions()

    def loader(self, access: PracticeAccess | None, today: date) -> Callable[[], Prepared[OfferRow]]:
        assert access is not None
        ods = access.ods
        return lambda: _read(ods, today)

    def show_result(self, result: Prepared[OfferRow]) -> None:
        self._just_queued.clear()
        self.table.set_prepared(result)
        self._follow_up()
        self._update_actions()

    def selected_offer(self) -> OfferRow | None:
        return self.table.selected_row()

    # --- answering -------------------------------------------------------------------------------------

    @property
    def _can_manage(self) -> bool:
        return self.access is not None and self.access.has(SERVICE_MANAGEMENT)

    def _update_actions(self) -> None:
        manage = self._can_manage
        for button in (self.accept_button, self.reject_button):
            button.setVisible(manage)
        offer = self.selected_offer()
        reason = self._why_not(offer) if manage else None
        enabled = manage and offer is not None and reason is None and not self._busy
        self.accept_button.setEnabled(enabled)
        self.reject_button.setEnabled(enabled)
        if self.access is None:
            self.hint.setText("")
        elif not manage:
            self.hint.setText(f"Only people with the {SERVICE_MANAGEMENT} role for {self.access.name} can "
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
        offer, access, owner = self.selected_offer(), self.access, self.owner
        if offer is None or access is None or not self.accept_button.isEnabled():
            return
        if owner is None:
            self.show_message("Sign in again to answer: this PC does not know who you are.", "error")
            return
        if not self._confirm(offer, access, accept):
            return
        ods, today = access.ods, self.today()
        self._busy = True
        self._update_actions()
        # The service queues it in the owner's name and tells the hub (the shell sends it, pages reload).
        tasks.run(lambda: offers.respond(ods, offer.id, accept, today, owner=owner),
                  lambda entry: self._queued(offer, accept, entry), self._refused)

    def _confirm(self, offer: OfferRow, access: PracticeAccess, accept: bool) -> bool:
        title = "Accept this offer?" if accept else "Reject this offer?"
        answer = QMessageBox.question(self, title, confirmation_text(offer, access.name, accept),
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _queued(self, offer: OfferRow, accept: bool, entry: OutboxEntry) -> None:
        self._busy = False
        self._just_queued.add(offer.id)
        self._answered = (offer.id, accept, entry.key)
        self._follow_up()
        self._update_actions()

    def _follow_up(self) -> None:
        """The message about the last answer, worded from where it has got to now."""
        if self._answered is None:
            return
        offer_id, accept, item_key = self._answered
        offer = next((row for row in self.table.model.prepared.rows if row.id == offer_id), None)
        self.show_message(*answer_message(offer, accept, item_key))

    def _refused(self, error: BaseException) -> None:
        self._busy = False
        self.show_message(tasks.describe_error(error), "error")
        self.reload()  # what the page showed was out of date


def answer_message(offer: OfferRow | None, accept: bool, item_key: str) -> tuple[str, str]:
    """(message, kind) about the practice's answer, from the offer's real state: refused (and why),
    answered on a date once CQRS has it, sent, or saved on this PC — only one of them."""
    answer = "acceptance" if accept else "rejection"
    name = offer.service_name if offer is not None else "the offer"
    mine = offer is not None and offer.answer_key == item_key
    if offer is not None and mine and offer.answer_problem:
        again = " Check the reason, then answer again." if offer.pending else ""
        return f"CQRS did not accept your {answer} of {name}: {offer.answer_problem}{again}", "error"
    if offer is not None and not offer.pending:
        when = f" on {fmt.uk_date(offer.responded_at)}" if offer.responded_at else ""
        return f"{name}: {offer.status}{when}. CQRS has the practice's answer.", "info"
    if offer is not None and mine and offer.answer_sent:
        shown = "accepted" if accept else "rejected"
        return (f"Your {answer} of {name} has been sent to CQRS. The offer shows as {shown} here after the "
                "next sync.", "info")
    return (f"Your {answer} of {name} is saved on this PC and will be sent to CQRS as soon as the app is "
            "online.", "info")


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
