"""``cqrs-central seed-demo``: the demo region, its users and three QOF years of achievement
(deterministic).

NHS Example ICB > Riverside PCN > four practices, the demo one being Riverside Medical Practice
(Z99001). Extracts go in through the same ingest as real ones, oldest first, each with its year's rules:
the 2024/25 year end, every month of 2025/26, and April to October 2026 of 2026/27. The LD register (and,
in 2025/26, weight-management referrals) arrive as manual entries approved by the ICB, and the ICB sets
each practice's weight-management referral allocation, as they do on CQRS. Seeding twice changes nothing.

The demo lives on 1 December 2026, in the middle of 2026/27: October's extract is in, November's is due
on the 10th, November's manual-entry window is open, 2025/26 is declared and paid, and 2026/27's claims
stand at every step of the cycle. :func:`demo_clock` gives the service that date, moving on in real time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.services.rules import QOF_SERVICE, RuleSet, load_rules, qof_year
from central import allocations, audit, feed
from central import declarations_flow as flow
from central.db import begin_write, make_engine, make_sessionmaker, migrate
from central.demo_curves import corrected_doses, demo_extracts
from central.demo_data import (
    COMMISSIONER,
    PCN,
    PRACTICES,
    DemoPractice,
    commissioner_counts,
    manual_counts,
    manual_entry_times,
    year_months,
)
from central.demo_declarations import (
    RE_EXTRACTED,
    PlannedDeclaration,
    at,
    monthly_declarations,
    re_declare_deadline,
    re_extract_time,
    year_end_declaration,
)
from central.directory import create_organisation, create_user, grant_role, organisation
from central.ingest import ingest_text, recalculate
from central.models import (
    ACCEPTED,
    APPROVED,
    PENDING,
    SUBMITTED,
    CalculatedResult,
    ManualEntry,
    Offer,
    Organisation,
    User,
)
from central.models import COMMISSIONER as COMMISSIONER_KIND
from central.models import PCN as PCN_KIND
from central.models import PRACTICE as PRACTICE_KIND
from central.records import manual_entry_record, offer_record
from central.security import COMMISSIONER_ROLES, EXTRACT_UPLOAD, PRACTICE_ROLES, VIEW, hash_password
from central.settings import Clock, Settings
from central.timetable_store import add_event, replace_year

YEARS = ("2024-25", "2025-26", "2026-27")  # oldest first: each year end is stored before the next year
YEAR = YEARS[-1]  # the year the demo lives in
DEMO_PASSWORD = "Demo-Password-2026"
DEMO_TODAY = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
EXTRACTED_AFTER_DAYS = 10  # GPES extracts a month ten days after it ends (central.timetable_plan)

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
# Offers to every demo practice, per year: (service, status, participation only, response deadline).
# 2024/25 is there for its QOF year end only. RSV in pregnancy's 2026/27 offer was published late, on
# 16 November, after the national specification for the year changed: practices have until 31 December
# to answer, so on the demo's today it is still pending.
DEMO_OFFERS = {
    "2024-25": ((QOF_SERVICE, ACCEPTED, False, date(2024, 4, 30)),),
    "2025-26": (
        (QOF_SERVICE, ACCEPTED, False, date(2025, 4, 30)),
        ("LDHC", ACCEPTED, False, date(2025, 5, 12)),
        ("FLU", ACCEPTED, False, date(2025, 8, 29)),
        ("CFLU", ACCEPTED, False, date(2025, 8, 29)),
        ("WM", ACCEPTED, False, date(2025, 4, 30)),
        ("NCD", ACCEPTED, True, None),  # Network Contract DES: participation only, via the PCN
    ),
    "2026-27": (
        (QOF_SERVICE, ACCEPTED, False, date(2026, 4, 30)),
        ("LDHC", ACCEPTED, False, date(2026, 5, 12)),
        ("COVFLU", ACCEPTED, False, date(2026, 8, 28)),
        ("CFLU", ACCEPTED, False, date(2026, 8, 28)),
        ("RSVP", PENDING, False, date(2026, 12, 31)),
        ("NCD", ACCEPTED, True, None),
    ),
}
LATE_OFFER_PUBLISHED = date(2026, 11, 16)
# Monthly claims the practices declare, per year (the rest pay without a declaration in the demo).
# The QOF year ends declared (2024/25's results only give 2026/27's improvement baselines).
DECLARED_YEAR_ENDS = ("2025-26", "2026-27")


@dataclass(frozen=True)
class SeedReport:
    created: bool
    practices: int
    users: int
    extracts: int


def demo_clock() -> Clock:
    """A clock that reads 1 December 2026, 09:00 UTC at the moment it is made, then keeps time."""
    offset = DEMO_TODAY - datetime.now(UTC)
    return lambda: datetime.now(UTC) + offset


def seed_demo(settings: Settings) -> SeedReport:
    """Create the demo region in the service's database (once)."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    sessions = make_sessionmaker(engine)
    rules = {year: load_rules(year) for year in YEARS}
    clock = settings.clock
    try:
        with sessions.begin() as session:
            begin_write(session)
            if organisation(session, PRACTICES[0].ods) is not None:
                return SeedReport(False, 0, 0, 0)
            practices = _organisations(session, clock())
            _users(session, practices, clock())
            for year in YEARS:
                replace_year(session, year)
            _offers(session, practices, clock())
        extracts = 0
        for year in YEARS:
            for month, text in demo_extracts(rules[year], months=_extracted_months(year, rules[year],
                                                                                  clock())).items():
                with sessions.begin() as session:
                    begin_write(session)
                    ingest_text(session, text, rules[year], clock=_fixed(at(month, EXTRACTED_AFTER_DAYS, 6)),
                                filename=f"gpes-{month:%Y-%m}.csv")
                extracts += 1
        with sessions.begin() as session:
            begin_write(session)
            for year in YEARS[1:]:  # 2024/25 is there for its year-end results only
                _manual_entries(session, rules[year], practices, clock)
            _declarations(session, rules, practices, clock())
        extracts += _re_extract(sessions, rules[YEAR], clock())
    finally:
        engine.dispose()
    return SeedReport(True, len(PRACTICES), len(DEMO_USERS), extracts)


