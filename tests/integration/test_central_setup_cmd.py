"""Setting up a region from the command line: add-practice and add-user through the real CLI entry, against
a temporary data folder; every refusal names the option, says what is allowed and changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from app.services.format import to_london
from central.cli import main
from central.db import make_engine, make_sessionmaker
from central.mail import outbox
from central.models import AchievementCount, AuditEntry, Organisation, RoleGrant, User
from central.server import start_in_thread

from .mail_outbox import activation_token_from_mail

PRACTICE = ["add-practice", "A81001", "--name", "Riverside Surgery", "--pcn", "U81001", "--pcn-name",
            "North PCN", "--icb", "Q7X", "--list-size", "8200"]
USER = ["add-user", "jo.bloggs@nhs.net", "--practice", "a81001", "--first-name", "Jo", "--last-name",
        "Bloggs", "--work-phone", "01632 960000", "--mobile", "+44 (0)7700 900123", "--role",
        "user administrator", "--role", "View"]
NEW_PASSWORD = "Riverside-Pass-26"


def run(folder: Path, *args: str) -> int:
    return main(["--data-dir", str(folder), *args])


def snapshot(folder: Path) -> tuple[int, ...]:
    """How many rows each setup table holds, and how many mails were sent."""
    engine = make_engine(f"sqlite:///{folder / 'central.db'}")
    try:
        with make_sessionmaker(engine)() as session:
            counts = tuple(session.scalar(select(func.count()).select_from(model)) or 0
                           for model in (Organisation, User, RoleGrant, AuditEntry, AchievementCount))
    finally:
        engine.dispose()
    mails = len(list(outbox(folder).glob("*.eml"))) if outbox(folder).exists() else 0
    return (*counts, mails)


@pytest.fixture
def region(tmp_path: Path) -> Path:
    assert run(tmp_path, "init-admin", "icb.admin@nhs.net", "--commissioner", "Q7X", "--commissioner-name",
               "NHS Test ICB") == 0
    return tmp_path


def test_a_practice_and_its_user_set_up_from_the_cli_can_sign_in(region: Path, capsys) -> None:
    capsys.readouterr()
    assert run(region, *PRACTICE) == 0
    assert "Added Riverside Surgery (A81001) under North PCN (U81001), NHS Test ICB (Q7X), list size 8,200" \
        in capsys.readouterr().out
    engine = make_engine(f"sqlite:///{region / 'central.db'}")
    with make_sessionmaker(engine)() as session:
        practice = session.scalars(select(Organisation).where(Organisation.ods_code == "A81001")).one()
        assert (practice.kind, practice.parent.ods_code, practice.parent.parent.ods_code) == \
            ("practice", "U81001", "Q7X")
        size = session.scalars(select(AchievementCount)
                               .where(AchievementCount.practice_id == practice.id)).one()
    engine.dispose()
    today = to_london(datetime.now(UTC)).date()
    assert (size.indicator_id, size.numerator) == ("LIST_SIZE", 8200)
    assert size.achievement_date == date(today.year, today.month, 1) - timedelta(days=1)  # end of last month

    assert run(region, *USER) == 0
    said = capsys.readouterr()
    token = activation_token_from_mail(region, "jo.bloggs@nhs.net")
    assert token not in said.out + said.err
    assert "Added jo.bloggs@nhs.net at Riverside Surgery (A81001) with User Administrator, View." in said.out
    assert "mailed to jo.bloggs@nhs.net" in said.out

    running = start_in_thread(region)
    try:
        ca, api = str(running.ca_path), running.api_url
        assert requests.post(api + "/auth/activate", json={"token": token, "password": NEW_PASSWORD},
                             verify=ca, timeout=10).status_code == 200
        signed_in = requests.post(api + "/auth/token", json={"email": "jo.bloggs@nhs.net",
                                                             "password": NEW_PASSWORD}, verify=ca, timeout=10)
        bearer = {"Authorization": "Bearer " + signed_in.json()["access_token"]}
        me = requests.get(api + "/me", headers=bearer, verify=ca, timeout=10).json()
    finally:
        running.stop()
    roles = [(o["ods"], o["roles"]) for o in me["organisations"]]
    assert roles == [("A81001", ["User Administrator", "View"])]
    assert (me["user"]["work_phone"], me["user"]["mobile"]) == ("01632 960000", "+44 (0)7700 900123")


def test_running_either_command_again_says_so_and_changes_nothing(region: Path, capsys) -> None:
    assert run(region, *PRACTICE) == 0
    assert run(region, *USER) == 0
    before = snapshot(region)
    capsys.readouterr()
    assert run(region, *PRACTICE) == 0
    assert "already exists here; nothing was changed" in capsys.readouterr().out
    assert run(region, *USER) == 0
    assert "already has User Administrator, View at Riverside Surgery (A81001); nothing was changed" \
        in capsys.readouterr().out
    assert run(region, *[v if v != "Riverside Surgery" else "Other Surgery" for v in PRACTICE]) == 2
    assert "CODE: A81001 already exists here as the practice Riverside Surgery (A81001) under U81001" \
        in capsys.readouterr().err
    assert snapshot(region) == before

    assert run(region, *USER[:-2], "--role", "Finance View") == 0  # a new role for the same person
    said = capsys.readouterr().out
    assert "Updated jo.bloggs@nhs.net at Riverside Surgery (A81001) with Finance View." in said


@pytest.mark.parametrize(("change", "option", "allowed"), [
    ({"A81001": "A8100"}, "CODE", "is not an ODS code (a capital letter then 5 capital letters or digits"),
    ({"U81001": "U-81001"}, "--pcn", "is not an ODS code"),
    ({"8200": "0"}, "--list-size", "a whole number from 1 to 1,000,000"),
    ({"Riverside Surgery": " "}, "--name", "This is required."),
    ({"Riverside Surgery": "Surgery 943 476 5919"}, "--name", "looks like an NHS number"),
    ({"Q7X": "Q6X"}, "--icb", "Q6X is not a commissioner known here. Add it first with cqrs-central "
                              "init-admin EMAIL --commissioner Q6X"),
    ({"North PCN": None}, "--pcn", "U81001 is not a PCN known here: give --pcn-name to add it under Q7X"),
])
def test_a_refused_add_practice_names_the_option_and_changes_nothing(
        region: Path, capsys, change: dict[str, str | None], option: str, allowed: str) -> None:
    args = [change.get(v, v) for v in PRACTICE]
    if None in args:  # drop the option whose value is None
        at = args.index(None)
        del args[at - 1:at + 1]
    before = snapshot(region)
    capsys.readouterr()
    assert run(region, *args) == 2  # type: ignore[arg-type]
    err = capsys.readouterr().err
    assert f"{option}: " in err and allowed in err and "Nothing was changed." in err
    assert snapshot(region) == before


def test_a_pcn_under_another_commissioner_is_refused(region: Path, capsys) -> None:
    assert run(region, "init-admin", "other.admin@nhs.net", "--commissioner", "Q6X", "--commissioner-name",
               "NHS Other ICB") == 0
    assert run(region, *PRACTICE) == 0
    before = snapshot(region)
    capsys.readouterr()
    args = [{"A81001": "A81002", "Q7X": "Q6X"}.get(v, v) for v in PRACTICE]
    assert run(region, *args) == 2
    assert "--pcn: PCN U81001 is under Q7X, not Q6X." in capsys.readouterr().err
    assert snapshot(region) == before


def test_a_list_size_that_is_not_a_number_is_refused_by_name(region: Path, capsys) -> None:
    before = snapshot(region)
    with pytest.raises(SystemExit) as exited:
        run(region, *[{"8200": "lots"}.get(v, v) for v in PRACTICE])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--list-size: 'lots' is not allowed (the registered list size, a whole number" in err
    assert snapshot(region) == before


@pytest.mark.parametrize(("change", "option", "allowed"), [
    ({"jo.bloggs@nhs.net": "jo.bloggs@gmail.com"}, "EMAIL",
     "must be an NHS address ending @nhs.net or @nhs.uk"),
    ({"01632 960000": "12345"}, "--work-phone", "Enter a UK number of 10 or 11 digits starting 0 (or +44)"),
    ({"01632 960000": "01632 96OOOO"}, "--work-phone", "Use digits, spaces and + ( ) - only."),
    ({"+44 (0)7700 900123": "+1 202 555 0100"}, "--mobile", "Enter a UK number of 10 or 11 digits"),
    ({"Jo": ""}, "--first-name", "This is required."),
    ({"Bloggs": "9434765919"}, "--last-name", "looks like an NHS number"),
    ({"View": "Boss"}, "--role", "Not a practice role: Boss. The roles are: "),
    ({"a81001": "A89999"}, "--practice", "A89999 is not a practice known here. Add it first: cqrs-central "
                                         "add-practice A89999"),
    ({"a81001": "Q7X"}, "--practice", "'Q7X' is not an ODS code"),
])
def test_a_refused_add_user_names_the_option_and_changes_nothing(
        region: Path, capsys, change: dict[str, str], option: str, allowed: str) -> None:
    assert run(region, *PRACTICE) == 0
    before = snapshot(region)
    capsys.readouterr()
    assert run(region, *[change.get(v, v) for v in USER]) == 2
    err = capsys.readouterr().err
    assert f"{option}: " in err and allowed in err and "Nothing was changed." in err
    assert snapshot(region) == before


def test_add_user_needs_a_role_and_lists_them(region: Path, capsys) -> None:
    assert run(region, *PRACTICE) == 0
    capsys.readouterr()
    assert run(region, *USER[:-4]) == 2
    err = capsys.readouterr().err
    assert "--role: Give at least one role. The roles are: User Administrator, Finance View" in err
