"""Manual entry on the desktop against the real central service over TLS, with a real SQLite cache:
drafts kept offline, queued entries sent exactly once, amendments with If-Match, refusals (approved,
window closed, no role), conflicts with both versions kept, the checks as typed, and each entry's history.

Each test gets its own practice (under the same PCN and commissioner as Z91001), so the entries other
tests make for October 2025 cannot become the entry a form amends.
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import database
from app.models.outbox import OutboxStatus
from app.services import cache_store, outbox
from app.services import manual_entry as me
from app.services.auth import Auth
from app.services.profile import load_profile
from app.services.rules import load_rules
from app.services.secrets import TokenStore
from app.services.sync import SyncEngine, SyncStopped
from central.directory import create_organisation
from central.ingest import ingest_text
from central.models import PRACTICE, ManualEntry, Organisation, User
from central.security import ACHIEVEMENT_ENTRY, PRACTICE_ROLES, SUPERVISOR, VIEW
from central.server import RunningServer

from .conftest import PASSWORD, START, Api, FakeClock, World

OCTOBER = date(2025, 10, 31)  # its entry window is 1-12 Nov 2025
HEADER = "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca\n"
TODAY = date(2025, 11, 5)  # the clock's start
_codes = itertools.count(301)


@pytest.fixture
def practice(world: World) -> Organisation:
    """A new practice under Z91001's PCN: no entries yet, the national timetable in its feed."""
    with world.session() as session:
        pcn = session.get_one(Organisation, world.practice.parent_id)
        org = create_organisation(session, PRACTICE, f"Z91{next(_codes)}", "Fresh Surgery", START, parent=pcn)
        session.commit()
        session.refresh(org)
        session.expunge(org)
        return org


@pytest.fixture
def manager(world: World, practice: Organisation) -> str:
    return world.user({practice: PRACTICE_ROLES}, "manager")


@pytest.fixture
def sign_in(server: RunningServer, cache_db: Path, memory_keyring: object) -> Iterator[Callable[[str], Auth]]:
    opened: list[Auth] = []

    def sign_in_(email: str) -> Auth:
        auth = Auth(server.base_url, TokenStore(), ca_file=server.ca_path)
        auth.sign_in(email, PASSWORD)
        opened.append(auth)
        return auth

    yield sign_in_
    for auth in opened:
        auth.close()


@pytest.fixture
def engine(sign_in: Callable[[str], Auth], manager: str, practice: Organisation) -> SyncEngine:
    engine = SyncEngine(sign_in(manager), sleep=lambda _seconds: None)
    engine.run([practice.ods_code])  # the timetable, so the app knows the entry windows
    return engine


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _on_server(world: World, practice: Organisation) -> list[ManualEntry]:
    with world.session() as session:
        return list(session.scalars(select(ManualEntry).where(ManualEntry.practice_id == practice.id)
                                    .order_by(ManualEntry.id)))


def _row(ods: str, service: str = "WM", today: date | None = TODAY) -> me.EntryRow:
    rows = [r for r in me.entries(ods, today) if r.service == service and r.achievement_date == OCTOBER]
    assert len(rows) == 1, rows
    return rows[0]


WM = {"REFERRALS": "11"}


def _submit(engine: SyncEngine, ods: str, values: dict[str, str] | None = None) -> int:
    me.queue(ods, me.form_for("WM", OCTOBER), values or WM, "From the referral log", TODAY,
             owner=engine.auth.email)
    assert engine.run([ods]).pushed == 1
    return _row(ods).entry_id


# --- drafts, queuing offline, exactly once --------------------------------------------------------------

