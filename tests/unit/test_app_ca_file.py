"""app.services.ca_file: a practice CA file is read for its SHA-256 fingerprints; anything else is refused
with what to do."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from app.services import ca_file


def test_a_ca_file_gives_its_subject_and_fingerprint(tls_files) -> None:
    found = ca_file.read(tls_files.ca_file)
    der = x509.load_pem_x509_certificate(tls_files.ca_file.read_bytes()).public_bytes(Encoding.DER)
    expected = hashlib.sha256(der).hexdigest().upper()
    (authority,) = found.authorities
    assert authority.sha256.replace(":", "") == expected and len(authority.sha256.split(":")) == 32
    assert authority.subject == "CN=CQRS Test CA" and found.path == str(tls_files.ca_file.resolve())


@pytest.mark.parametrize(("content", "words"), [
    (b"not a certificate at all", "PEM format"),
    (None, "could not be read"),
])
def test_other_files_are_refused_with_what_to_do(tmp_path: Path, content: bytes | None, words: str) -> None:
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ca_file.NotACertificateFile) as refused:
        ca_file.read(path)
    assert words in refused.value.user_message


def test_a_servers_own_certificate_is_not_a_ca(tls_files) -> None:
    with pytest.raises(ca_file.NotACertificateFile) as refused:
        ca_file.read(tls_files.cert_file)
    assert "not of a certificate authority" in refused.value.user_message
