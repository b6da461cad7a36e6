"""Administering a practice's users: the role catalogue, the checks made as an administrator types, and
the writes (add, grant, revoke, confirm, disable, enable, resend activation), each queued in the outbox.

No Qt: run the writes and ``load`` through the task runner (database work). The signed-in person is
passed explicitly as ``owner``: each write goes in their name. The central service applies the same rules
(app.services.account_rules, and the last-administrator rule), so nothing here is the only guard; the app
only refuses early what it already knows the service would refuse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from app.services import outbox, writes
from app.services.account_rules import new_user_email_problem, uk_phone_problem
from app.services.identifiers import free_text_problem
from app.services.outbox import OutboxEntry
from app.services.record_types import USER
from app.services.rules import (
    ACHIEVEMENT_ENTRY,
    DECLARATION_MANAGEMENT,
    FINANCE_VIEW,
    PRACTICE_ROLES,
    SERVICE_MANAGEMENT,
    SUPERVISOR,
    USER_ADMINISTRATOR,
    VIEW,
)

KIND = USER  # the outbox kind of every user-admin write is the feed type it changes

ROLE_DESCRIPTIONS = {
    USER_ADMINISTRATOR: "Adds the practice's users, gives and removes their roles, disables them.",
    FINANCE_VIEW: "Sees payment amounts in pounds as well as points.",
    VIEW: "Sees achievement and points, but no payment amounts.",
    ACHIEVEMENT_ENTRY: "Enters and sends the practice's manual achievement data.",
    SERVICE_MANAGEMENT: "Accepts or rejects offers of quality services.",
    DECLARATION_MANAGEMENT: "Declares achievement so that the practice is paid.",
    SUPERVISOR: "Sees everything the practice does in CQRS, without changing it.",
}
ROLE_WARNINGS = {
    FINANCE_VIEW: "Finance View shows the practice's payments in pounds. Give it only to people whose job "
                  "is the practice's money.",
    USER_ADMINISTRATOR: "A User Administrator can add people and give any role, including this one. Give it "
                        "only to someone trusted to manage the practice's access.",
}
JOB_HINT = "Give only what this person's job needs."
PENDING_NOTE = "waiting for a second administrator"
LAST_ADMIN = ("{name} is the only active User Administrator of {practice}. Give the role to someone else "
              "first: a practice must always have one.")
NOT_ONESELF = ("You cannot {action} your own access. Ask another User Administrator of the practice, or the "
               "commissioner's Advanced User Administrator.")
FIELDS = ("email", "confirm_email", "first_name", "last_name", "work_phone", "mobile", "roles")


class UserAdminRefused(ValueError):
    """The app will not queue this change: ``user_message`` says why, ``field`` where it belongs."""

    def __init__(self, user_message: str, field: str | None = None) -> None:
        super().__init__(user_message)
        self.user_message, self.field = user_message, field


@dataclass(frozen=True)
class NewUser:
    email: str
    confirm_email: str
    first_name: str
    last_name: str
    work_phone: str
    mobile: str = ""
    roles: tuple[str, ...] = ()

    def body(self) -> dict[str, Any]:
        """What the service is sent (the email once: the second copy is only checked here)."""
        return {"email": self.email.strip().lower(), "first_name": self.first_name.strip(),
                "last_name": self.last_name.strip(), "work_phone": self.work_phone.strip(),
                "mobile": self.mobile.strip() or None,
                "roles": [role for role in PRACTICE_ROLES if role in self.roles]}

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> NewUser:
        """A form filled in again from a queued (or refused) item."""
        email = str(body.get("email") or "")
        return cls(email, email, str(body.get("first_name") or ""), str(body.get("last_name") or ""),
                   str(body.get("work_phone") or ""), str(body.get("mobile") or ""),
                   tuple(body.get("roles") or ()))


def email_problem(email: str) -> str | None:
    """The email as typed: required, an NHS address of one person."""
    if not email.strip():
        return "Enter the person's NHS email address, such as firstname.lastname@nhs.net."
    return new_user_email_problem(email)


def phone_problem(phone: str, *, required: bool) -> str | None:
    if not phone.strip():
        return "Enter a work phone number, such as 01632 960000." if required else None
    return uk_phone_problem(phone)


def new_user_problems(form: NewUser) -> dict[str, str]:
    """Each field's problem, in plain English (empty when the form can be sent)."""
    problems: dict[str, str] = {}
    if problem := email_problem(form.email):
        problems["email"] = problem
    if form.confirm_email.strip().lower() != form.email.strip().lower():
        problems["confirm_email"] = "The two email addresses are different. Type the same address twice."
    for field, label in (("first_name", "first name"), ("last_name", "last name")):
        if not getattr(form, field).strip():
            problems[field] = f"Enter the person's {label}."
    if problem := phone_problem(form.work_phone, required=True):
        problems["work_phone"] = problem
    if problem := phone_problem(form.mobile, required=False):
        problems["mobile"] = problem
    for field in ("email", "first_name", "last_name", "work_phone", "mobile"):
        if problem := free_text_problem(getattr(form, field)):
            problems.setdefault(field, problem)
    if not form.roles:
        problems["roles"] = "Give the person at least one role. " + JOB_HINT
    elif unknown := [role for role in form.roles if role not in PRACTICE_ROLES]:
        problems["roles"] = f"Not a practice role: {', '.join(unknown)}."
    return problems


def warnings_for(roles: Iterable[str]) -> list[str]:
    """The warnings to show while these roles are ticked (Finance View, User Administrator)."""
    chosen = set(roles)
    return [ROLE_WARNINGS[role] for role in PRACTICE_ROLES if role in chosen and role in ROLE_WARNINGS]


# --- the last User Administrator (checked first here, from the cached users; the service checks too) ----