def test_an_offline_draft_queued_while_unreachable_reaches_the_server_exactly_once(
        engine: SyncEngine, world: World, practice: Organisation, server: RunningServer,
        manager: str) -> None:
    ods = practice.ods_code
    form = me.form_for("WM", OCTOBER)
    me.save_draft(ods, form, {"REFERRALS": "1x"}, "Half done")  # invalid: still kept
    me.save_draft(ods, form, {"REFERRALS": "11"}, "From the referral log")
    database.close_cache()
    database.open_cache()  # the app was closed and opened again
    draft = outbox.load_draft(ods, "WM", OCTOBER)
    assert draft.values == {"REFERRALS": 11} and draft.notes == "From the referral log"
    assert _row(ods).status == me.DRAFT and _row(ods).held == "This PC only"

    item = me.queue(ods, form, WM, "From the referral log", TODAY, owner=engine.auth.email)
    assert outbox.load_draft(ods, "WM", OCTOBER) is None  # the draft became the queued item
    assert _row(ods).status == me.QUEUED and _row(ods).values == {"REFERRALS": 11}

    offline = Auth(f"https://127.0.0.1:{_closed_port()}", TokenStore(), ca_file=server.ca_path)
    offline.client.set_token("any")
    offline.profile = engine.auth.profile  # the same person, signed in before the network went
    with pytest.raises(SyncStopped):
        SyncEngine(offline, sleep=lambda _seconds: None).run([ods])
    offline.close()
    assert outbox.get(item.key).status is OutboxStatus.QUEUED and _on_server(world, practice) == []

    assert engine.run([ods]).pushed == 1  # back online
    # As if the app died before it heard the answer: the same item again.
    outbox.resubmit(item.key, owner=engine.auth.email)
    assert engine.run([ods]).pushed == 1
    stored = _on_server(world, practice)
    assert [(e.values, e.notes, e.status) for e in stored] == [
        ({"REFERRALS": 11}, "From the referral log", "submitted")]
    row = _row(ods)
    assert (row.status, row.held, row.entry_id, row.version) == (me.SUBMITTED, "CQRS", stored[0].id, 1)
    assert [(h.what, h.by) for h in row.history] == [("Submitted", manager)]


def test_a_replayed_amendment_is_applied_once(engine: SyncEngine, world: World,
                                              practice: Organisation) -> None:
    ods = practice.ods_code
    entry_id = _submit(engine, ods)
    item = me.amend(ods, entry_id, {"REFERRALS": "12"}, "Recounted", 1, TODAY, owner=engine.auth.email)
    assert engine.run([ods]).pushed == 1
    outbox.resubmit(item.key, owner=engine.auth.email)  # sent again with the same key and the old If-Match
    assert engine.run([ods]).pushed == 1  # the first answer, not a conflict
    assert outbox.get(item.key).status is OutboxStatus.SENT
    [stored] = _on_server(world, practice)
    assert stored.version == 2 and stored.values["REFERRALS"] == 12


# --- amending -----------------------------------------------------------------------------------------

def test_amend_sends_if_match_and_the_new_values(engine: SyncEngine, world: World,
                                                 practice: Organisation) -> None:
    ods = practice.ods_code
    entry_id = _submit(engine, ods)
    item = me.amend(ods, entry_id, {"REFERRALS": "14"}, "Recounted", 1, TODAY, owner=engine.auth.email)
    assert (item.method, item.if_match) == ("PUT", "1")
    assert _row(ods).status == me.QUEUED and _row(ods).values["REFERRALS"] == 14
    with pytest.raises(me.EntryRefused, match="waiting to be sent"):  # one change at a time
        me.amend(ods, entry_id, {"REFERRALS": "15"}, "", 1, TODAY, owner=engine.auth.email)
    engine.run([ods])
    [stored] = _on_server(world, practice)
    assert (stored.version, stored.values, stored.notes) == (2, {"REFERRALS": 14},
                                                            "Recounted")
    assert _row(ods).version == 2 and _row(ods).status == me.SUBMITTED

    # A new form for the same service and date amends the entry rather than making a second one.
    again = me.queue(ods, me.form_for("WM", OCTOBER), {"REFERRALS": "16"}, "", TODAY, owner=engine.auth.email)
    assert (again.method, again.if_match) == ("PUT", "2")
    engine.run([ods])
    assert [e.values["REFERRALS"] for e in _on_server(world, practice)] == [16]


