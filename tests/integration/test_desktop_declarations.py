"""Declaring from the desktop client against the real central service over TLS, end to end: results arrive
by an uploaded extract and a sync; the declaration is queued on this PC first and sent by the sync engine;
the commissioner approves it; a recalculation sends it back; a refusal is kept with the server's reason;
and a declaration after the deadline is refused before anything is queued. QOF is declared for its year end
(31 Mar 2026), with the service's clock inside that window; a monthly QOF result is not a claim.

Each test has its own practice (under the world's PCN and commissioner), so the order of tests and the
other files' use of Z91001 do not matter.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.models.outbox import OutboxStatus
from app.services import declarations, outbox
from app.services.auth import Auth
from app.services.declarations import DeclarationRefused, HistoryStep
from app.services.profile import DECLARATION_MANAGEMENT, PracticeAccess
from app.services.secrets import TokenStore
from app.services.sync import SyncEngine
from app.views.declarations_page import DeclarationsPage
from central.directory import create_organisation
from central.models import PRACTICE, Declaration, Organisation
from central.security import EXTRACT_UPLOAD, VIEW
from central.server import RunningServer

from .conftest import PASSWORD, START, Api, FakeClock, World

YEAR_END = date(2026, 3, 31)
OPEN = datetime(2026, 4, 8, 10, 0, tzinfo=UTC)  # the year end can be declared until 24 Jun 2026
TODAY = OPEN.date()
LAST_DAY = datetime(2026, 6, 24, 10, 0, tzinfo=UTC)
AWAITING_PROVIDER = "Awaiting Service Provider Approval"
AWAITING_COMMISSIONER = "Awaiting Commissioning Organisation Approval"
_codes = (f"Z95{n:03d}" for n in itertools.count(1))  # a range no other test file uses


def _extract(ods: str, dm020_achieved: int, when: date) -> str:
    return ("practice_code,service,indicator_id,achievement_date,numerator,denominator,pca\n"
            f"{ods},QOF,LIST_SIZE,{when},8000,,\n"
            f"{ods},QOF,DM_REG,{when},500,,\n"
            f"{ods},QOF,DM020,{when},{dm020_achieved},450,20\n")


class Desk:
    """One practice on the service and the desktop client's view of it: its cache, outbox and sync."""

    def __init__(self, api: Api, world: World, server: RunningServer) -> None:
        self.api, self.world, self.server = api, world, server
        self.ods = next(_codes)
        with world.session() as session:
            pcn = session.get_one(Organisation, world.practice.parent_id)
            self.practice = create_organisation(session, PRACTICE, self.ods, f"Practice {self.ods}", START,
                                                parent=pcn)
            session.commit()
        self.uploader = world.user({world.icb: (EXTRACT_UPLOAD,)}, "gpes")
        self.manager = world.manager(self.practice)
        self._auths: list[Auth] = []

    def upload(self, dm020_achieved: int, when: date = YEAR_END) -> None:
        """An extract for ``when`` arrives at the service, which calculates (or recalculates) the result."""
        token = self.api.token(self.uploader)  # signed in now: access tokens are short-lived
        response = self.api.post("/extracts", token, data=_extract(self.ods, dm020_achieved, when),
                                 headers={"Content-Type": "text/csv"})
        assert response.status_code == 200, response.text

    def engine(self, email: str | None = None) -> SyncEngine:
        auth = Auth(self.server.base_url, TokenStore(), ca_file=self.server.ca_path)
        auth.sign_in(email or self.manager, PASSWORD)
        self._auths.append(auth)
        return SyncEngine(auth, sleep=lambda _seconds: None)

    def row(self, today: date = TODAY, *, finance: bool = True) -> declarations.DeclarationRow:
        rows = declarations.load(self.ods, finance=finance, today=today)
        assert [(row.service, row.achievement_date) for row in rows] == [("QOF", YEAR_END)]
        return rows[0]

    def on_server(self) -> list[Declaration]:
        with self.world.session() as session:
            query = select(Declaration).where(Declaration.practice_id == self.practice.id)
            return list(session.scalars(query))

    def close(self) -> None:
        for auth in self._auths:
            auth.close()


@pytest.fixture
def desk(api: Api, world: World, server: RunningServer, clock: FakeClock, cache_db: Path,
         memory_keyring: object) -> Iterator[Desk]:
    clock.now = OPEN  # put back to START after each test (conftest)
    practice = Desk(api, world, server)
    practice.upload(300)
    yield practice
    practice.close()


def _declare_and_send(desk: Desk, engine: SyncEngine) -> int:
    declarations.declare(desk.ods, "QOF", YEAR_END, TODAY, owner=desk.manager)
    assert engine.run([desk.ods]).pushed == 1
    [declared] = desk.on_server()
    return declared.id


