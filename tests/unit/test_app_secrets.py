"""app.services.secrets: refresh tokens in the OS keyring, or for this session only."""

import logging

import keyring
import pytest
from keyring.errors import KeyringLocked

from app.services.secrets import SERVICE_NAME, TokenStore, account_key, backend_is_usable

SERVER = "https://cqrs.example.nhs.uk/"
EMAIL = "Practice.Manager@nhs.net"
TOKEN = "rt_0123456789abcdef"


def test_token_goes_to_the_keyring(memory_keyring, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = TokenStore()
    assert store.persistent
    assert store.save(SERVER, EMAIL, TOKEN) is True
    key = account_key(SERVER, EMAIL)
    assert key == "https://cqrs.example.nhs.uk practice.manager@nhs.net"
    assert memory_keyring.passwords == {(SERVICE_NAME, key): TOKEN}
    assert TokenStore().load("https://cqrs.example.nhs.uk", "practice.manager@nhs.net") == TOKEN  # a restart
    assert TOKEN not in caplog.text


def test_sign_out_deletes_it(memory_keyring) -> None:
    store = TokenStore()
    store.save(SERVER, EMAIL, TOKEN)
    store.delete(SERVER, EMAIL)
    store.delete(SERVER, EMAIL)  # twice is fine
    assert memory_keyring.passwords == {}
    assert store.load(SERVER, EMAIL) is None


def test_no_backend_keeps_it_for_the_session(no_keyring, caplog: pytest.LogCaptureFixture) -> None:
    store = TokenStore()
    assert not store.persistent
    assert store.save(SERVER, EMAIL, TOKEN) is False
    assert store.load(SERVER, EMAIL) == TOKEN
    assert TokenStore().load(SERVER, EMAIL) is None  # gone after a "restart"
    store.delete(SERVER, EMAIL)
    assert store.load(SERVER, EMAIL) is None
    assert "session only" in caplog.text and TOKEN not in caplog.text


def test_a_failing_keyring_falls_back(memory_keyring, monkeypatch: pytest.MonkeyPatch,
                                      caplog: pytest.LogCaptureFixture) -> None:
    def locked(*args: object) -> None:
        raise KeyringLocked("collection is locked")

    monkeypatch.setattr(memory_keyring, "set_password", locked)
    store = TokenStore()
    assert store.persistent
    assert store.save(SERVER, EMAIL, TOKEN) is False
    assert not store.persistent
    assert store.load(SERVER, EMAIL) == TOKEN
    assert TOKEN not in caplog.text


def test_plain_file_backends_are_not_trusted(memory_keyring) -> None:
    plaintext = type("PlaintextKeyring", (type(memory_keyring),), {"__module__": "keyrings.alt.file"})()
    assert not backend_is_usable(plaintext)
    assert backend_is_usable(keyring.get_keyring())