def test_an_approved_entry_cannot_be_amended(engine: SyncEngine, world: World, practice: Organisation,
                                             api: Api) -> None:
    ods = practice.ods_code
    entry_id = _submit(engine, ods)
    approver = api.token(world.commissioner("Approval Management"))
    assert api.post(f"/practices/{ods}/manual-entries/{entry_id}/approve", approver).status_code == 200
    engine.run([ods])
    row = _row(ods)
    assert row.status == me.APPROVED and row.status_text == "Approved" and not row.can_amend
    with pytest.raises(me.EntryRefused, match="approved"):
        me.amend(ods, entry_id, {"REFERRALS": "1"}, "", row.version, TODAY, owner=engine.auth.email)
    with pytest.raises(me.EntryRefused, match="approved"):
        me.queue(ods, me.form_for("WM", OCTOBER), {"REFERRALS": "1"}, "", TODAY, owner=engine.auth.email)

    # A change queued before the approval arrived: CQRS refuses it, and the user's values are kept.
    stale = outbox.enqueue(ods, me.KIND, "PUT", f"/practices/{ods}/manual-entries/{entry_id}",
                           {"values": {"REFERRALS": 2}, "notes": None}, if_match=1, owner=engine.auth.email)
    assert engine.run([ods]).conflicts == 1
    row = _row(ods)
    assert row.status == me.CONFLICT and "approved on CQRS" in row.status_text
    assert row.values["REFERRALS"] == 2 and row.server_copy["status"] == "approved"
    with pytest.raises(me.EntryRefused, match="approved"):
        me.resolve_conflict(stale.key, "mine", owner=engine.auth.email)
    draft = me.resolve_conflict(stale.key, "theirs", owner=engine.auth.email)
    assert draft.values == {"REFERRALS": 2} and outbox.get(stale.key) is None


def test_outside_the_entry_window_nothing_can_be_queued_but_drafts_can_be_kept(
        engine: SyncEngine, world: World, practice: Organisation, clock: FakeClock,
        sign_in: Callable[[str], Auth], manager: str) -> None:
    ods = practice.ods_code
    entry_id = _submit(engine, ods)
    late = me.amend(ods, entry_id, {"REFERRALS": "20"}, "", 1, TODAY, owner=engine.auth.email)
    clock.advance(days=8)  # 13 Nov: October's window closed on the 12th
    today = date(2025, 11, 13)
    form = me.form_for("WM", OCTOBER)
    assert me.window_for(ods, "WM", OCTOBER, today).message == "The entry window closed on 12 Nov 2025."
    with pytest.raises(me.EntryRefused, match="closed on 12 Nov 2025"):
        me.amend(ods, entry_id, {"REFERRALS": "21"}, "", 1, today, owner=engine.auth.email)
    november = me.form_for("LDHC", date(2025, 11, 30))
    with pytest.raises(me.EntryRefused, match="opens on 1 Dec 2025 and closes on 12 Dec 2025"):
        me.queue(ods, november, {"LD_REG": "58"}, "", today, owner=engine.auth.email)
    assert me.save_draft(ods, november, {"LD_REG": "58"}).values == {"LD_REG": 58}

    # The amendment queued in time but sent late: CQRS refuses it; it is kept, with the reason.
    late_engine = SyncEngine(sign_in(manager), sleep=lambda _seconds: None)
    assert late_engine.run([ods]).conflicts == 1
    row = next(r for r in me.entries(ods, today) if r.outbox_key == late.key)
    # The service's reason, in the words the desktop itself uses (app.services.windows).
    assert row.status == me.FAILED and not row.can_amend
    assert row.status_text == "Not accepted: The entry window closed on 12 Nov 2025."
    assert row.values["REFERRALS"] == 20
    assert [e.values["REFERRALS"] for e in _on_server(world, practice)] == [11]
    with pytest.raises(me.EntryRefused, match="closed on 12 Nov 2025"):
        me.queue(ods, form, {"REFERRALS": "20"}, "", today, owner=engine.auth.email)
    assert me.save_draft(ods, form, {"REFERRALS": "20"}).values["REFERRALS"] == 20
    assert outbox.get(late.key) is None  # the refused item became the draft: one of them, never both


# --- conflicts ----------------------------------------------------------------------------------------