def _fixed(moment: datetime) -> Clock:
    return lambda: moment


def _extracted_months(year: str, rules: RuleSet, today: datetime) -> list[date]:
    """The months of ``year`` GPES has extracted by ``today``; of the first year, its year end only."""
    months = [m for m in year_months(rules) if at(m, EXTRACTED_AFTER_DAYS, 6) <= today]
    return months[-1:] if year == YEARS[0] else months


def _re_extract(sessions: sessionmaker[Session], rules: RuleSet, today: datetime) -> int:
    """GPES re-extracts the current year's latest month for one service after its claim was approved:
    the recalculation sends that claim back to the practice. Returns the extracts loaded (0 or 1)."""
    months = _extracted_months(YEAR, rules, today)
    if not months or re_extract_time(months[-1]) > today:
        return 0
    service, _, extra = RE_EXTRACTED
    text = corrected_doses(rules, months[-1], service, extra)
    with sessions.begin() as session:
        begin_write(session)
        ingest_text(session, text, rules, clock=_fixed(re_extract_time(months[-1])),
                    filename=f"gpes-{months[-1]:%Y-%m}-re-extract.csv")
        add_event(session, YEAR, re_declare_deadline(months[-1]))
    return 1


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
        for year, offers in DEMO_OFFERS.items():
            start = int(year[:4])
            for service, status, participation_only, deadline in offers:
                # Offers come out before the year and are answered before it begins (or by the deadline),
                # as a practice would; a pending one came out late.
                published = LATE_OFFER_PUBLISHED if status == PENDING else date(start, 3, 1)
                answered = min(deadline, date(start, 3, 20)) if deadline else date(start, 3, 20)
                offer = Offer(
                    practice_id=org.id,
                    service=service,
                    status=status,
                    start_date=date(start, 4, 1),
                    end_date=date(start + 1, 3, 31),
                    response_deadline=deadline,
                    participation_only=participation_only,
                    created_at=min(now, datetime.combine(published, time(9), UTC)),
                    responded_at=None if status == PENDING else datetime.combine(answered, time(10), UTC),
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


def _declarations(session: Session, rules: dict[str, RuleSet], organisations: dict[str, Organisation],
                  today: datetime) -> None:
    """Every monthly service claim with a result, and the QOF year ends, declared, approved and paid on the
    CQRS cycle, as far as each has gone by ``today`` (central.demo_declarations): the practices keep up
    with their claims, so nothing shows as missed."""
    approver = session.query(User).filter_by(email="icb.approver@nhs.net").one()
    planned: list[PlannedDeclaration] = []
    for (year, service), months in _claimed_months(session, organisations[PRACTICES[0].ods]).items():
        planned += monthly_declarations((service,), months, today, latest_varies=year == YEAR)
    for year in DECLARED_YEAR_ENDS:
        if (year_end := year_end_declaration(QOF_SERVICE, year_months(rules[year])[-1], today)) is not None:
            planned.append(year_end)
    for practice in PRACTICES:
        org = organisations[practice.ods]
        manager = _manager(session, practice)
        for claim in planned:
            declaration = flow.declare(session, org, claim.service, claim.month, manager, claim.declared)
            for status, when in claim.steps:
                actor = approver if status != flow.PAID else "system"
                flow.advance(session, declaration, status, actor, when)


def _claimed_months(session: Session, practice: Organisation) -> dict[tuple[str, str], list[date]]:
    """(QOF year, service) -> the months with a calculated claim, oldest first (every demo practice has
    the same services and months)."""
    rows = session.execute(select(CalculatedResult.service, CalculatedResult.achievement_date)
                           .where(CalculatedResult.practice_id == practice.id,
                                  CalculatedResult.service != QOF_SERVICE)
                           .distinct().order_by(CalculatedResult.achievement_date))
    found: dict[tuple[str, str], list[date]] = {}
    for service, month in rows:
        found.setdefault((qof_year(month), service), []).append(month)
    return found


def _manager(session: Session, practice: DemoPractice) -> User:
    email = next(u[0] for u in DEMO_USERS if u[4] == practice.ods and u[5] == PRACTICE_ROLES)
    return session.query(User).filter_by(email=email).one()
