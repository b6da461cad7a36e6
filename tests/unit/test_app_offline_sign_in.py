"""app.services.offline_sign_in: a verifier of the password in the person's own folder (0600, never the
password), the same refusal as the service for a wrong password, at most 14 days since the last online
sign-in, and gone once forgotten."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import paths
from app.services import offline_sign_in
from app.services.auth import SIGN_IN_MESSAGES, SignInRefused
from app.services.profile import PracticeAccess, Profile, load_profile

SERVER, EMAIL, PASSWORD = "https://cqrs.example", "practice.manager@nhs.net", "Surgery-Pass-2026"
ONLINE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PROFILE = Profile(SERVER, EMAIL, "Sarah", "Okafor", (PracticeAccess("Z99001", "Riverside", ("View",)),))


def test_the_right_password_signs_in_offline_with_the_saved_profile(app_data_dir: Path) -> None:
    offline_sign_in.remember(SERVER, EMAIL, PASSWORD, PROFILE, now=ONLINE)
    path = offline_sign_in.verifier_path(SERVER, EMAIL)
    assert path.parent == paths.person_dir(SERVER, EMAIL)
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert PASSWORD.encode() not in path.read_bytes()
    assert b"$argon2id$" in path.read_bytes()
    assert offline_sign_in.verify(SERVER, " Practice.Manager@NHS.net", PASSWORD, now=ONLINE) == PROFILE
    assert load_profile() == PROFILE  # profile.json says who signed in last


def test_a_wrong_password_gets_the_services_own_message(app_data_dir: Path) -> None:
    offline_sign_in.remember(SERVER, EMAIL, PASSWORD, PROFILE, now=ONLINE)
    with pytest.raises(SignInRefused) as refused:
        offline_sign_in.verify(SERVER, EMAIL, "Not-The-Pass-2026", now=ONLINE)
    assert refused.value.user_message == SIGN_IN_MESSAGES["invalid_credentials"]
    assert load_profile() is None


def test_a_verifier_older_than_14_days_is_refused_with_the_reason(app_data_dir: Path) -> None:
    offline_sign_in.remember(SERVER, EMAIL, PASSWORD, PROFILE, now=ONLINE)
    assert offline_sign_in.verify(SERVER, EMAIL, PASSWORD, now=ONLINE + timedelta(days=14)) == PROFILE
    with pytest.raises(SignInRefused) as refused:
        offline_sign_in.verify(SERVER, EMAIL, PASSWORD, now=ONLINE + timedelta(days=14, minutes=1))
    assert "14 days" in refused.value.user_message and "20 Nov 2026" in refused.value.user_message
    with pytest.raises(SignInRefused):  # the PC's clock moved back to before the last online sign-in
        offline_sign_in.verify(SERVER, EMAIL, PASSWORD, now=ONLINE - timedelta(days=3))


def test_nobody_and_another_server_have_no_verifier(app_data_dir: Path) -> None:
    offline_sign_in.remember(SERVER, EMAIL, PASSWORD, PROFILE, now=ONLINE)
    for server, email in ((SERVER, "someone.else@nhs.net"), ("https://other.example", EMAIL)):
        with pytest.raises(SignInRefused) as refused:
            offline_sign_in.verify(server, email, PASSWORD, now=ONLINE)
        assert "cannot check your password" in refused.value.user_message


def test_a_forgotten_verifier_no_longer_signs_in(app_data_dir: Path) -> None:
    offline_sign_in.remember(SERVER, EMAIL, PASSWORD, PROFILE, now=ONLINE)
    assert offline_sign_in.forget(SERVER, EMAIL) is True
    assert not offline_sign_in.verifier_path(SERVER, EMAIL).exists()
    with pytest.raises(SignInRefused):
        offline_sign_in.verify(SERVER, EMAIL, PASSWORD, now=ONLINE)
    assert offline_sign_in.forget(SERVER, EMAIL) is False
