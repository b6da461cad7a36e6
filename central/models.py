"""The central service's database: SQLAlchemy 2.0 typed ORM (schema changes go through migrations/).

Times are stored as UTC and read back as aware UTC datetimes. Money and points are exact decimal or
fraction strings ("1234.56", "41/3"), never floats.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Organisation kinds.
COMMISSIONER = "commissioner"
PCN = "pcn"
PRACTICE = "practice"

# Offer, manual entry and recalculation statuses.
PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
DRAFT, SUBMITTED, APPROVED = "draft", "submitted", "approved"
DONE = "done"

# Where achievement counts come from.
AUTOMATED, MANUAL = "automated", "manual"


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC without a zone (SQLite has none); returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


def _practice_fk(*, index: bool = True) -> Mapped[int]:
    return mapped_column(ForeignKey("organisations.id"), index=index)


class Organisation(Base):
    """A commissioner (ICB), a PCN or a practice; ``parent`` is the PCN or commissioner above it."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    ods_code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[datetime]
    # Practice setting held by the service: manual entries need a second person's check before sending.
    second_person_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A User Administrator asked to turn the rule off; it stays on until a second administrator confirms.
    second_person_off_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    second_person_off_requested_at: Mapped[datetime | None]
    parent: Mapped[Organisation | None] = relationship(remote_side=[id], lazy="joined", join_depth=3)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    work_phone: Mapped[str] = mapped_column(String(40))
    mobile: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str | None] = mapped_column(String(200))  # argon2id; None until activated
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: disabled (never deleted)
    activated_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    grants: Mapped[list[RoleGrant]] = relationship(back_populates="user", foreign_keys="RoleGrant.user_id")


class RoleGrant(Base):
    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(60))
    granted_at: Mapped[datetime]
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A role an administrator granted to themselves waits for a second administrator to confirm it.
    pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class PracticeSuspension(Base):
    """A person's access at one practice is disabled (their account and other practices are untouched)."""

    __tablename__ = "practice_suspensions"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    disabled_at: Mapped[datetime]
    disabled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class PracticeMember(Base):
    """How one practice sees a person it linked by email (their account already existed): the details its
    administrator typed, shown in that practice's user list and feed instead of the account's own.
    ``invited_at`` is when the link was made or last re-sent; ``seen_at`` the person's first sign-in
    after it (until then the practice sees an invitation, as for a new account)."""

    __tablename__ = "practice_members"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    work_phone: Mapped[str] = mapped_column(String(40))
    mobile: Mapped[str | None] = mapped_column(String(40))
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    invited_at: Mapped[datetime]
    seen_at: Mapped[datetime | None]


class ActivationToken(Base):
    """Single use; only the SHA-256 of the token is stored."""

    __tablename__ = "activation_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The practice whose invitation this is: only that practice's administrators may send it again.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AccessToken(Base):
    __tablename__ = "access_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    family_id: Mapped[str] = mapped_column(String(64), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class RefreshToken(Base):
    """Rotated on every use; presenting a used one again revokes its whole family."""

    __tablename__ = "refresh_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    family_id: Mapped[str] = mapped_column(String(64), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(index=True)  # sealed pairs are cleared by age
    revoked_at: Mapped[datetime | None]
    # For a short grace window after rotation: the new pair, encrypted with a key derived from this
    # (already spent) token, so a client whose reply was lost gets the same pair again.
    successor_sealed: Mapped[str | None] = mapped_column(Text)


class SignInThrottle(Base):
    """Sign-in throttle state per key (central.security): failures counted under ``email|<email>|<source>``
    and ``source|<source>``; under ``known|<email>|<source>`` (a correct sign-in from there) ``blocked_until``
    is when that pair stops being known, and ``failures`` stays 0."""

    __tablename__ = "sign_in_throttle"
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None]
    blocked_until: Mapped[datetime | None]


