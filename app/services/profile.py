"""Who is signed in, and their practices and roles there: kept in ``profile.json`` so the app opens on
its cached data while offline. It holds no secret, and importing it costs nothing (no network stack).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from app import paths
from app.services.format import to_london
from app.services.rules import (  # the role names, for the views that check a profile's roles
    ACHIEVEMENT_ENTRY,
    DECLARATION_MANAGEMENT,
    FINANCE_VIEW,
    SERVICE_MANAGEMENT,
    SUPERVISOR,
    USER_ADMINISTRATOR,
    VIEW,
    may_see_money,
)

log = logging.getLogger(__name__)

__all__ = ["ACHIEVEMENT_ENTRY", "DECLARATION_MANAGEMENT", "FINANCE_VIEW", "SERVICE_MANAGEMENT", "SUPERVISOR",
           "USER_ADMINISTRATOR", "VIEW", "PracticeAccess", "Profile", "load_profile", "profile_from_me",
           "save_profile"]


@dataclass(frozen=True)
class PracticeAccess:
    """A practice the user may see, and their roles there (or their commissioner's roles over it)."""

    ods: str
    name: str
    roles: tuple[str, ...]
    via: str | None = None  # the commissioner's ODS code when access comes from commissioner roles
    money_hidden: bool = False  # £ hidden anyway, e.g. in screen-share mode until "Show £" is chosen

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def sees_money(self) -> bool:
        """True when these roles may see £ (the same list the service strips money by) and £ are not
        hidden on this screen."""
        return may_see_money(self.roles) and not self.money_hidden

    @property
    def label(self) -> str:
        return f"{self.name} ({self.ods})"


@dataclass(frozen=True)
class Profile:
    server_url: str
    email: str
    first_name: str
    last_name: str
    practices: tuple[PracticeAccess, ...]
    server_clock_offset_seconds: float = 0.0  # the service's clock minus ours (the demo lives in 2026-04)
    # The service's tag of this /me answer: a feed page quoting another one means the profile changed.
    tag: str = ""

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def practice(self, ods: str | None) -> PracticeAccess | None:
        return next((p for p in self.practices if p.ods == ods), None)

    def server_now(self) -> datetime:
        """'Now' by the service's clock: windows and deadlines are judged by it."""
        return datetime.now(UTC) + timedelta(seconds=self.server_clock_offset_seconds)

    def server_today(self) -> date:
        """Today's date in England by the service's clock (the service judges windows the same way)."""
        return to_london(self.server_now()).date()

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Profile:
        practices = tuple(PracticeAccess(p["ods"], p["name"], tuple(p["roles"]), p.get("via"))
                          for p in data["practices"])
        return cls(data["server_url"], data["email"], data["first_name"], data["last_name"], practices,
                   float(data.get("server_clock_offset_seconds", 0.0)), str(data.get("tag") or ""))


def profile_from_me(server_url: str, me: dict[str, Any], received_at: datetime | None = None) -> Profile:
    """Turn ``GET /me`` into a Profile: practices with direct roles, then those seen via a commissioner."""
    user = me["user"]
    practices: dict[str, PracticeAccess] = {}
    for org in me.get("organisations", []):
        roles = tuple(org.get("roles", []))
        if org.get("kind") == "practice":
            practices[org["ods"]] = PracticeAccess(org["ods"], org["name"], roles)
    for org in me.get("organisations", []):
        for practice in org.get("practices", []) if org.get("kind") == "commissioner" else []:
            practices.setdefault(practice["ods"], PracticeAccess(practice["ods"], practice["name"],
                                                                 tuple(org.get("roles", [])), org["ods"]))
    offset = 0.0
    if isinstance(me.get("server_time"), str):
        server_time = datetime.fromisoformat(me["server_time"])
        offset = (server_time - (received_at or datetime.now(UTC))).total_seconds()
    ordered = tuple(sorted(practices.values(), key=lambda p: (p.via is not None, p.name)))
    tag = me.get("profile_tag")
    return Profile(server_url, user["email"], user.get("first_name") or "", user.get("last_name") or "",
                   ordered, offset, tag if isinstance(tag, str) else "")


def load_profile(path: Path | None = None) -> Profile | None:
    """The profile of the last sign-in, or None (never signed in, or the file is unreadable)."""
    path = path or paths.profile_path()
    try:
        return Profile.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("Profile file %s could not be read (%s); sign-in needed", path, error)
        return None


def save_profile(profile: Profile, path: Path | None = None) -> None:
    paths.write_private_json(path or paths.profile_path(), profile.as_json())
