"""The service-running and administration commands of ``cqrs-central``: serve, init-admin, approve
(add-practice and add-user are in central.setup_cmd).

Each ``run_*`` function returns the exit status (0 success, 2 bad input) and prints plain English.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from central import audit, directory, mail
from central.db import begin_write, make_engine, make_sessionmaker, migrate
from central.declarations_flow import APPROVED, FINANCE_APPROVED, advance
from central.errors import ApiError
from central.models import COMMISSIONER, Declaration, Organisation
from central.security import ADVANCED_USER_ADMINISTRATOR, nhs_email_problem
from central.settings import DEFAULT_DATA_DIR, Settings, system_clock
from central.tls import ensure_self_signed

BAD_INPUT = 2


def run_serve(data_dir: Path | None, *, host: str = "127.0.0.1", port: int = 8443,
              db_url: str | None = None, cert: str | None = None, key: str | None = None,
              self_signed: bool = False, allow_networks: Sequence[str] = (), workers: int = 1,
              out: TextIO | None = None) -> int:
    """Serve HTTPS in the foreground, in ``workers`` processes (above 1 on PostgreSQL only). Without
    --cert/--key the local self-signed pair is used."""
    from central.server import serve, workers_problem  # uvicorn is needed only here

    out = out or sys.stdout
    if (cert is None) != (key is None) or (cert and self_signed):
        print("Give both --cert and --key, or --self-signed.", file=sys.stderr)
        return BAD_INPUT
    try:
        settings = Settings(data_dir or DEFAULT_DATA_DIR, db_url=db_url, allow_networks=tuple(allow_networks))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return BAD_INPUT
    problem = workers_problem(settings, workers)
    if problem:
        print(problem, file=sys.stderr)
        return BAD_INPUT
    if cert is None:
        tls = ensure_self_signed(settings.data_dir)
        print(f"Self-signed certificate; clients must trust this CA: {tls.ca_path}", file=out)
        cert, key = str(tls.cert_path), str(tls.key_path)
    shown_host = f"[{host}]" if ":" in host else host
    processes = f" with {workers} worker processes" if workers > 1 else ""
    print(f"Serving https://{shown_host}:{port}{processes} (API under /api/v1). Press Ctrl+C to stop.",
          file=out, flush=True)
    serve(settings, host=host, port=port, cert=cert, key=key, workers=workers)
    return 0


def run_init_admin(data_dir: Path | None, email: str, *, db_url: str | None = None,
                   commissioner: str | None = None, commissioner_name: str | None = None,
                   first_name: str | None = None, last_name: str | None = None, work_phone: str = "",
                   out: TextIO | None = None) -> int:
    """Make ``email`` an Advanced User Administrator of a commissioner; mail them a one-time activation code.

    The code goes to the mail outbox in the data dir like every invitation, never to the terminal or a log.
    """
    out = out or sys.stdout
    problem = nhs_email_problem(email)
    if problem:
        print(problem, file=sys.stderr)
        return BAD_INPUT
    settings_dir = data_dir or DEFAULT_DATA_DIR
    with cli_session(data_dir, db_url) as session:
        org = _commissioner(session, commissioner, commissioner_name)
        if isinstance(org, str):
            print(org, file=sys.stderr)
            return BAD_INPUT
        now = system_clock()
        user = directory.user_by_email(session, email)
        if user is None:
            local = email.split("@", 1)[0].replace("_", ".").split(".")
            user = directory.create_user(session, email, first_name or local[0].title(),
                                         last_name or (local[-1].title() if len(local) > 1 else ""),
                                         work_phone, now)
        directory.grant_role(session, user, org, ADVANCED_USER_ADMINISTRATOR, now)
        mailed = None
        if user.activated_at is None:
            token = directory.issue_activation(session, user, now, organisation=org)
            mailed = mail.send_activation(settings_dir, user.email, user.first_name, org.name, token,
                                          now + directory.ACTIVATION_LIFETIME, now)
        cli_audit(session, "admin created", "user", user.id, org.id, {"role": ADVANCED_USER_ADMINISTRATOR})
        session.commit()
    print(f"{email} is an {ADVANCED_USER_ADMINISTRATOR} of {org.name} ({org.ods_code}).", file=out)
    if mailed:
        print(f"The activation code (valid {directory.ACTIVATION_LIFETIME.days} days) was mailed to {email}; "
              f"the message is {mailed}.", file=out)
    else:
        print("The account is already activated; no token was issued.", file=out)
    return 0


def run_approve(data_dir: Path | None, declaration_id: int, *, finance: bool = False,
                db_url: str | None = None, out: TextIO | None = None) -> int:
    """Commissioner approval (or, with ``finance``, finance approval) of a declaration."""
    out = out or sys.stdout
    with cli_session(data_dir, db_url) as session:
        declaration = session.get(Declaration, declaration_id)
        if declaration is None:
            print(f"There is no declaration {declaration_id}.", file=sys.stderr)
            return BAD_INPUT
        try:
            to_status = FINANCE_APPROVED if finance else APPROVED
            advance(session, declaration, to_status, _cli_actor(), system_clock())
        except ApiError as exc:
            print(exc.message, file=sys.stderr)
            return BAD_INPUT
        session.commit()
        print(f"Declaration {declaration_id} ({declaration.service}, {declaration.achievement_date}) is now "
              f"{declaration.status}.", file=out)
    return 0


@contextmanager
def cli_session(data_dir: Path | None, db_url: str | None) -> Iterator[Session]:
    """A migrated database's session holding the write lock from its start (nothing commits unless told)."""
    settings = Settings(data_dir or DEFAULT_DATA_DIR, db_url=db_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with make_sessionmaker(engine)() as session:
            begin_write(session)
            yield session
    finally:
        engine.dispose()


def _commissioner(session: Session, ods: str | None, name: str | None) -> Organisation | str:
    """The commissioner to administer, created when named and new; or why it cannot be chosen."""
    if ods:
        org = directory.organisation(session, ods)
        if org is not None:
            return org if org.kind == COMMISSIONER else f"{ods} is a {org.kind}, not a commissioner."
        label = name or f"Commissioner {ods.upper()}"
        return directory.create_organisation(session, COMMISSIONER, ods, label, system_clock())
    found = list(session.scalars(select(Organisation).where(Organisation.kind == COMMISSIONER)))
    if len(found) == 1:
        return found[0]
    if not found:
        return "There is no commissioner yet: name one with --commissioner ODS --commissioner-name NAME."
    codes = ", ".join(o.ods_code for o in found)
    return f"There are several commissioners ({codes}): choose one with --commissioner ODS."


def _cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def cli_audit(session: Session, action: str, target_type: str, target_id: object, org_id: int,
              detail: dict[str, object]) -> None:
    """An audit entry whose actor is the operator at the command line."""
    audit.record(session, now=system_clock(), actor=_cli_actor(), action=action, target_type=target_type,
                 target_id=target_id, organisation_id=org_id, detail=detail)
