"""The "who am I" answer: a person's details and the organisations they hold roles at, and its tag.

The tag (``profile_tag``) changes whenever any part of that answer changes, so the desktop can learn
from a feed page that its saved profile is out of date without asking ``/me`` on every sync. The tag
the feed quotes is kept per person for at most ``TAG_TTL`` (by the service's clock), so a change
elsewhere than the feed's practice shows within that time; ``/me`` always builds it afresh and keeps
that one. (The roles at the feed's own practice are read afresh on every request: central.feed.)
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, exists, or_, select
from sqlalchemy.orm import Session, aliased

from central.models import COMMISSIONER, PCN, PRACTICE, Organisation, PracticeSuspension, RoleGrant, User

TAG_TTL = timedelta(seconds=5)
TAG_CACHE_SIZE = 20_000  # people remembered per worker
ANCESTORS = 3  # levels above a practice searched for its PCN and commissioner (ICB > PCN > practice)

_tags: dict[tuple[str, int], tuple[datetime, str]] = {}
_lock = threading.Lock()


def me_answer(db: Session, user: User, now: datetime) -> dict[str, Any]:
    """The ``/me`` answer: the person, their organisations with the roles held, its tag, the time."""
    answer = _profile(db, user)
    tag = _tag_of(answer)
    _remember(db, user.id, now, tag)
    return {**answer, "profile_tag": tag, "server_time": now.isoformat()}


def profile_tag(db: Session, user: User, now: datetime) -> str:
    """The tag of the person's ``/me`` answer, built at most ``TAG_TTL`` ago."""
    key = (_database(db), user.id)
    with _lock:
        kept = _tags.get(key)
    if kept is not None and kept[0] <= now < kept[0] + TAG_TTL:
        return kept[1]
    tag = _tag_of(_profile(db, user))
    _remember(db, user.id, now, tag)
    return tag


def _database(db: Session) -> str:
    return str(db.get_bind().url)


def _remember(db: Session, user_id: int, now: datetime, tag: str) -> None:
    with _lock:
        if len(_tags) >= TAG_CACHE_SIZE:
            _tags.clear()  # rebuilt on demand; cheaper than tracking the oldest
        _tags[(_database(db), user_id)] = (now, tag)


def _tag_of(answer: dict[str, Any]) -> str:
    canonical = json.dumps(answer, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:32]


def _profile(db: Session, user: User) -> dict[str, Any]:
    """The person and their organisations, read in one query (two for a commissioner's practices)."""
    organisations_held = db.execute(_GRANTS, {"user_id": user.id})
    organisations: dict[str, dict[str, Any]] = {}
    for org_id, ods, name, kind, role, is_suspended, *ancestry in organisations_held:
        if kind == PRACTICE and is_suspended:
            continue
        entry = organisations.get(ods)
        if entry is None:
            entry = organisations[ods] = {"ods": ods, "name": name, "kind": kind, "roles": []}
            if kind == PRACTICE:
                refs = [{"ods": ancestry[i], "name": ancestry[i + 1], "kind": ancestry[i + 2]}
                        for i in range(0, len(ancestry), 3) if ancestry[i] is not None]
                entry["pcn"] = next((ref for ref in refs if ref["kind"] == PCN), None)
                entry["commissioner"] = next((ref for ref in refs if ref["kind"] == COMMISSIONER), None)
            elif kind == COMMISSIONER:
                entry["practices"] = _practices_under(db, org_id)
        entry["roles"].append(role)
    return {"user": {"id": user.id, "email": user.email, "first_name": user.first_name,
                     "last_name": user.last_name, "work_phone": user.work_phone, "mobile": user.mobile},
            "organisations": list(organisations.values())}


def _grants_query() -> Select[Any]:
    """Each role held with its organisation and the organisations above it; built once (a bound user id)."""
    # The roles held: not those waiting for a second administrator, nor a practice's while suspended there.
    user_id = bindparam("user_id")
    above = [aliased(Organisation) for _ in range(ANCESTORS)]
    suspended = exists().where(PracticeSuspension.user_id == user_id,
                               PracticeSuspension.organisation_id == Organisation.id)
    chain = (column for org in above for column in (org.ods_code, org.name, org.kind))
    query = select(Organisation.id, Organisation.ods_code, Organisation.name, Organisation.kind,
                   RoleGrant.role, suspended, *chain)
    query = query.join(RoleGrant, RoleGrant.organisation_id == Organisation.id)
    parent_id = Organisation.parent_id
    for org in above:
        query = query.outerjoin(org, org.id == parent_id)
        parent_id = org.parent_id
    return query.where(RoleGrant.user_id == user_id, RoleGrant.pending.is_(False)).order_by(
        Organisation.ods_code, RoleGrant.role)


_GRANTS = _grants_query()


def _practices_under(db: Session, commissioner_id: int) -> list[dict[str, Any]]:
    """Practices directly under the commissioner or under one of its PCNs, by ODS code."""
    children = select(Organisation.id).where(Organisation.parent_id == commissioner_id)
    under = or_(Organisation.parent_id == commissioner_id, Organisation.parent_id.in_(children))
    rows = db.execute(select(Organisation.ods_code, Organisation.name, Organisation.kind)
                      .where(Organisation.kind == PRACTICE, under).order_by(Organisation.ods_code))
    return [{"ods": ods, "name": name, "kind": kind} for ods, name, kind in rows]