def test_a_stale_amendment_keeps_both_versions_and_mine_wins_when_chosen(
        engine: SyncEngine, world: World, practice: Organisation, api: Api) -> None:
    ods = practice.ods_code
    entry_id = _submit(engine, ods)
    colleague = api.token(world.user({practice: (ACHIEVEMENT_ENTRY,)}, "colleague"))
    path = f"/practices/{ods}/manual-entries/{entry_id}"
    theirs = api.call("PUT", path, colleague, json={"values": {"REFERRALS": 12}},
                      headers={"If-Match": "1"})
    assert theirs.status_code == 200

    mine = me.amend(ods, entry_id, {"REFERRALS": "13"}, "Ours", 1, TODAY, owner=engine.auth.email)  # saw v1
    assert engine.run([ods]).conflicts == 1
    row = _row(ods)
    assert row.status == me.CONFLICT and row.outbox_key == mine.key
    assert row.values == {"REFERRALS": 13}  # mine...
    assert row.server_copy["values"] == {"REFERRALS": 12}  # ...and theirs
    assert row.server_copy["version"] == 2
    with pytest.raises(me.EntryRefused, match="Choose which version"):
        me.save_draft(ods, me.form_for("WM", OCTOBER), {"REFERRALS": "1"})

    resent = me.resolve_conflict(mine.key, "mine", today=TODAY, owner=engine.auth.email)
    assert resent.status is OutboxStatus.QUEUED and resent.if_match == "2"
    assert engine.run([ods]).pushed == 1
    [stored] = _on_server(world, practice)
    assert (stored.version, stored.values, stored.notes) == (3, {"REFERRALS": 13}, "Ours")
    assert _row(ods).status == me.SUBMITTED


def test_choosing_theirs_keeps_mine_as_a_draft(engine: SyncEngine, world: World, practice: Organisation,
                                               api: Api) -> None:
    ods = practice.ods_code
    entry_id = _submit(engine, ods)
    colleague = api.token(world.user({practice: (ACHIEVEMENT_ENTRY,)}, "colleague"))
    api.call("PUT", f"/practices/{ods}/manual-entries/{entry_id}", colleague,
             json={"values": {"REFERRALS": 12}}, headers={"If-Match": "1"})
    mine = me.amend(ods, entry_id, {"REFERRALS": "13"}, "Ours", 1, TODAY, owner=engine.auth.email)
    engine.run([ods])

    draft = me.resolve_conflict(mine.key, "theirs", owner=engine.auth.email)
    assert draft.values == {"REFERRALS": 13} and draft.notes == "Ours"
    assert outbox.get(mine.key) is None
    engine.run([ods])
    statuses = {r.status: r for r in me.entries(ods, TODAY)}
    assert set(statuses) == {me.DRAFT, me.SUBMITTED}
    assert statuses[me.SUBMITTED].values["REFERRALS"] == 12 and statuses[me.SUBMITTED].version == 2
    assert statuses[me.DRAFT].entry_id == entry_id  # sending the draft amends version 2
    item = me.queue(ods, me.form_for("WM", OCTOBER), draft.values, draft.notes, TODAY,
                    owner=engine.auth.email)
    assert (item.method, item.if_match) == ("PUT", "2")


# --- checks as typed ----------------------------------------------------------------------------------

def test_forms_come_from_the_rules_with_plain_english_labels() -> None:
    wm = me.form_for("WM", OCTOBER)
    assert [(f.name, f.label) for f in wm.fields] == [("REFERRALS", "Referrals made")]
    assert wm.set_by_commissioner == ("ALLOCATION",)  # shown on the form, never entered by the practice
    assert all(f.required and f.kind == me.COUNT and (f.minimum, f.maximum) == (0, 2000) for f in wm.fields)
    ld = me.form_for("LDHC", OCTOBER)
    assert [(f.name, f.label, f.maximum) for f in ld.fields] == [
        ("LD_REG", "People on the learning disability register", 1500)]
    assert "paid for up to this number" in ld.fields[0].hint
    assert [f.name for f in me.form_for("RSVP", OCTOBER).fields] == ["DOSES"]
    with pytest.raises(me.EntryRefused, match="nothing to enter by hand"):
        me.form_for("MMR", OCTOBER)
    assert [code for code, _name in me.manual_services(OCTOBER)] == ["RSVP", "LDHC", "WM"]