class AuditEntry(Base):
    """Append-only (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor: Mapped[str] = mapped_column(String(254))  # email, or "system" / "cli"
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(100))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    source_address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path and body
    status_code: Mapped[int]
    response: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Change(Base):
    """One row of the sync feed. ``practice_id`` None: for every practice (e.g. the timetable)."""

    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_practice_seq", "practice_id", "seq"),
                      {"sqlite_autoincrement": True})
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(200))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]


class Offer(Base):
    __tablename__ = "offers"
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = _practice_fk()
    service: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    response_deadline: Mapped[date | None] = mapped_column(Date)
    participation_only: Mapped[bool] = mapped_column(Boolean, default=False)
    responded_at: Mapped[datetime | None]
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class ManualEntry(Base):
    __tablename__ = "manual_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = _practice_fk()
    service: Mapped[str] = mapped_column(String(20))
    achievement_date: Mapped[date] = mapped_column(Date)
    values: Mapped[dict[str, Any]]  # item -> whole number, e.g. {"NUMERATOR": 12, "DENOMINATOR": 40}
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=SUBMITTED)
    version: Mapped[int] = mapped_column(Integer, default=1)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the second person
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SecondPersonCheck(Base):
    """A second person's check of exactly these manual-entry values; single use, only its hash stored."""

    __tablename__ = "second_person_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    practice_id: Mapped[int] = _practice_fk()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # who checked
    service: Mapped[str] = mapped_column(String(20))
    achievement_date: Mapped[date] = mapped_column(Date)
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the checked values and notes
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Declaration(Base):
    __tablename__ = "declarations"
    __table_args__ = (UniqueConstraint("practice_id", "service", "achievement_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = _practice_fk()
    service: Mapped[str] = mapped_column(String(20))
    achievement_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(60))
    points: Mapped[str] = mapped_column(Text)  # exact, at declaring (a fraction may be long)
    payment: Mapped[str] = mapped_column(Text)  # exact £, at declaring
    snapshot: Mapped[dict[str, Any]]  # indicator -> {"points", "payment"} at declaring
    history: Mapped[list[Any]]  # [{"status", "at", "by", "reason"?}]
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declared_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class TimetableEvent(Base):
    __tablename__ = "timetable_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[str] = mapped_column(String(7), index=True)  # "2025-26"
    kind: Mapped[str] = mapped_column(String(40))  # see central.timetable_plan: "entry window", ...
    title: Mapped[str] = mapped_column(String(200))
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date)  # same as starts for a one-day event
    service: Mapped[str | None] = mapped_column(String(20))  # None: every service
    achievement_date: Mapped[date | None] = mapped_column(Date)  # the period the event is about


class ExtractUpload(Base):
    """One ingested extract file; re-uploading the same bytes is recognised by its SHA-256."""

    __tablename__ = "extract_uploads"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str | None] = mapped_column(String(255))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]


class AchievementCount(Base):
    __tablename__ = "achievement_counts"
    __table_args__ = (
        UniqueConstraint("practice_id", "service", "indicator_id", "achievement_date", "source"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique key above starts with it.
    practice_id: Mapped[int] = _practice_fk(index=False)
    service: Mapped[str] = mapped_column(String(20))
    indicator_id: Mapped[str] = mapped_column(String(40))  # indicator, item, LIST_SIZE or <REGISTER>_REG
    achievement_date: Mapped[date] = mapped_column(Date)
    numerator: Mapped[int] = mapped_column(Integer)
    denominator: Mapped[int | None] = mapped_column(Integer)
    pca: Mapped[int | None] = mapped_column(Integer)
    # PCA code -> count, when the extract gave the PCAs by reason (INDICATOR_VALUES); their sum is ``pca``.
    pca_reasons: Mapped[dict[str, int] | None] = mapped_column(JSON(none_as_null=True))
    source: Mapped[str] = mapped_column(String(20), default=AUTOMATED)
    extract_id: Mapped[int | None] = mapped_column(ForeignKey("extract_uploads.id"))
    updated_at: Mapped[datetime]


class CalculatedResult(Base):
    __tablename__ = "calculated_results"
    __table_args__ = (UniqueConstraint("practice_id", "service", "indicator_id", "achievement_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique key above starts with it.
    practice_id: Mapped[int] = _practice_fk(index=False)
    service: Mapped[str] = mapped_column(String(20))
    indicator_id: Mapped[str] = mapped_column(String(40))
    achievement_date: Mapped[date] = mapped_column(Date)
    points: Mapped[str] = mapped_column(Text)  # exact fractions, of any length
    payment: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    calculated_at: Mapped[datetime]


class Recalculation(Base):
    """A pending recalculation blocks declaring for that practice (and service, when given)."""

    __tablename__ = "recalculations"
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = _practice_fk()
    service: Mapped[str | None] = mapped_column(String(20))  # None: every service
    status: Mapped[str] = mapped_column(String(20), default=PENDING)  # pending / done
    requested_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
