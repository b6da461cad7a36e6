"""Setting up a region from the command line: ``add-practice`` and ``add-user``.

Every value is checked before anything is written, with the rules the rest of the service uses (ODS
codes as extracts are read, NHS email and UK phone numbers as central.security states them, names free
of NHS numbers, practice role names from the shared rules); a refused command lists each problem by
option, says what is allowed, changes nothing and exits with status 2. A new user is mailed their
activation code the way ``init-admin`` does it (the mail outbox in the data dir, never the terminal).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy.orm import Session

from app.services.identifiers import free_text_problem
from app.services.rules import QOF_SERVICE
from app.services.windows import england_day
from central import directory, mail
from central.admin_cmd import BAD_INPUT, cli_audit, cli_session
from central.extract_check import MAX_COUNT, ODS_PATTERN
from central.models import AUTOMATED, COMMISSIONER, PCN, PRACTICE, AchievementCount, Organisation
from central.security import PRACTICE_ROLES, nhs_email_problem, uk_phone_problem
from central.settings import DEFAULT_DATA_DIR, system_clock

LIST_SIZE = "LIST_SIZE"
NAME_MAX = 200  # the organisations table's name column
PERSON_NAME_MAX = 100
ODS_RULE = "a capital letter then 5 capital letters or digits, e.g. A81001"


@dataclass(frozen=True)
class Practice:
    code: str
    name: str
    pcn: str
    icb: str
    list_size: int
    pcn_name: str | None = None


@dataclass(frozen=True)
class Person:
    email: str
    first_name: str
    last_name: str
    work_phone: str
    mobile: str | None
    practice: str
    roles: tuple[str, ...]


def _refuse(problems: dict[str, str]) -> int:
    for option, problem in problems.items():
        print(f"{option}: {problem}", file=sys.stderr)
    print("Nothing was changed.", file=sys.stderr)
    return BAD_INPUT


def _text_problem(value: str, longest: int) -> str | None:
    if not value.strip():
        return "This is required."
    if len(value.strip()) > longest:
        return f"Use at most {longest} characters."
    return free_text_problem(value)


def _code_problem(code: str) -> str | None:
    return None if ODS_PATTERN.fullmatch(code) else f"{code!r} is not an ODS code ({ODS_RULE})."


# --- add-practice -------------------------------------------------------------------------------

def practice_problems(practice: Practice) -> dict[str, str]:
    """What is wrong with the values alone, by option."""
    problems = {"CODE": _code_problem(practice.code), "--name": _text_problem(practice.name, NAME_MAX),
                "--pcn": _code_problem(practice.pcn),
                "--pcn-name": _text_problem(practice.pcn_name, NAME_MAX) if practice.pcn_name is not None
                else None,
                "--list-size": None if 1 <= practice.list_size <= MAX_COUNT
                else f"Give the registered list size: a whole number from 1 to {MAX_COUNT:,}."}
    return {option: problem for option, problem in problems.items() if problem}


def run_add_practice(data_dir: Path | None, practice: Practice, *, db_url: str | None = None,
                     out: TextIO | None = None) -> int:
    """Add a practice under its PCN (made when new and named) and its commissioner (which must exist)."""
    out = out or sys.stdout
    practice = Practice(practice.code.strip().upper(), practice.name.strip(), practice.pcn.strip().upper(),
                        practice.icb.strip().upper(), practice.list_size,
                        practice.pcn_name.strip() if practice.pcn_name is not None else None)
    problems = practice_problems(practice)
    if problems:
        return _refuse(problems)
    with cli_session(data_dir, db_url) as session:
        existing = directory.organisation(session, practice.code)
        if existing is not None:
            return _already(existing, practice, out)
        icb = directory.organisation(session, practice.icb)
        if icb is None or icb.kind != COMMISSIONER:
            return _refuse({"--icb": f"{practice.icb} is not a commissioner known here. Add it first with "
                                     f"cqrs-central init-admin EMAIL --commissioner {practice.icb} "
                                     "--commissioner-name NAME."})
        pcn = _pcn(session, practice, icb)
        if isinstance(pcn, dict):
            return _refuse(pcn)
        now = system_clock()
        org = directory.create_organisation(session, PRACTICE, practice.code, practice.name, now, parent=pcn)
        session.add(AchievementCount(practice_id=org.id, service=QOF_SERVICE, indicator_id=LIST_SIZE,
                                     achievement_date=_month_before(england_day(now)),
                                     numerator=practice.list_size, source=AUTOMATED, updated_at=now))
        cli_audit(session, "practice added", "organisation", org.ods_code, org.id,
               {"pcn": pcn.ods_code, "commissioner": icb.ods_code, "list_size": practice.list_size})
        session.commit()
    print(f"Added {practice.name} ({practice.code}) under {pcn.name} ({pcn.ods_code}), {icb.name} "
          f"({icb.ods_code}), list size {practice.list_size:,}.", file=out)
    return 0


def _month_before(today: date) -> date:
    """The last day of last month: the latest achievement date an extract could bring a list size for."""
    return today.replace(day=1) - timedelta(days=1)


def _pcn(session: Session, practice: Practice, icb: Organisation) -> Organisation | dict[str, str]:
    pcn = directory.organisation(session, practice.pcn)
    if pcn is None:
        if practice.pcn_name is None:
            return {"--pcn": f"{practice.pcn} is not a PCN known here: give --pcn-name to add it under "
                             f"{icb.ods_code}."}
        return directory.create_organisation(session, PCN, practice.pcn, practice.pcn_name, system_clock(),
                                             parent=icb)
    if pcn.kind != PCN:
        return {"--pcn": f"{practice.pcn} is a {pcn.kind}, not a PCN."}
    if pcn.parent_id != icb.id:
        above = pcn.parent.ods_code if pcn.parent else "no commissioner"
        return {"--pcn": f"PCN {pcn.ods_code} is under {above}, not {icb.ods_code}."}
    return pcn


def _already(existing: Organisation, practice: Practice, out: TextIO) -> int:
    """A re-run for a code already here: the same practice is fine (0); anything else is refused (2)."""
    pcn = directory.ancestor(existing, PCN)
    icb = directory.ancestor(existing, COMMISSIONER)
    where = f"{existing.kind} {existing.name} ({existing.ods_code})"
    if existing.kind == PRACTICE and existing.name == practice.name and pcn is not None \
            and pcn.ods_code == practice.pcn and icb is not None and icb.ods_code == practice.icb:
        print(f"The {where} already exists here; nothing was changed.", file=out)
        return 0
    return _refuse({"CODE": f"{practice.code} already exists here as the {where}"
                            + (f" under {pcn.ods_code}" if pcn else "") + "."})


# --- add-user -----------------------------------------------------------------------------------

def person_problems(person: Person) -> dict[str, str]:
    """What is wrong with the values alone, by option."""
    problems = {"EMAIL": nhs_email_problem(person.email) or free_text_problem(person.email),
                "--first-name": _text_problem(person.first_name, PERSON_NAME_MAX),
                "--last-name": _text_problem(person.last_name, PERSON_NAME_MAX),
                "--work-phone": uk_phone_problem(person.work_phone) if person.work_phone.strip()
                else "This is required.",
                "--mobile": uk_phone_problem(person.mobile) if person.mobile else None,
                "--practice": _code_problem(person.practice)}
    unknown = [role for role in person.roles if role not in PRACTICE_ROLES]
    if not person.roles or unknown:
        said = f"Not a practice role: {', '.join(unknown)}. " if unknown else "Give at least one role. "
        problems["--role"] = said + "The roles are: " + ", ".join(PRACTICE_ROLES) + "."
    return {option: problem for option, problem in problems.items() if problem}


def canonical_role(text: str) -> str:
    """A role name as typed (any case, spare spaces) as the service names it; unknown names unchanged."""
    wanted = " ".join(text.split()).lower()
    return next((role for role in PRACTICE_ROLES if role.lower() == wanted), text.strip())


def run_add_user(data_dir: Path | None, person: Person, *, db_url: str | None = None,
                 out: TextIO | None = None) -> int:
    """Give a person roles at a practice; a new account is mailed its activation code."""
    out = out or sys.stdout
    roles = tuple(dict.fromkeys(canonical_role(role) for role in person.roles))
    person = Person(person.email.strip().lower(), person.first_name.strip(), person.last_name.strip(),
                    person.work_phone.strip(), (person.mobile or "").strip() or None,
                    person.practice.strip().upper(), roles)
    problems = person_problems(person)
    if problems:
        return _refuse(problems)
    settings_dir = data_dir or DEFAULT_DATA_DIR
    with cli_session(data_dir, db_url) as session:
        practice = directory.organisation(session, person.practice)
        if practice is None or practice.kind != PRACTICE:
            return _refuse({"--practice": f"{person.practice} is not a practice known here. Add it first: "
                                          f"cqrs-central add-practice {person.practice} --name ... "
                                          "--pcn ... --icb ... --list-size ..."})
        now = system_clock()
        user = directory.user_by_email(session, person.email)
        new = user is None
        if user is None:
            user = directory.create_user(session, person.email, person.first_name, person.last_name,
                                         person.work_phone, now, mobile=person.mobile)
        added = [role for role in person.roles if directory.grant_role(session, user, practice, role, now)]
        token = directory.issue_activation(session, user, now, organisation=practice) \
            if user.activated_at is None and (new or added) else None
        if added:
            cli_audit(session, "user added" if new else "roles granted", "user", user.id, practice.id,
                   {"roles": added})
        session.commit()
        mailed = _mail(settings_dir, person, user.first_name, practice.name, token, now) if token else None
    _report(person, practice, new, added, mailed, out)
    return 0


def _mail(data_dir: Path, person: Person, first_name: str, practice_name: str, token: str,
          now: datetime) -> Path:
    return mail.send_activation(data_dir, person.email, first_name, practice_name, token,
                                now + directory.ACTIVATION_LIFETIME, now)


def _report(person: Person, practice: Organisation, new: bool, added: list[str], mailed: Path | None,
            out: TextIO) -> None:
    where = f"{practice.name} ({practice.ods_code})"
    if not added:
        print(f"{person.email} already has {', '.join(person.roles)} at {where}; nothing was changed.",
              file=out)
        return
    print(f"{'Added' if new else 'Updated'} {person.email} at {where} with {', '.join(added)}.", file=out)
    if mailed:
        print(f"The activation code (valid {directory.ACTIVATION_LIFETIME.days} days) was mailed to "
              f"{person.email}; the message is {mailed}.", file=out)