def test_values_are_checked_as_typed_in_plain_english() -> None:
    wm = me.form_for("WM", OCTOBER)
    assert me.validate(wm, WM) == {}
    assert me.validate(wm, {"REFERRALS": "12.5"}) == {"REFERRALS": "Enter a whole number, without decimals."}
    assert me.validate(wm, {"REFERRALS": ""}) == {"REFERRALS": "Enter a whole number (0 if there were none)."}
    assert me.validate(wm, {"REFERRALS": "-3"}) == {"REFERRALS": "Must be 0 or more."}
    assert me.validate(wm, {"REFERRALS": "ten"}) == {
        "REFERRALS": "Enter a whole number using digits only, such as 58."}
    assert me.validate(wm, {"REFERRALS": "2,001"})["REFERRALS"].startswith("Must be no more than 2,000: ")
    assert me.values_of(wm, {"REFERRALS": " 1,234 "}) == {"REFERRALS": 1234}
    # Referrals above the allocation the commissioner set are true counts: allowed, with a warning.
    context = me.PracticeContext(counts={("WM", OCTOBER): {"REFERRALS": 9, "ALLOCATION": 134}})
    allocated = me.form_for("WM", OCTOBER, context)
    assert allocated.known == {"ALLOCATION": 134}
    over = {"REFERRALS": "150"}
    assert me.validate(allocated, over) == {}
    assert me.warnings(allocated, over) == {"REFERRALS": "More than the allocation of 134: only up to the "
                                                         "allocation is paid. You can still send it."}
    assert me.warnings(allocated, WM) == {} and me.warnings(wm, over) == {}  # no allocation known: no warning

    qof = me.FormDefinition("QOF", "QOF", OCTOBER, (me.FieldDefinition("NUMERATOR", "Numerator"),
                                                   me.FieldDefinition("DENOMINATOR", "Denominator"),
                                                   me.FieldDefinition("DONE", "Done", kind=me.YES_NO)))
    assert me.validate(qof, {"NUMERATOR": "41", "DENOMINATOR": "40", "DONE": "maybe"}) == {
        "NUMERATOR": "The numerator cannot be more than the denominator.", "DONE": "Choose yes or no."}
    assert me.values_of(qof, {"NUMERATOR": "4", "DENOMINATOR": "40", "DONE": "Yes"}) == {
        "NUMERATOR": 4, "DENOMINATOR": 40, "DONE": 1}


def test_the_list_size_synced_from_the_extract_bounds_what_the_form_accepts() -> None:
    context = me.PracticeContext(list_sizes={date(2025, 9, 30): 640, OCTOBER: 650})
    assert context.list_size_at(date(2025, 10, 15)) == 640 and context.list_size_at(date(2025, 9, 1)) is None
    ld = me.form_for("LDHC", OCTOBER, context)
    assert ld.list_size == 650
    assert me.validate(ld, {"LD_REG": "651"}) == {
        "LD_REG": "Must be no more than the practice's list size of 650 patients."}
    assert me.validate(ld, {"LD_REG": "650"}) == {}
    assert me.validate(me.form_for("LDHC", OCTOBER), {"LD_REG": "651"}) == {}  # list unknown: the maximum


INPUTS = [{"LD_REG": "58"}, {"LD_REG": "1,200"}, {"LD_REG": "1201"}, {"LD_REG": "1,501"}, {"LD_REG": "0"}]
RSVP_INPUTS = [{"DOSES": "1000"}, {"DOSES": "1001"}, {"DOSES": "12"}]


