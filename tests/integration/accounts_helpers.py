"""Practices of their own for the account tests (under a commissioner no other test uses, so that
suspending or counting administrators here never touches another test's practices), and small
shortcuts for adding and finding users."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

from central.directory import create_organisation, organisation
from central.models import COMMISSIONER, PCN, PRACTICE, Organisation, User

from .conftest import START, Api, World

REGION_ICB, REGION_PCN = "Q6A", "U96001"
_codes = itertools.count(1)


def region(world: World) -> tuple[Organisation, Organisation]:
    """This file's commissioner and PCN, made on first use."""
    with world.session() as session:
        icb = organisation(session, REGION_ICB) or create_organisation(
            session, COMMISSIONER, REGION_ICB, "NHS Account Tests ICB", START)
        pcn = organisation(session, REGION_PCN) or create_organisation(
            session, PCN, REGION_PCN, "Account Tests PCN", START, parent=icb)
        session.commit()
        return icb, pcn


def new_practice(world: World, name: str = "Surgery") -> Organisation:
    """A fresh practice under the region's PCN, with nobody in it yet."""
    _icb, pcn = region(world)
    with world.session() as session:
        ods = f"Z96{next(_codes):03d}"
        practice = create_organisation(session, PRACTICE, ods, f"{name} {ods}",
                                       START, parent=session.get_one(Organisation, pcn.id))
        session.commit()
        return practice


def data_dir(world: World) -> Path:
    return world.server.app.state.settings.data_dir


def user_id(world: World, email: str) -> int:
    with world.session() as session:
        return session.scalars(select(User.id).where(User.email == email)).one()


def person(**changes: Any) -> dict[str, Any]:
    body = {"email": "someone@nhs.net", "first_name": "Sam", "last_name": "Jones",
            "work_phone": "01632 960100", "roles": ["View"]}
    return {**body, **changes}


def add(api: Api, token: str, practice: Organisation, **changes: Any) -> requests.Response:
    return api.post(f"/practices/{practice.ods_code}/users", token, json=person(**changes))


def users_path(practice: Organisation, user: int | None = None) -> str:
    base = f"/practices/{practice.ods_code}/users"
    return base if user is None else f"{base}/{user}"


def listed(api: Api, token: str, practice: Organisation, user: int) -> dict[str, Any]:
    return next(u for u in api.get(users_path(practice), token).json()["users"] if u["id"] == user)
