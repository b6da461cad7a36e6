"""Activating an account: the person sets their first password with the code from their invitation email.

No Qt: run ``activate`` through the task runner (network work). The service checks the code (single use,
14 days) and the password policy (app.services.account_rules, the same rules the dialog shows as typed).
"""

from __future__ import annotations

from pathlib import Path

from app.services.api_client import ApiClient
from app.services.auth import API_PREFIX


def activate(server_url: str, code: str, password: str, *, ca_file: str | Path | None = None) -> str:
    """Set the password for the account the code was sent to; returns that account's email.

    Raises the api_client errors, whose ``user_message`` says what to do (expired or used link, password
    not meeting the policy, server unreachable)."""
    with ApiClient(server_url.rstrip("/") + API_PREFIX, ca_file=ca_file) as client:
        answer = client.post("/auth/activate", json={"token": code.strip(), "password": password})
    return str((answer or {}).get("email") or "")
