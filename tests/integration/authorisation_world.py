"""The world the authorisation matrix runs in: practices under two commissioners, one user per role and
place, an extract with its calculated results, and fresh records (offers, manual entries, declarations,
users) made on demand so that a cell whose write succeeds never changes what the next cell finds.

Everything is made directly with the service's own models and functions, under ODS codes no other test
uses, so the matrix does not depend on the order the other test modules run in.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from app.services.rules import load_rules
from central.declarations_flow import AWAITING_COMMISSIONER
from central.directory import create_organisation
from central.ingest import ingest_text
from central.models import (
    COMMISSIONER,
    PCN,
    PENDING,
    PRACTICE,
    SUBMITTED,
    ActivationToken,
    Declaration,
    ExtractUpload,
    ManualEntry,
    Offer,
    Organisation,
    PracticeSuspension,
    RoleGrant,
    User,
)
from central.security import (
    COMMISSIONER_ROLES,
    EXTRACT_UPLOAD,
    PRACTICE_ROLES,
    SUPERVISOR,
    VIEW,
    new_token,
)

from .conftest import START, Api, FakeClock, World

OWN, NEIGHBOUR, ELSEWHERE = "Z97001", "Z97002", "Z97501"  # NEIGHBOUR: same PCN; ELSEWHERE: other ICB
ICB, OTHER_ICB = "Q7M", "Q8M"
MONTH = date(2025, 10, 31)  # START lies in this month's entry and declaration windows
# What the practice declares for MONTH: a V&I month is a claim (a monthly QOF result is not: QOF is declared
# for its year end only).
DECLARED_SERVICE = "6IN1"
EXAMPLE_EXTRACT = "resources/examples/extract-2025-26.csv"

# Where a caller holds their one role, seen from the practice every cell asks about (OWN).
ANONYMOUS = "anonymous"
OWN_PRACTICE = "own practice"
OTHER_PRACTICE = "other practice"
OWN_COMMISSIONER = "own commissioner"
OTHER_COMMISSIONER = "other commissioner"


@dataclass(frozen=True)
class Caller:
    role: str | None  # None: no token at all
    where: str

    @property
    def name(self) -> str:
        return ANONYMOUS if self.role is None else f"{self.role} @ {self.where}"


CALLERS = (
    (Caller(None, ANONYMOUS),)
    + tuple(Caller(role, OWN_PRACTICE) for role in PRACTICE_ROLES)
    + tuple(Caller(role, OTHER_PRACTICE) for role in PRACTICE_ROLES)
    + tuple(Caller(role, OWN_COMMISSIONER) for role in COMMISSIONER_ROLES)
    + tuple(Caller(role, OTHER_COMMISSIONER) for role in COMMISSIONER_ROLES)
    + (Caller(EXTRACT_UPLOAD, OWN_COMMISSIONER),)
)


def extract_text() -> str:
    """The example extract, moved to OWN and to MONTH: QOF, V&I and enhanced services, all with £."""
    with open(EXAMPLE_EXTRACT, encoding="utf-8") as handle:
        text = handle.read()
    return text.replace("Z99001,", f"{OWN},").replace(",2026-03-31,", f",{MONTH.isoformat()},")


@dataclass
class MatrixWorld:
    world: World
    api: Api
    orgs: dict[str, Organisation]
    emails: dict[str, str] = field(default_factory=dict)  # caller name -> email
    tokens: dict[str, str] = field(default_factory=dict)
    author_id: int = 0
    extract: str = ""
    serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def practice(self) -> Organisation:
        return self.orgs[OWN]

    def token(self, caller: Caller, fresh: bool = False) -> str | None:
        """The caller's access token (one sign-in per caller; ``fresh``: a new sign-in)."""
        if caller.role is None:
            return None
        if fresh:
            return self.api.token(self.emails[caller.name])
        if caller.name not in self.tokens:
            self.tokens[caller.name] = self.api.token(self.emails[caller.name])
        return self.tokens[caller.name]

    # --- fresh records at OWN -------------------------------------------------------------------

    def offer(self) -> dict[str, Any]:
        with self.world.session() as session:
            offer = Offer(practice_id=self.practice.id, service="WM", status=PENDING,
                          start_date=date(2025, 4, 1), end_date=date(2026, 3, 31),
                          response_deadline=date(2026, 3, 31), participation_only=False, created_at=START)
            session.add(offer)
            session.commit()
            return {"offer_id": offer.id}

    def entry(self, status: str = SUBMITTED) -> dict[str, Any]:
        with self.world.session() as session:
            entry = ManualEntry(practice_id=self.practice.id, service="LDHC", achievement_date=MONTH,
                                values={"LD_REG": 50}, notes=None, status=status, version=1,
                                created_by_id=self.author_id, updated_by_id=self.author_id,
                                created_at=START, updated_at=START)
            session.add(entry)
            session.commit()
            return {"entry_id": entry.id}

    def declaration(self, status: str = AWAITING_COMMISSIONER) -> dict[str, Any]:
        """A declared QOF period of its own (a date no other declaration uses) at ``status``."""
        with self.world.session() as session:
            declaration = Declaration(
                practice_id=self.practice.id, service="QOF",
                achievement_date=date(2023, 4, 1) + timedelta(days=next(self.serial)), status=status,
                points="10", payment="1234.5", snapshot={"DM020": {"points": "10", "payment": "1234.5"}},
                history=[], declared_by_id=self.author_id, declared_at=START, updated_at=START)
            session.add(declaration)
            session.commit()
            return {"declaration_id": declaration.id}

    def member(self, *roles: str, activated: bool = True, pending: str | None = None,
               suspended: bool = False, invited: bool = False) -> dict[str, Any]:
        """A new user of OWN with ``roles``; ``pending``: a role they granted themselves, unconfirmed."""
        email = self.world.user({self.practice: roles or (VIEW,)}, "member", activated=activated)
        with self.world.session() as session:
            user = session.scalars(select(User).where(User.email == email)).one()
            if pending:
                session.add(RoleGrant(user_id=user.id, organisation_id=self.practice.id, role=pending,
                                      granted_at=START, granted_by_id=user.id, pending=True))
            if suspended:
                session.add(PracticeSuspension(user_id=user.id, organisation_id=self.practice.id,
                                               disabled_at=START))
            if invited:
                session.add(ActivationToken(user_id=user.id, token_hash=new_token()[1], issued_at=START,
                                            expires_at=START + timedelta(days=14),
                                            organisation_id=self.practice.id))
            session.commit()
            return {"user_id": user.id, "role": pending or SUPERVISOR}

    def new_email(self) -> dict[str, Any]:
        return {"email": f"newcomer.{next(self.serial)}@nhs.net"}

    def key(self) -> dict[str, Any]:
        return {"key": f"matrix-{next(self.serial)}"}

    def reset_declaring(self) -> dict[str, Any]:
        """OWN's declaration of DECLARED_SERVICE for MONTH back where the practice may declare it again."""
        with self.world.session() as session:
            session.query(Declaration).filter_by(practice_id=self.practice.id, service=DECLARED_SERVICE,
                                                 achievement_date=MONTH).delete()
            session.commit()
        return {}

    # --- what a refused write must leave as it was ----------------------------------------------

    def rows(self, model: Any, **where: Any) -> list[tuple[Any, ...]]:
        """Every row of ``model`` matching ``where``, as plain tuples of its columns."""
        columns = [c.key for c in model.__table__.columns]
        with self.world.session() as session:
            found = session.scalars(select(model).filter_by(**where).order_by(model.id))
            return [tuple(getattr(row, c) for c in columns) for row in found]

    def count(self, model: Any, **where: Any) -> int:
        with self.world.session() as session:
            return session.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0

    def setting(self) -> bool:
        with self.world.session() as session:
            return session.get_one(Organisation, self.practice.id).second_person_required

    def clear_setting(self) -> None:
        with self.world.session() as session:
            session.get_one(Organisation, self.practice.id).second_person_required = False
            session.commit()


