"""The Users page's rows: the practice's cached users, with what waits in the outbox for each of them
and what the service refused (in plain English, by field where it named one).

No Qt: ``load`` runs on the database worker. Only User Administrators get the practice's users in the
feed; anyone else is shown their own record, from what they hold at the practice, and why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from app import paths
from app.models.outbox import OutboxStatus
from app.services import cache_store, outbox
from app.services.outbox import OutboxEntry
from app.services.user_admin import FIELDS, KIND, PENDING_NOTE

WAITING = (OutboxStatus.QUEUED, OutboxStatus.SENDING)
REFUSED = (OutboxStatus.CONFLICT, OutboxStatus.FAILED)
NEW_ROW_PREFIX = "new:"  # the key of a row for a person whose adding has not reached the cache yet
_USER_PATH = re.compile(r"/practices/[^/]+/users/(\d+)(?:/(.*))?$")
DEMO_MAILBOX = ("demo-server", "mail-outbox")  # where the demo's service writes the mail it sends
_FIELD_WORDS = {"email": "already a user", "roles": "User Administrator"}


@dataclass(frozen=True)
class UserRow:
    key: str  # the user's id, or NEW_ROW_PREFIX + the outbox key for a person being added
    name: str
    email: str
    work_phone: str
    mobile: str
    status: str  # Active, Invited, Activation expired, Disabled…, or Waiting to be sent / Refused
    roles: tuple[str, ...]
    pending_roles: tuple[str, ...]
    note: str = ""  # what waits to be sent for this person, or why the service refused it
    record: dict[str, Any] = field(default_factory=dict)  # the cached record (empty for a new person)
    item_key: str | None = None  # the refused add-user item, to fix and send again
    problems: dict[str, str] = field(default_factory=dict)  # the service's refusal, by form field
    waiting: bool = False  # something for this person is queued on this PC

    @property
    def role_text(self) -> str:
        return ", ".join([*self.roles, *(f"{role} ({PENDING_NOTE})" for role in self.pending_roles)])

    @property
    def user_id(self) -> int | None:
        return None if self.key.startswith(NEW_ROW_PREFIX) else int(self.key)


@dataclass(frozen=True)
class UsersView:
    rows: list[UserRow]
    records: list[dict[str, Any]]  # the practice's cached users (for the last-administrator check)
    administrator: bool


def describe(item: OutboxEntry) -> str:
    """What a queued user-admin write does, in a few words."""
    match = _USER_PATH.search(item.path)
    action = unquote(match.group(2) or "") if match else ""
    if item.method == "POST" and match is None:
        return "add this person"
    if action == "roles":
        return f"give {(item.body or {}).get('role', 'a role')}"
    if action.startswith("roles/") and action.endswith("/confirm"):
        return f"confirm {action[len('roles/'):-len('/confirm')]}"
    if action.startswith("roles/"):
        return f"remove {action[len('roles/'):]}"
    return {"disable": "disable access", "enable": "re-enable access",
            "resend-activation": "send the activation link again"}.get(action, "change this person")


def field_problems(message: str | None) -> dict[str, str]:
    """The service's refusal by form field: "reason (email: …; roles: …)" as the sync keeps it, or a
    known refusal (already a user, last administrator) placed beside the field it is about."""
    if not message:
        return {}
    found: dict[str, str] = {}
    details = re.search(r"\(([^()]*)\)\s*$", message)
    for part in details.group(1).split("; ") if details else ():
        name, _, text = part.partition(": ")
        if name in FIELDS and text:
            found[name] = text
    if not found:
        found = {name: message for name, words in _FIELD_WORDS.items() if words in message}
    return found


def _status(record: Mapping[str, Any], today: date | None) -> str:
    """Active, Invited, Activation expired, Disabled here…: an invitation whose link ran out before the
    service's ``today`` is expired, though the synced record was written while it was still open."""
    status = str(record.get("status") or "")
    expires = record.get("activation_expires")
    if status == "invited" and today is not None and isinstance(expires, str) and expires:
        try:
            if datetime.fromisoformat(expires).date() < today:
                status = "activation expired"
        except ValueError:
            pass
    return status.capitalize()


