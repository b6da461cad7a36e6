"""The lookup behind every route under ``/practices/{ods}``: the practice and the caller's roles there.

The same answer as ``directory.organisation`` followed by ``directory.effective_roles``, in two prebuilt
queries instead of four or five built on every call: the practice with the id of its commissioner
(the nearest commissioner among the organisations above it), then the roles held at both. Roles are
read afresh on every request, so a role removed or an access suspended counts at the next request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, case, select
from sqlalchemy.orm import Session, aliased

from central.directory import ancestor, held_roles
from central.models import COMMISSIONER, PRACTICE, Organisation
from central.security import COMMISSIONER_ROLES, PRACTICE_ROLES

ANCESTORS = 3  # levels searched in SQL; a deeper tree is walked in Python (central.directory.ancestor)
MEMBER_ROLES = frozenset(PRACTICE_ROLES + COMMISSIONER_ROLES)  # roles that let a caller see a practice


def _practice_query() -> Select[Any]:
    above = [aliased(Organisation) for _ in range(ANCESTORS)]
    commissioner = case(*((org.kind == COMMISSIONER, org.id) for org in above), else_=None)
    query = select(Organisation, commissioner, above[-1].parent_id)
    parent_id = Organisation.parent_id
    for org in above:
        query = query.outerjoin(org, org.id == parent_id)
        parent_id = org.parent_id
    return query.where(Organisation.ods_code == bindparam("ods"))


_PRACTICE = _practice_query()


def practice_and_roles(session: Session, ods: str,
                       user_id: int) -> tuple[Organisation | None, frozenset[str]]:
    """The practice ``ods`` (None if there is none, or it is not a practice) and the roles that let
    ``user_id`` see it there (empty: they may not see it)."""
    row = session.execute(_PRACTICE, {"ods": ods.upper()}).first()
    if row is None or row[0].kind != PRACTICE:
        return None, frozenset()
    practice, commissioner_id, deeper = row
    if commissioner_id is None and deeper is not None:
        found = ancestor(practice, COMMISSIONER)  # a tree deeper than the query looks
        commissioner_id = found.id if found is not None else None
    return practice, frozenset(held_roles(session, user_id, practice.id, commissioner_id)) & MEMBER_ROLES
