"""The practice's own certificate authority, imported from a PEM file the person picks: read here, its
SHA-256 fingerprint shown to compare with what practice IT gives, and only then trusted (CA_FILE).

The certificate the server presents is never used for this: trusting it would trust whoever answered.
Reading the file is disk I/O: call ``read`` on a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 1_000_000  # a CA bundle is a few kilobytes; anything far bigger is not one


class NotACertificateFile(ValueError):
    """The file holds no certificate authority; ``user_message`` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


@dataclass(frozen=True)
class Authority:
    subject: str  # e.g. "CN=Riverside Practice CA"
    sha256: str  # "AB:CD:…", 32 pairs, as most tools print it


@dataclass(frozen=True)
class CaFile:
    path: str
    authorities: tuple[Authority, ...]


def fingerprint(der: bytes) -> str:
    import hashlib

    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def read(path: str | Path) -> CaFile:
    """The certificate authorities in the PEM file at ``path``, or NotACertificateFile saying why not."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    file = Path(path).expanduser().resolve()
    try:
        if file.stat().st_size > MAX_BYTES:
            raise NotACertificateFile("That file is too big to be a certificate file. Choose the .pem or "
                                      ".crt file your practice's IT team gave you.")
        data = file.read_bytes()
    except OSError:
        raise NotACertificateFile("That file could not be read. Choose the .pem or .crt file your "
                                  "practice's IT team gave you.") from None
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise NotACertificateFile("That file does not hold a certificate in the PEM format (text starting "
                                  "\"-----BEGIN CERTIFICATE-----\"). Ask your practice's IT team for it."
                                  ) from None
    authorities = []
    for certificate in certificates:
        try:
            is_ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if is_ca:
            authorities.append(Authority(certificate.subject.rfc4514_string(),
                                         fingerprint(certificate.public_bytes(Encoding.DER))))
    if not authorities:
        raise NotACertificateFile("That file holds a certificate, but not of a certificate authority (it may "
                                  "be the server's own). Ask your practice's IT team for their CA file.")
    return CaFile(str(file), tuple(authorities))