def test_declared_offline_first_then_approved_and_finance_approved(desk: Desk, api: Api, world: World,
                                                                  clock: FakeClock, fresh_hub: None,
                                                                  qtbot: Any) -> None:
    engine = desk.engine()
    engine.run([desk.ods])
    row = desk.row()
    assert row.status == "Not declared" and not row.sent_back and row.history == ()
    assert row.can_declare and row.why_not == "" and row.window == "Declare by 24 Jun 2026."
    assert row.service_name == "Quality and Outcomes Framework"
    assert row.points is not None and row.points > 0 and row.payment is not None and row.payment > 0
    assert desk.row(finance=False).payment is None  # no money without Finance View

    entry = declarations.declare(desk.ods, "QOF", YEAR_END, TODAY, owner=desk.manager)
    assert entry.status is OutboxStatus.QUEUED and entry.kind == "declaration"
    assert (entry.method, entry.path) == ("POST", f"/practices/{desk.ods}/declarations")
    assert entry.body == {"service": "QOF", "achievement_date": "2026-03-31"}
    assert desk.on_server() == []  # queued on this PC only, until the sync sends it
    queued = desk.row()
    assert queued.waiting is OutboxStatus.QUEUED and not queued.can_declare
    assert queued.why_not == queued.next_step == "Waiting to be sent."
    with pytest.raises(DeclarationRefused, match="waiting to be sent"):
        declarations.declare(desk.ods, "QOF", YEAR_END, TODAY, owner=desk.manager)
    assert len(outbox.items(desk.ods)) == 1

    report = engine.run([desk.ods])
    assert report.pushed == 1 and "declaration" in report.kinds
    assert outbox.get(entry.key).status is OutboxStatus.SENT
    [declared] = desk.on_server()
    assert declared.status == AWAITING_COMMISSIONER
    row = desk.row()
    assert row.status == AWAITING_COMMISSIONER and row.waiting is None and not row.can_declare
    assert row.declaration_id == declared.id and row.declared_at == OPEN
    assert row.declared_points == row.points and row.declared_payment == row.payment

    commissioner = world.commissioner()
    clock.advance(days=1)  # signed in afresh each time: access tokens are short-lived
    assert api.post(f"/declarations/{declared.id}/approve", api.token(commissioner)).status_code == 200
    clock.advance(days=2)
    finance_approved = api.post(f"/declarations/{declared.id}/finance-approve", api.token(commissioner))
    assert finance_approved.status_code == 200
    engine.run([desk.ods])

    row = desk.row()
    assert row.status == "Finance Approved" and row.stage == declarations.WITH_COMMISSIONER
    assert row.history == (HistoryStep(AWAITING_COMMISSIONER, OPEN, desk.manager),
                           HistoryStep("Approved", OPEN + timedelta(days=1), commissioner),
                           HistoryStep("Finance Approved", OPEN + timedelta(days=3), commissioner))
    assert not row.can_declare and row.why_not == "Finance approved; waiting to be paid."
    assert len(desk.on_server()) == 1

    # And the page shows it: the status, and who did what and when, in UK time (British Summer Time).
    page = DeclarationsPage()
    qtbot.addWidget(page)
    page.today = lambda: clock.now.date()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_practice(PracticeAccess(desk.ods, f"Practice {desk.ods}", ("View", DECLARATION_MANAGEMENT)))
    assert page.selected() == desk.row(clock.now.date(), finance=False)
    texts = [tuple(page.history.item(r, c).text() for c in range(3)) for r in range(page.history.rowCount())]
    assert texts == [
        ("8 Apr 2026, 11:00", f"Declared by the practice: {AWAITING_COMMISSIONER}", desk.manager),
        ("9 Apr 2026, 11:00", "Approved", commissioner),
        ("11 Apr 2026, 11:00", "Finance Approved", commissioner)]
    assert not page.declare_button.isEnabled()


def test_a_recalculation_sends_it_back_to_be_declared_again(desk: Desk, api: Api, world: World,
                                                            clock: FakeClock) -> None:
    engine = desk.engine()
    engine.run([desk.ods])
    declaration_id = _declare_and_send(desk, engine)
    token = api.token(world.commissioner())
    api.post(f"/declarations/{declaration_id}/approve", token)
    api.post(f"/declarations/{declaration_id}/finance-approve", token)
    engine.run([desk.ods])
    declared = desk.row()
    assert declared.status == "Finance Approved" and not declared.sent_back

    clock.advance(hours=6)
    desk.upload(320)  # a corrected extract: 20 more patients achieving DM020
    engine.run([desk.ods])
    row = desk.row()
    assert row.status == AWAITING_PROVIDER and row.sent_back
    assert row.history[-1] == HistoryStep(AWAITING_PROVIDER, OPEN + timedelta(hours=6), declarations.SYSTEM)
    assert row.can_declare and row.stage == declarations.NEEDS_DECLARING
    assert row.next_step == "Sent back after a recalculation. Declare again by 24 Jun 2026."
    assert row.points is not None and row.declared_points is not None and row.points > row.declared_points

    declarations.declare(desk.ods, "QOF", YEAR_END, clock.now.date(), owner=desk.manager)
    assert engine.run([desk.ods]).pushed == 1
    [server_copy] = desk.on_server()
    assert server_copy.id == declaration_id and server_copy.status == AWAITING_COMMISSIONER
    assert Fraction(server_copy.points) == row.points  # the recalculated figures were declared
    again = desk.row()
    assert again.status == AWAITING_COMMISSIONER and not again.sent_back


