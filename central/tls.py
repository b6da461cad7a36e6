"""A local certificate authority and a server certificate for localhost / 127.0.0.1, made once.

``ensure_self_signed(data_dir)`` creates ``<data dir>/tls/ca.pem`` (+ ``ca-key.pem``) and a server
certificate signed by it, then reuses them on later runs (a server certificate is renewed when it is
within 30 days of expiring or the CA changed). Clients trust the CA file, never "verify=False".

The server speaks TLS 1.2 or 1.3 with forward-secret AEAD suites only (``SERVER_CIPHERS``: ECDHE with
AES-GCM or ChaCha20-Poly1305; every TLS 1.3 suite is AEAD): no CBC suite, so no padding-oracle or
Lucky-13 style attack on the record layer.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SERVER_DAYS = 397
RENEW_BEFORE = timedelta(days=30)
SERVER_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL"  # OpenSSL names; the TLS 1.2 suites offered
MINIMUM_TLS = ssl.TLSVersion.TLSv1_2
_CA_KEY_USAGE = x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                              content_commitment=False, key_encipherment=False, data_encipherment=False,
                              key_agreement=False, encipher_only=False, decipher_only=False)


@dataclass(frozen=True)
class TlsFiles:
    ca_path: Path
    cert_path: Path
    key_path: Path


def ensure_self_signed(data_dir: Path) -> TlsFiles:
    folder = Path(data_dir) / "tls"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    ca_key_path = folder / "ca-key.pem"
    if not (files.ca_path.exists() and ca_key_path.exists()):
        _write_ca(files.ca_path, ca_key_path)
    ca_cert = x509.load_pem_x509_certificate(files.ca_path.read_bytes())
    if not _server_cert_usable(files, ca_cert):
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        _write_server(files, ca_cert, ca_key)  # type: ignore[arg-type]
    return files


def server_ssl_context(cert_path: str | Path, key_path: str | Path) -> ssl.SSLContext:
    """The server's TLS settings: TLS 1.2+, AEAD suites only, with this certificate and key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = MINIMUM_TLS
    context.set_ciphers(SERVER_CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    context.load_cert_chain(str(cert_path), str(key_path))
    return context


def _write_ca(cert_path: Path, key_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CQRS Central local CA")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_CA_KEY_USAGE, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(key_path, key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _write_server(files: TlsFiles, ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(files.key_path, key)
    files.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _server_cert_usable(files: TlsFiles, ca_cert: x509.Certificate) -> bool:
    if not (files.cert_path.exists() and files.key_path.exists()):
        return False
    cert = x509.load_pem_x509_certificate(files.cert_path.read_bytes())
    if cert.issuer != ca_cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return cert.not_valid_after_utc - datetime.now(UTC) > RENEW_BEFORE


def _write_private(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)