def test_the_forms_checks_agree_with_the_servers_for_the_same_inputs(
        engine: SyncEngine, world: World, practice: Organisation, api: Api, manager: str) -> None:
    ods = practice.ods_code
    with world.session() as session:  # an extract gives the practice a list size of 1,200
        ingest_text(session, f"{HEADER}{ods},QOF,LIST_SIZE,{OCTOBER},1200,,\n", load_rules("2025-26"),
                    clock=world.server.app.state.settings.clock)
        session.commit()
    engine.run([ods])
    context = me.practice_context(ods)
    assert context.list_size_at(OCTOBER) == 1200
    token = api.token(manager)
    for service, inputs in (("LDHC", INPUTS), ("RSVP", RSVP_INPUTS)):
        form = me.form_for(service, OCTOBER, context)
        for raw in inputs:
            client = me.validate(form, raw)
            body = {"service": service, "achievement_date": OCTOBER.isoformat(), "status": "draft",
                    "values": me.values_of(form, raw) or {k: int(v.replace(",", "")) for k, v in raw.items()}}
            answer = api.post(f"/practices/{ods}/manual-entries", token, json=body,
                              headers={"Idempotency-Key": f"agree-{service}-{raw}"})
            server = answer.json().get("error", {}).get("fields", {}) if answer.status_code == 422 else {}
            assert answer.status_code in (201, 422), answer.text
            assert {f"values.{k}": v for k, v in client.items()} == server, (service, raw)


def test_invalid_values_and_nhs_numbers_in_notes_are_never_queued(engine: SyncEngine,
                                                                  practice: Organisation) -> None:
    ods = practice.ods_code
    with pytest.raises(me.EntryRefused) as refused:
        me.queue(ods, me.form_for("LDHC", OCTOBER), {"LD_REG": "fifty"}, "x" * 2001, TODAY,
                 owner=engine.auth.email)
    assert refused.value.fields == {"LD_REG": "Enter a whole number using digits only, such as 58.",
                                    "notes": "Notes can be up to 2,000 characters."}
    with pytest.raises(me.EntryRefused) as nhs:
        me.queue(ods, me.form_for("LDHC", OCTOBER), {"LD_REG": "58"}, "Seen: 943 476 5919", TODAY,
                 owner=engine.auth.email)
    assert set(nhs.value.fields) == {"notes"} and "looks like an NHS number" in nhs.value.fields["notes"]
    assert "5919" not in nhs.value.fields["notes"] and "5919" not in nhs.value.user_message
    assert outbox.items(ods) == []


# --- roles and the second person --------------------------------------------------------------------

def test_a_view_only_users_entry_is_refused_by_the_server_and_kept_with_its_message(
        sign_in: Callable[[str], Auth], world: World, practice: Organisation) -> None:
    ods = practice.ods_code
    engine = SyncEngine(sign_in(world.user({practice: (VIEW,)}, "viewer")), sleep=lambda _seconds: None)
    engine.run([ods])
    item = me.queue(ods, me.form_for("LDHC", OCTOBER), {"LD_REG": "58"}, "", TODAY, owner=engine.auth.email)
    assert engine.run([ods]).failed == 1
    stored = outbox.get(item.key)
    assert stored.status is OutboxStatus.FAILED and stored.body["values"] == {"LD_REG": 58}
    assert stored.server_message == "You need the Achievement Entry role for this practice to do this."
    row = _row(ods, "LDHC")
    assert row.status == me.FAILED and row.status_text == f"Not accepted: {stored.server_message}"
    assert row.values == {"LD_REG": 58} and _on_server(world, practice) == []
    # Going back to it turns the refused item into the draft again: nothing typed is lost.
    me.save_draft(ods, me.form_for("LDHC", OCTOBER), {"LD_REG": "58"})
    assert outbox.get(item.key) is None and outbox.load_draft(ods, "LDHC", OCTOBER).values == {"LD_REG": 58}