def test_without_declaration_management_the_refusal_is_kept_with_its_reason(desk: Desk, world: World) -> None:
    viewer = desk.engine(world.user({desk.practice: (VIEW,)}, "viewer"))
    viewer.run([desk.ods])
    entry = declarations.declare(desk.ods, "QOF", YEAR_END, TODAY,
                                 owner=viewer.auth.email)  # the app hides Declare; the server decides

    report = viewer.run([desk.ods])
    assert report.failed == 1 and report.pushed == 0
    stored = outbox.get(entry.key)
    assert stored is not None and stored.status is OutboxStatus.FAILED
    assert "Declaration Management" in (stored.server_message or "")
    assert stored.body == {"service": "QOF", "achievement_date": "2026-03-31"}  # never dropped
    assert desk.on_server() == []
    row = desk.row(finance=False)
    assert row.waiting is OutboxStatus.FAILED and row.status == "Not declared"
    assert row.problem == stored.server_message
    assert row.next_step.startswith("Not accepted by CQRS: You need the Declaration Management role")


def test_after_the_deadline_declaring_is_refused_here_with_the_date(desk: Desk, clock: FakeClock) -> None:
    desk.engine().run([desk.ods])
    clock.now = LAST_DAY + timedelta(days=1)  # 25 Jun 2026
    today = clock.now.date()
    row = desk.row(today)
    assert not row.can_declare and row.why_not == "Declaring closed on 24 Jun 2026."
    with pytest.raises(DeclarationRefused, match="Declaring closed on 24 Jun 2026"):
        declarations.declare(desk.ods, "QOF", YEAR_END, today, owner=desk.manager)
    assert outbox.items(desk.ods) == []
    assert desk.on_server() == []


def test_queued_on_the_last_day_but_sent_too_late_is_kept_as_a_conflict(desk: Desk, clock: FakeClock) -> None:
    clock.now = LAST_DAY  # signed in on the last day: a sign-in lasts weeks, not the whole window
    engine = desk.engine()
    engine.run([desk.ods])
    entry = declarations.declare(desk.ods, "QOF", YEAR_END, clock.now.date(), owner=desk.manager)
    clock.advance(days=1)  # the PC was offline until the next day
    assert engine.run([desk.ods]).conflicts == 1
    stored = outbox.get(entry.key)
    assert stored is not None and stored.status is OutboxStatus.CONFLICT
    assert "24 Jun 2026" in (stored.server_message or "")
    row = desk.row(clock.now.date())
    assert row.waiting is OutboxStatus.CONFLICT and not row.can_declare
    assert row.next_step.startswith("Not accepted by CQRS:") and "24 Jun 2026" in row.next_step
    assert desk.on_server() == []


def test_nothing_to_declare_without_a_calculated_result(desk: Desk) -> None:
    desk.engine().run([desk.ods])
    with pytest.raises(DeclarationRefused, match="no calculated achievement"):
        declarations.declare(desk.ods, "QOF", date(2025, 3, 31), TODAY, owner=desk.manager)
    assert outbox.items(desk.ods) == []


def test_a_monthly_qof_result_is_not_listed_nor_declared(desk: Desk, clock: FakeClock) -> None:
    october = date(2025, 10, 31)
    desk.upload(250, october)  # the October extract tracks progress: a result, not a claim
    desk.engine().run([desk.ods])
    assert desk.row().achievement_date == YEAR_END  # only the year end is listed
    with pytest.raises(DeclarationRefused, match=r"declared once a year, for the year end \(31 Mar 2026\)"):
        declarations.declare(desk.ods, "QOF", october, TODAY, owner=desk.manager)
    clock.now = START  # inside October's own window, it is still not a claim
    desk.engine().run([desk.ods])
    assert desk.row(START.date()).achievement_date == YEAR_END
    with pytest.raises(DeclarationRefused, match="is not a claim"):
        declarations.declare(desk.ods, "QOF", october, START.date(), owner=desk.manager)
    assert outbox.items(desk.ods) == []
    assert desk.on_server() == []