def holds_admin(record: Mapping[str, Any]) -> bool:
    """An active User Administrator of the practice (a pending, self-given role does not count)."""
    return USER_ADMINISTRATOR in (record.get("roles") or ()) and _active(record)


def _active(record: Mapping[str, Any]) -> bool:
    return bool(record.get("active", True)) and record.get("status") not in ("disabled here",
                                                                            "account disabled")


def is_last_admin(records: Sequence[Mapping[str, Any]], user_id: Any) -> bool:
    """Whether ``user_id`` is the only active User Administrator among ``records`` (one practice's users)."""
    admins = [record for record in records if holds_admin(record)]
    return len(admins) == 1 and str(admins[0].get("id")) == str(user_id)


def last_admin_message(record: Mapping[str, Any], practice_name: str) -> str:
    name = f"{record.get('first_name', '')} {record.get('last_name', '')}".strip() or str(record.get("email"))
    return LAST_ADMIN.format(name=name, practice=practice_name)


# --- the writes ---------------------------------------------------------------------------------------

def _users(ods: str) -> str:
    return f"/practices/{ods}/users"


def _user(ods: str, user_id: Any) -> str:
    return f"{_users(ods)}/{int(user_id)}"


def _role(ods: str, user_id: Any, role: str) -> str:
    if role not in PRACTICE_ROLES:
        raise UserAdminRefused(f"Not a practice role: {role}.", "roles")
    return f"{_user(ods, user_id)}/roles/{quote(role, safe='')}"


def add_user(ods: str, form: NewUser, *, owner: str) -> OutboxEntry:
    """Queue the new user; raises UserAdminRefused (with the field) when a check fails."""
    problems = new_user_problems(form)
    if problems:
        field = next(name for name in FIELDS if name in problems)
        raise UserAdminRefused(problems[field], field)
    return writes.queue(ods, KIND, "POST", _users(ods), form.body(), owner=owner)


def resend_new_user(key: str, form: NewUser, *, owner: str) -> OutboxEntry:
    """Send a refused new user again, corrected (the same outbox item, so nothing is added twice)."""
    problems = new_user_problems(form)
    if problems:
        field = next(name for name in FIELDS if name in problems)
        raise UserAdminRefused(problems[field], field)
    entry = outbox.resubmit(key, owner=owner, body=form.body())
    writes.announce(KIND)
    return entry


def change_roles(ods: str, record: Mapping[str, Any], wanted: Iterable[str], *, owner: str,
                 practice_name: str, others: Sequence[Mapping[str, Any]]) -> list[OutboxEntry]:
    """Queue one grant per role added and one removal per role taken away (``others``: the practice's
    cached users, for the last-administrator check)."""
    wanted_set = set(wanted)
    held = set(record.get("roles") or ()) | set(record.get("pending_roles") or ())
    added = [role for role in PRACTICE_ROLES if role in wanted_set - held]
    removed = [role for role in PRACTICE_ROLES if role in held - wanted_set]
    if not wanted_set:
        raise UserAdminRefused("Leave the person at least one role, or disable them instead.", "roles")
    if USER_ADMINISTRATOR in removed and is_last_admin(others, record.get("id")):
        raise UserAdminRefused(last_admin_message(record, practice_name), "roles")
    user_id = record.get("id")
    queued = [writes.queue(ods, KIND, "POST", f"{_user(ods, user_id)}/roles", {"role": role}, owner=owner)
              for role in added]
    queued += [writes.queue(ods, KIND, "DELETE", _role(ods, user_id, role), owner=owner) for role in removed]
    return queued


def confirm_role(ods: str, record: Mapping[str, Any], role: str, *, owner: str) -> OutboxEntry:
    """Confirm a role someone gave themselves (only a different administrator may)."""
    if role not in (record.get("pending_roles") or ()):
        raise UserAdminRefused(f"There is no {role} role waiting to be confirmed for this person.", "roles")
    if _same(record.get("email"), owner):
        raise UserAdminRefused("You cannot confirm a role you gave yourself. Another User Administrator of "
                               "the practice, or the commissioner's Advanced User Administrator, must.",
                               "roles")
    return writes.queue(ods, KIND, "POST", f"{_role(ods, record.get('id'), role)}/confirm", owner=owner)


def disable(ods: str, record: Mapping[str, Any], *, owner: str, practice_name: str,
            others: Sequence[Mapping[str, Any]]) -> OutboxEntry:
    """Queue turning off the person's access here (users are never deleted)."""
    if _same(record.get("email"), owner):
        raise UserAdminRefused(NOT_ONESELF.format(action="disable"), "status")
    if is_last_admin(others, record.get("id")):
        raise UserAdminRefused(last_admin_message(record, practice_name), "status")
    return writes.queue(ods, KIND, "POST", f"{_user(ods, record.get('id'))}/disable", owner=owner)


def enable(ods: str, record: Mapping[str, Any], *, owner: str) -> OutboxEntry:
    """Queue turning the person's access here back on."""
    if _same(record.get("email"), owner):
        raise UserAdminRefused(NOT_ONESELF.format(action="re-enable"), "status")
    return writes.queue(ods, KIND, "POST", f"{_user(ods, record.get('id'))}/enable", owner=owner)


def resend_activation(ods: str, record: Mapping[str, Any], *, owner: str) -> OutboxEntry:
    """Queue a new activation mail (the new link voids the old one)."""
    if record.get("status") not in ("invited", "activation expired"):
        raise UserAdminRefused("This person has already activated their account: there is no link to "
                               "send again.", "status")
    return writes.queue(ods, KIND, "POST", f"{_user(ods, record.get('id'))}/resend-activation", owner=owner)


def _same(email: Any, owner: str) -> bool:
    return str(email or "").strip().lower() == owner.strip().lower()