def test_a_second_person_with_the_right_role_confirms_and_nobody_else_does(
        server: RunningServer, world: World, practice: Organisation, manager: str,
        engine: SyncEngine) -> None:
    ods = practice.ods_code
    supervisor = world.user({practice: (SUPERVISOR,)}, "supervisor")
    viewer = world.user({practice: (VIEW,)}, "viewer")

    def confirm(email: str, password: str = PASSWORD,
                values: dict | None = None) -> me.SecondPersonConfirmation:
        return me.confirm_second_person(ods, email, password, service="LDHC", achievement_date=OCTOBER,
                                        values=values or {"LD_REG": 58}, notes="", server_url=server.base_url,
                                        ca_file=str(server.ca_path))

    confirmed = confirm(supervisor)
    assert confirmed.name == "Test Supervisor" and len(confirmed.check) > 20
    assert load_profile().email == manager  # the signed-in user's profile is untouched
    with pytest.raises(me.SecondPersonRefused, match="does not have the Declaration Management"):
        confirm(viewer)
    with pytest.raises(me.SecondPersonRefused, match="email address or password is not right"):
        confirm(supervisor, "Wrong-Password-1")
    with pytest.raises(me.SecondPersonRefused, match="someone other than you"):
        confirm(manager.upper())
    with pytest.raises(me.SecondPersonRefused, match="would not accept these values"):
        confirm(supervisor, values={"LD_REG": 99_999})


def test_the_practices_rule_from_cqrs_decides_and_the_check_travels_with_the_entry(
        server: RunningServer, world: World, practice: Organisation, manager: str, engine: SyncEngine,
        api: Api) -> None:
    ods = practice.ods_code
    assert me.practice_context(ods).second_person_required is False
    admin = api.token(manager)  # the manager is the practice's User Administrator too
    assert api.call("PUT", f"/practices/{ods}/settings", admin,
                    json={"second_person_required": True}).status_code == 200
    engine.run([ods])
    assert me.practice_context(ods).second_person_required is True  # from the synced practice record
    form = me.form_for("LDHC", OCTOBER)
    with pytest.raises(me.EntryRefused, match="requires a second person"):
        me.queue(ods, form, {"LD_REG": "58"}, "From the register", TODAY, owner=engine.auth.email)

    supervisor = world.user({practice: (SUPERVISOR,)}, "supervisor")
    confirmed = me.confirm_second_person(ods, supervisor, PASSWORD, service="LDHC", achievement_date=OCTOBER,
                                         values=me.values_of(form, {"LD_REG": "58"}),
                                         notes="From the register", server_url=server.base_url,
                                         ca_file=str(server.ca_path))
    item = me.queue(ods, form, {"LD_REG": "58"}, "From the register", TODAY, confirmed.check,
                    owner=engine.auth.email)
    assert item.body["second_person_check"] == confirmed.check
    assert engine.run([ods]).pushed == 1
    [stored] = _on_server(world, practice)
    with world.session() as session:
        checker = session.get_one(User, stored.checked_by_id)
    assert checker.email == supervisor and stored.status == "submitted"
    assert cache_store.record(ods, "manual_entry", stored.id)["checked_by"] == supervisor


# --- history -----------------------------------------------------------------------------------------

def test_each_entry_shows_who_did_what_and_when(engine: SyncEngine, world: World, practice: Organisation,
                                                api: Api, manager: str, clock: FakeClock) -> None:
    ods = practice.ods_code
    entry_id = _submit(engine, ods)
    clock.advance(hours=1)
    me.amend(ods, entry_id, {"REFERRALS": "12"}, "", 1, TODAY, owner=engine.auth.email)
    engine.run([ods])
    approver_email = world.commissioner("Approval Management")
    clock.advance(hours=1)
    api.post(f"/practices/{ods}/manual-entries/{entry_id}/reject", api.token(approver_email),
             json={"reason": "The allocation for October is 120"})
    engine.run([ods])
    row = _row(ods)
    assert row.status == me.REJECTED and row.can_amend
    assert row.status_text == "Rejected: The allocation for October is 120"
    assert [(h.what, h.by, h.at.strftime("%d %b %H:%M")) for h in row.history] == [
        ("Submitted", manager, "05 Nov 10:00"), ("Amended", manager, "05 Nov 11:00"),
        ("Rejected", approver_email, "05 Nov 12:00")]

    me.save_draft(ods, me.form_for("WM", OCTOBER), {"REFERRALS": "12"})
    draft = next(r for r in me.entries(ods, TODAY) if r.status == me.DRAFT)
    assert [h.what for h in draft.history] == ["Submitted", "Amended", "Rejected", "Draft saved"]
    assert cache_store.record(ods, "manual_entry", entry_id)["history"][0]["by"] == manager