def build(world: World, api: Api, clock: FakeClock) -> MatrixWorld:
    """Organisations, one user per caller, the extract (results with £) and an author for records."""
    orgs: dict[str, Organisation] = {}
    with world.session() as session:
        icb = create_organisation(session, COMMISSIONER, ICB, "NHS Matrix ICB", START)
        pcn = create_organisation(session, PCN, "U97001", "Matrix PCN", START, parent=icb)
        other_icb = create_organisation(session, COMMISSIONER, OTHER_ICB, "NHS Other Matrix ICB", START)
        orgs = {ICB: icb, OTHER_ICB: other_icb,
                OWN: create_organisation(session, PRACTICE, OWN, "Matrix Surgery", START, parent=pcn),
                NEIGHBOUR: create_organisation(session, PRACTICE, NEIGHBOUR, "Next Door", START, parent=pcn),
                ELSEWHERE: create_organisation(session, PRACTICE, ELSEWHERE, "Far Away", START,
                                               parent=other_icb)}
        session.commit()
    places = {OWN_PRACTICE: orgs[OWN], OTHER_PRACTICE: orgs[NEIGHBOUR], OWN_COMMISSIONER: orgs[ICB],
              OTHER_COMMISSIONER: orgs[OTHER_ICB]}
    matrix = MatrixWorld(world, api, orgs)
    for caller in CALLERS:
        if caller.role is not None:
            matrix.emails[caller.name] = world.user({places[caller.where]: (caller.role,)}, "matrix")
    matrix.author_id = matrix.member(VIEW)["user_id"]
    matrix.extract = extract_text()
    with world.session() as session:
        ingest_text(session, matrix.extract, load_rules("2025-26"), clock=clock, filename="matrix.csv")
        session.commit()
    assert matrix.count(ExtractUpload) >= 1
    return matrix

