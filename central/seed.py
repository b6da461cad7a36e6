"""``cqrs-central seed-demo``: the demo region, its users and a year of achievement (deterministic).

NHS Example ICB > Riverside PCN > four practices, the demo one being Riverside Medical Practice
(Z99001). Monthly extracts April 2025 to March 2026 go in through the same ingest as real ones;
the LD register and weight-management referrals arrive as manual entries approved by the ICB, and the
ICB sets each practice's weight-management referral allocation, as they do on CQRS.
Seeding twice changes nothing.

The demo lives in early April 2026, just after the QOF year end: the March entry window, the March
declarations and the QOF year-end entry window are open. :func:`demo_clock` gives the service
that date, moving on in real time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from app.services.rules import QOF_SERVICE, RuleSet, load_rules
from central import allocations, audit, feed
from central import declarations_flow as flow
from central.db import begin_write, make_engine, make_sessionmaker, migrate
from central.demo_data import (
    COMMISSIONER,
    PCN,
    PRACTICES,
    DemoPractice,
    commissioner_counts,
    declaration_steps,
    demo_extracts,
    manual_counts,
    manual_entry_times,
)
from central.directory import create_organisation, create_user, grant_role, organisation
from central.ingest import ingest_text, recalculate
from central.models import ACCEPTED, APPROVED, PENDING, SUBMITTED, ManualEntry, Offer, Organisation, User
from central.models import COMMISSIONER as COMMISSIONER_KIND
from central.models import PCN as PCN_KIND
from central.models import PRACTICE as PRACTICE_KIND
from central.records import manual_entry_record, offer_record
from central.security import COMMISSIONER_ROLES, EXTRACT_UPLOAD, PRACTICE_ROLES, VIEW, hash_password
from central.settings import Clock, Settings
from central.timetable_store import replace_year

YEAR = "2025-26"
DEMO_PASSWORD = "Demo-Password-2026"
DEMO_TODAY = datetime(2026, 4, 8, 9, 0, tzinfo=UTC)

# (email, first name, last name, work phone, organisation code, roles)
DEMO_USERS = (
    ("practice.manager@nhs.net", "Sarah", "Okafor", "01632 960 101", "Z99001", PRACTICE_ROLES),
    ("viewer@nhs.net", "Tom", "Hughes", "01632 960 102", "Z99001", (VIEW,)),
    ("bridge.manager@nhs.net", "Priya", "Raman", "01632 960 201", "Z99002", PRACTICE_ROLES),
    ("millbrook.manager@nhs.net", "Gareth", "Lewis", "01632 960 301", "Z99003", PRACTICE_ROLES),
    ("castle.manager@nhs.net", "Helen", "Marsh", "01632 960 401", "Z99004", PRACTICE_ROLES),
    ("icb.approver@nhs.net", "Janet", "Fielding", "0113 496 0001", COMMISSIONER[0], COMMISSIONER_ROLES),
    ("gpes.extracts@nhs.net", "GPES", "Extract Service", "0113 496 0002", COMMISSIONER[0], (EXTRACT_UPLOAD,)),
)
# Offers to every demo practice: (service, status, participation only, response deadline)
DEMO_OFFERS = (
    (QOF_SERVICE, ACCEPTED, False, date(2025, 4, 30)),
    ("LDHC", ACCEPTED, False, date(2025, 5, 12)),
    ("FLU", ACCEPTED, False, date(2025, 8, 29)),
    ("CFLU", ACCEPTED, False, date(2025, 8, 29)),
    ("WM", PENDING, False, date(2026, 4, 30)),
    ("NCD", ACCEPTED, True, None),  # Network Contract DES: participation only, via the PCN
)


@dataclass(frozen=True)
class SeedReport:
    created: bool
    practices: int
    users: int
    extracts: int


def demo_clock() -> Clock:
    """A clock that reads 8 April 2026, 09:00 UTC at the moment it is made, then keeps time."""
    offset = DEMO_TODAY - datetime.now(UTC)
    return lambda: datetime.now(UTC) + offset


def seed_demo(settings: Settings) -> SeedReport:
    """Create the demo region in the service's database (once)."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    sessions = make_sessionmaker(engine)
    rules = load_rules(YEAR)
    clock = settings.clock
    try:
        with sessions.begin() as session:
            begin_write(session)
            if organisation(session, PRACTICES[0].ods) is not None:
                return SeedReport(False, 0, 0, 0)
            practices = _organisations(session, clock())
            _users(session, practices, clock())
            replace_year(session, YEAR)
            _offers(session, practices, clock())
        extracts = demo_extracts(rules)
        for month, text in extracts.items():
            with sessions.begin() as session:
                begin_write(session)
                ingest_text(session, text, rules, clock=clock, filename=f"gpes-{month:%Y-%m}.csv")
        with sessions.begin() as session:
            begin_write(session)
            _manual_entries(session, rules, practices, clock)
            _declarations(session, practices, clock())
    finally:
        engine.dispose()
    return SeedReport(True, len(PRACTICES), len(DEMO_USERS), len(extracts))


def _organisations(session: Session, now: datetime) -> dict[str, Organisation]:
    icb = create_organisation(session, COMMISSIONER_KIND, *COMMISSIONER, now)
    pcn = create_organisation(session, PCN_KIND, *PCN, now, parent=icb)
    practices = {icb.ods_code: icb}
    for practice in PRACTICES:
        practices[practice.ods] = create_organisation(
            session, PRACTICE_KIND, practice.ods, practice.name, now, parent=pcn
        )
    return practices


