"""The sign-in form: where the server address comes from on a first start, typing starts in the first
empty field, a busy indicator while signing in, and an untrusted certificate answered by importing the
practice's own CA file after comparing its SHA-256 fingerprint (never the server's certificate)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from PySide6.QtWidgets import QApplication

from app.services import tasks
from app.services.api_client import CertificateNotTrusted
from app.views.sign_in_dialog import CA_SET_BY_SITE, WHERE_THE_ADDRESS_COMES_FROM, SignInDialog

SERVER, EMAIL = "https://cqrs.example.nhs.uk", "practice.manager@nhs.net"


def shown(qtbot, dialog: SignInDialog) -> SignInDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    QApplication.processEvents()
    return dialog


def refuse_untrusted(*_args: str) -> None:
    raise CertificateNotTrusted()


def sha256_of(pem: Path) -> str:
    digest = hashlib.sha256(x509.load_pem_x509_certificate(pem.read_bytes()).public_bytes(Encoding.DER))
    return ":".join(f"{byte:02X}" for byte in digest.digest())


def test_a_first_start_says_where_the_server_address_comes_from(qtbot, fresh_hub) -> None:
    first = shown(qtbot, SignInDialog(lambda *_: None))
    assert first.where.isVisible() and first.where.text() == WHERE_THE_ADDRESS_COMES_FROM
    assert "IT" in WHERE_THE_ADDRESS_COMES_FROM and "site's configuration" in WHERE_THE_ADDRESS_COMES_FROM
    known = shown(qtbot, SignInDialog(lambda *_: None, server_url=SERVER))
    assert not known.where.isVisible()


@pytest.mark.parametrize(("server", "email", "field"), [
    ("", "", "server"), ("", EMAIL, "server"), (SERVER, "", "email"), (SERVER, EMAIL, "password")])
def test_typing_starts_in_the_first_empty_field(qtbot, fresh_hub, server: str, email: str,
                                                field: str) -> None:
    dialog = shown(qtbot, SignInDialog(lambda *_: None, server_url=server, email=email))
    assert dialog.focusWidget() is getattr(dialog, field)


def test_a_busy_indicator_shows_while_signing_in(qtbot, fresh_hub) -> None:
    release = threading.Event()
    dialog = shown(qtbot, SignInDialog(lambda *_: release.wait(10), server_url=SERVER, email=EMAIL))
    dialog.password.setText("Surgery-Pass-2026")
    dialog.submit()
    assert dialog.progress.isVisible() and dialog.error.text() == "Signing in…"
    release.set()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5_000)


def test_an_untrusted_certificate_offers_the_practices_ca_file_with_its_fingerprint(
        qtbot, fresh_hub, tls_files) -> None:
    trusted: list[str] = []
    dialog = shown(qtbot, SignInDialog(refuse_untrusted, server_url=SERVER, email=EMAIL,
                                       use_ca_file=trusted.append))
    assert not dialog.import_ca.isVisible()
    dialog.password.setText("Surgery-Pass-2026")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.import_ca.isVisible(), timeout=5_000)
    assert dialog.import_ca.isEnabled() and "not trusted" in dialog.error.text()

    dialog.check_ca_file(str(tls_files.ca_file))  # as picked in the file dialog
    qtbot.waitUntil(lambda: dialog.ca_confirm is not None and dialog.ca_confirm.isVisible(), timeout=5_000)
    confirm = dialog.ca_confirm
    assert sha256_of(tls_files.ca_file) in confirm.details.text().replace("<br>", "")
    assert "CQRS Test CA" in confirm.details.text()
    assert trusted == []  # nothing is trusted before the person says the fingerprints match
    confirm.accept()
    assert trusted == [str(tls_files.ca_file.resolve())]
    assert not dialog.import_ca.isVisible() and "now trusted" in dialog.error.text()


def test_the_servers_own_certificate_is_not_accepted_as_a_ca_file(qtbot, fresh_hub, tls_files) -> None:
    trusted: list[str] = []
    dialog = shown(qtbot, SignInDialog(refuse_untrusted, server_url=SERVER, email=EMAIL,
                                       use_ca_file=trusted.append))
    dialog.check_ca_file(str(tls_files.cert_file))
    assert tasks.wait_for_idle(5)
    assert dialog.ca_confirm is None and trusted == []
    assert "not of a certificate authority" in dialog.error.text()


def test_a_site_configured_ca_cannot_be_changed_here_and_says_why(qtbot, fresh_hub) -> None:
    dialog = shown(qtbot, SignInDialog(refuse_untrusted, server_url=SERVER, email=EMAIL,
                                       use_ca_file=lambda _path: None, ca_from_site=True))
    dialog.password.setText("Surgery-Pass-2026")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.import_ca.isVisible(), timeout=5_000)
    assert not dialog.import_ca.isEnabled()
    assert dialog.ca_reason.isVisible() and dialog.ca_reason.text() == CA_SET_BY_SITE
