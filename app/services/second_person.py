"""A second person's check of a manual entry, for practices whose CQRS setting requires one.

The second person signs in to CQRS as themselves on this PC and asks CQRS for a check of exactly the
values they were shown; CQRS answers with a single-use check token that the entry is then queued with.
CQRS accepts the entry only with a token for those values made by someone else holding Declaration
Management or Supervisor at the practice. Nothing of the second person is kept: not their tokens, not
their profile. Network I/O: run :func:`confirm_second_person` with ``tasks.run(..., kind="net")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from app.services.profile import DECLARATION_MANAGEMENT, SUPERVISOR

CONFIRMING_ROLES = (DECLARATION_MANAGEMENT, SUPERVISOR)


class SecondPersonRefused(ValueError):
    """The second person could not confirm (wrong password, not allowed, the same person...)."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


@dataclass(frozen=True)
class SecondPersonConfirmation:
    name: str  # who checked, as CQRS knows them
    check: str  # the single-use token sent with the entry as ``second_person_check``


def confirm_second_person(ods: str, email: str, password: str, *, service: str, achievement_date: date,
                          values: Mapping[str, int], notes: str | None, server_url: str | None = None,
                          ca_file: str | None = None,
                          signed_in_email: str | None = None) -> SecondPersonConfirmation:
    """Sign the second person in, have CQRS record their check of these values, sign them out again.

    Raises SecondPersonRefused with a plain-English reason.
    """
    from app import settings, site_settings
    from app.services import site_config
    from app.services.api_client import Forbidden, Unauthorized, ValidationFailed
    from app.services.auth import SIGN_IN_MESSAGES, Auth
    from app.services.profile import load_profile, profile_from_me
    from app.services.secrets import TokenStore

    saved = load_profile()
    server_url = server_url or (saved.server_url if saved else "")
    signed_in_email = signed_in_email or (saved.email if saved else None)
    email = email.strip().lower()
    if not server_url:
        raise SecondPersonRefused("Sign in first: the app does not know which CQRS server to ask.")
    if signed_in_email and email == signed_in_email.strip().lower():
        raise SecondPersonRefused("The second person must be someone other than you.")
    if ca_file is None:
        ca_file = site_settings.load(site_config.current()).get(settings.CA_FILE)  # the site's CA wins
    auth = Auth(server_url, TokenStore(), ca_file=ca_file)
    try:
        try:
            pair = auth.client.post("/auth/token", {"email": email, "password": password})
        except (Unauthorized, Forbidden, ValidationFailed) as error:
            raise SecondPersonRefused(SIGN_IN_MESSAGES.get(error.code or "", error.user_message)) from None
        # Not Auth.sign_in: that would save this person's profile and token as the signed-in user's.
        auth.client.set_token(pair["access_token"])
        profile = profile_from_me(server_url, auth.client.get("/me"))
        access = profile.practice(ods)
        not_allowed = (f"{profile.display_name} does not have the Declaration Management or Supervisor role "
                       "at this practice, so cannot confirm.")
        if access is None or not any(access.has(role) for role in CONFIRMING_ROLES):
            raise SecondPersonRefused(not_allowed)
        body = {"service": service, "achievement_date": achievement_date.isoformat(), "values": dict(values),
                "notes": notes or None}
        try:
            answer = auth.client.post(f"/practices/{ods}/manual-entries/checks", body)
        except Forbidden:
            raise SecondPersonRefused(not_allowed) from None
        except ValidationFailed as error:
            reasons = " ".join(error.fields.values()) or error.user_message
            raise SecondPersonRefused(f"CQRS would not accept these values: {reasons}") from None
        return SecondPersonConfirmation(profile.display_name, str(answer["second_person_check"]))
    finally:
        if auth.client.token:
            auth.sign_out()  # ends their session on CQRS at once
        auth.close()