def _users(session: Session, organisations: dict[str, Organisation], now: datetime) -> None:
    password_hash = hash_password(DEMO_PASSWORD)  # one hash for all: argon2 is slow on purpose
    for email, first, last, phone, org_code, roles in DEMO_USERS:
        user = create_user(session, email, first, last, phone, now, password_hash=password_hash)
        for role in roles:
            grant_role(session, user, organisations[org_code], role, now)
        audit.record(
            session,
            now=now,
            actor="cli",
            action="user created",
            target_type="user",
            target_id=user.id,
            organisation_id=organisations[org_code].id,
            source=None,
            detail={"roles": list(roles), "seed": "demo"},
        )


def _offers(session: Session, organisations: dict[str, Organisation], now: datetime) -> None:
    for practice in PRACTICES:
        org = organisations[practice.ods]
        for service, status, participation_only, deadline in DEMO_OFFERS:
            offer = Offer(
                practice_id=org.id,
                service=service,
                status=status,
                start_date=date(2025, 4, 1),
                end_date=date(2026, 3, 31),
                response_deadline=deadline,
                participation_only=participation_only,
                created_at=now,
                # Answered before the year began (or by the deadline), as a practice would have.
                responded_at=None if status == PENDING else datetime.combine(
                    min(deadline, date(2025, 3, 20)) if deadline else date(2025, 3, 20), time(10), UTC),
            )
            session.add(offer)
            session.flush()
            feed.publish(session, org.id, feed.OFFER, offer.id, offer_record(offer))


def _manual_entries(
    session: Session, rules: RuleSet, organisations: dict[str, Organisation], clock: Clock
) -> None:
    """LD register (quarterly) and weight-management referrals, entered and approved through the year; the
    referral allocations the ICB set."""
    for practice in PRACTICES:
        org = organisations[practice.ods]
        manager = _manager(session, practice)
        approver = session.query(User).filter_by(email="icb.approver@nhs.net").one()
        touched: set[date] = set()
        for service, months in manual_counts(rules, practice).items():
            for month, values in months.items():
                if (times := manual_entry_times(month, clock())) is None:
                    continue  # not entered yet by the demo's today
                entered, approved = times
                entry = ManualEntry(
                    practice_id=org.id,
                    service=service,
                    achievement_date=month,
                    values=values,
                    notes=None,
                    status=APPROVED if approved else SUBMITTED,
                    version=1,
                    created_by_id=manager.id,
                    updated_by_id=manager.id,
                    created_at=entered,
                    updated_at=entered,
                )
                session.add(entry)
                session.flush()
                # Its history, as the service would have recorded it: entered, then approved by the ICB.
                audit.record(session, now=entered, actor=manager, action="manual entry created",
                             target_type="manual_entry", target_id=entry.id, organisation_id=org.id,
                             detail={"service": service, "version": 1, "status": "submitted"})
                if approved is not None:
                    audit.record(session, now=approved, actor=approver, action="manual entry approved",
                                 target_type="manual_entry", target_id=entry.id, organisation_id=org.id,
                                 detail={"service": service, "version": 1})
                record = manual_entry_record(entry, audit.history(session, "manual_entry", entry.id))
                feed.publish(session, org.id, feed.MANUAL_ENTRY, entry.id, record)
                touched.add(month)
        for service, months in commissioner_counts(rules, practice).items():
            for month, values in months.items():
                entered = datetime.combine(month + timedelta(days=1), datetime.min.time(), UTC)
                before = allocations.set_counts(session, org.id, service, month, values, entered)
                audit.record(session, now=entered, actor=approver, action="allocation set",
                             target_type="allocation", target_id=f"{service}:{month.isoformat()}",
                             organisation_id=org.id, detail={"values": values, "before": before})
                touched.add(month)
        for month in sorted(touched):
            recalculate(session, rules, org, month, clock=clock)


def _declarations(session: Session, organisations: dict[str, Organisation], today: datetime) -> None:
    """Monthly service claims April to February declared, approved and paid on the CQRS cycle, as far as
    each has gone by ``today`` (February's is finance-approved, to be paid later in April)."""
    approver = session.query(User).filter_by(email="icb.approver@nhs.net").one()
    for practice in PRACTICES:
        org = organisations[practice.ods]
        manager = _manager(session, practice)
        for service in ("MMR", "6IN1", "FLU", "LDHC"):
            for month in _months_before_march():
                if (steps := declaration_steps(month, today)) is None:
                    continue
                declared, reviews = steps
                declaration = flow.declare(session, org, service, month, manager, declared)
                for status, at in reviews:
                    actor = approver if status != flow.PAID else "system"
                    flow.advance(session, declaration, status, actor, at)


def _manager(session: Session, practice: DemoPractice) -> User:
    email = next(u[0] for u in DEMO_USERS if u[4] == practice.ods and u[5] == PRACTICE_ROLES)
    return session.query(User).filter_by(email=email).one()


def _months_before_march() -> list[date]:
    months = []
    for year, month in [(2025, m) for m in range(4, 13)] + [(2026, 1), (2026, 2)]:
        following = date(year + (month == 12), month % 12 + 1, 1)
        months.append(following - timedelta(days=1))
    return months