def _row(record: dict[str, Any], today: date | None = None) -> UserRow:
    return UserRow(str(record.get("id")), _name(record), str(record.get("email") or ""),
                   str(record.get("work_phone") or ""),
                   str(record.get("mobile") or ""), _status(record, today), tuple(record.get("roles") or ()),
                   tuple(record.get("pending_roles") or ()), record=record)


def _with_items(row: UserRow, items: list[OutboxEntry]) -> UserRow:
    waiting = [describe(item) for item in items if item.status in WAITING]
    # A refusal matters only while it is the newest change for the person (a later one supersedes it).
    refused = items[-1] if items and items[-1].status in REFUSED else None
    notes = [f"Waiting to be sent: {', '.join(waiting)}."] if waiting else []
    if refused is not None:
        notes.append(f"Refused by CQRS ({describe(refused)}): {refused.server_message}")
    return UserRow(**{**row.__dict__, "note": " ".join(notes), "waiting": bool(waiting),
                      "problems": field_problems(refused.server_message) if refused else {}})


def _new_person(item: OutboxEntry) -> UserRow:
    body = item.body or {}
    refused = item.status in REFUSED
    note = (f"Refused by CQRS: {item.server_message} Choose Fix and send again." if refused
            else "Waiting to be sent: add this person.")
    problems = field_problems(item.server_message) if refused else {}
    return UserRow(NEW_ROW_PREFIX + item.key, _name(body), str(body.get("email") or ""),
                   str(body.get("work_phone") or ""), str(body.get("mobile") or ""),
                   "Refused" if refused else "Waiting to be sent", tuple(body.get("roles") or ()), (),
                   note=note, item_key=item.key, problems=problems, waiting=not refused)


def load(ods: str, *, owner: str | None, administrator: bool, own_roles: tuple[str, ...] = (),
         today: date | None = None) -> UsersView:
    """The rows of practice ``ods``: every user for an administrator; otherwise only ``owner``'s own.
    ``today`` (the service's date) tells invitations whose link has run out apart."""
    records = cache_store.records(ods, KIND)
    if not administrator:
        mine = [record for record in records if same_person(record.get("email"), owner)]
        record = mine[0] if mine else {"id": 0, "email": owner or "", "roles": list(own_roles),
                                       "status": "active"}
        return UsersView([_row(record, today)], [], False)
    by_user: dict[str, list[OutboxEntry]] = {}
    new_people: list[UserRow] = []
    known = {str(record.get("email") or "").lower() for record in records}
    for item in outbox.items(ods):
        if item.kind != KIND:
            continue
        match = _USER_PATH.search(item.path)
        if match:
            by_user.setdefault(match.group(1), []).append(item)
        elif item.status is not OutboxStatus.SENT and _email(item.body) not in known:
            new_people.append(_new_person(item))
    rows = [_with_items(_row(record, today), by_user.get(str(record.get("id")), [])) for record in records]
    return UsersView(rows + new_people, records, True)


def demo_mailbox() -> Path | None:
    """The demo service's mail folder (activation links are read there), when this data folder has one."""
    folder = paths.data_dir().joinpath(*DEMO_MAILBOX)
    return folder if folder.is_dir() else None


def _name(record: Mapping[str, Any]) -> str:
    return f"{record.get('first_name') or ''} {record.get('last_name') or ''}".strip()


def _email(body: Mapping[str, Any] | None) -> str:
    return str((body or {}).get("email") or "").strip().lower()


def same_person(email: Any, owner: str | None) -> bool:
    return bool(owner) and str(email or "").strip().lower() == str(owner).strip().lower()
