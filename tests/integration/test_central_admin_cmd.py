"""The administration commands: init-admin mails a working activation code; approve moves a
declaration on from the command line; serve refuses half a certificate pair."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import requests

from central.admin_cmd import run_approve, run_init_admin, run_serve
from central.db import make_engine, make_sessionmaker, migrate
from central.declarations_flow import AWAITING_COMMISSIONER
from central.directory import create_organisation
from central.models import COMMISSIONER, PRACTICE, Declaration
from central.server import start_in_thread

from .mail_outbox import activation_token_from_mail

ADMIN_PASSWORD = "Icb-Admin-Pass-1"


def test_init_admin_mails_a_code_that_activates_the_account_and_never_prints_it(tmp_path) -> None:
    out = io.StringIO()
    assert run_init_admin(tmp_path, "icb.admin@nhs.net", commissioner="Q9X", commissioner_name="NHS Test ICB",
                          out=out) == 0
    token = activation_token_from_mail(tmp_path, "icb.admin@nhs.net")
    assert token not in out.getvalue()
    assert "mailed to icb.admin@nhs.net" in out.getvalue()
    running = start_in_thread(tmp_path)
    try:
        ca = str(running.ca_path)
        activated = requests.post(running.api_url + "/auth/activate", verify=ca, timeout=5,
                                  json={"token": token, "password": ADMIN_PASSWORD})
        assert activated.status_code == 200
        signed_in = requests.post(running.api_url + "/auth/token", verify=ca, timeout=5,
                                  json={"email": "icb.admin@nhs.net", "password": ADMIN_PASSWORD})
        me = requests.get(running.api_url + "/me", verify=ca, timeout=5,
                          headers={"Authorization": "Bearer " + signed_in.json()["access_token"]}).json()
        assert me["organisations"][0]["roles"] == ["Advanced User Administrator"]
    finally:
        running.stop()
    again = io.StringIO()
    assert run_init_admin(tmp_path, "icb.admin@nhs.net", out=again) == 0  # the one commissioner is found
    assert "already activated" in again.getvalue()


def test_init_admin_refuses_a_non_nhs_email_or_an_unknown_commissioner(tmp_path) -> None:
    assert run_init_admin(tmp_path, "someone@example.com") == 2
    assert run_init_admin(tmp_path, "someone@nhs.net") == 2  # no commissioner exists yet


def test_approve_from_the_command_line(tmp_path) -> None:
    now = datetime.now(UTC)
    engine = make_engine(f"sqlite:///{tmp_path / 'central.db'}")
    migrate(engine)
    with make_sessionmaker(engine)() as session:
        icb = create_organisation(session, COMMISSIONER, "Q8X", "ICB", now)
        practice = create_organisation(session, PRACTICE, "Z98001", "Practice", now, parent=icb)
        declaration = Declaration(practice_id=practice.id, service="QOF", achievement_date=date(2025, 10, 31),
                                  status=AWAITING_COMMISSIONER, points="1", payment="2", snapshot={},
                                  history=[], updated_at=now)
        session.add(declaration)
        session.commit()
        declaration_id = declaration.id
    engine.dispose()
    out = io.StringIO()
    assert run_approve(tmp_path, declaration_id, finance=True) == 2  # not approved yet
    assert run_approve(tmp_path, declaration_id, out=out) == 0
    assert "is now Approved" in out.getvalue()
    assert run_approve(tmp_path, declaration_id, finance=True, out=out) == 0
    assert "Finance Approved" in out.getvalue()
    assert run_approve(tmp_path, 424242) == 2


def test_serve_needs_both_certificate_files(tmp_path) -> None:
    assert run_serve(tmp_path, cert="server.pem") == 2
    assert run_serve(tmp_path, allow_networks=["not-a-network"]) == 2
