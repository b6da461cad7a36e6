"""Shared fixtures for the desktop client's tests (imported by tests/unit and tests/ui conftest files).

- ``app_data_dir``: a private temporary data folder for app.paths, reset afterwards.
- ``cache_db``: the local cache opened (and migrated) in that folder.
- ``text_scale``: larger application text (150% unless parametrised) with the app's style sheet.
- ``fresh_hub``: a signal hub with no connections, and background tasks stopped afterwards (UI tests).
- ``memory_keyring`` / ``no_keyring``: an in-memory keyring backend, or keyring's 'fail' backend.
- ``tls_files``: a throwaway CA and a server certificate for 127.0.0.1 / localhost.
- ``https_server``: a real HTTPS server on 127.0.0.1 (random port) with scripted replies.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from app import paths
from app.models import database


@pytest.fixture
def app_data_dir(tmp_path: Path) -> Iterator[Path]:
    folder = paths.configure(tmp_path / "data")
    yield folder
    database.close_cache()
    paths.configure(None)


@pytest.fixture
def cache_db(app_data_dir: Path) -> Iterator[Path]:
    database.open_cache()
    yield paths.cache_db_path()
    database.close_cache()


STYLE_SHEET = Path(__file__).resolve().parents[1] / "resources" / "styles" / "app.qss"


@pytest.fixture
def text_scale(qapp: Any, request: pytest.FixtureRequest) -> Iterator[float]:
    """The application font scaled (150% unless parametrised) and the app's style sheet, as main() does."""
    scale = getattr(request, "param", 1.5)
    font, style = qapp.font(), qapp.styleSheet()
    scaled = qapp.font()
    scaled.setPointSizeF(font.pointSizeF() * scale)
    qapp.setFont(scaled)
    qapp.setStyleSheet(STYLE_SHEET.read_text(encoding="utf-8"))
    yield scaled.pointSizeF()
    qapp.setStyleSheet(style)
    qapp.setFont(font)


@pytest.fixture
def fresh_hub(cache_db: Path, qtbot: Any) -> Iterator[None]:
    """A signal hub with no connections; background tasks delivered and stopped before the cache closes."""
    from app.services import tasks
    from app.signals import reset_hub

    reset_hub()
    yield
    tasks.wait_for_idle()
    tasks.shutdown()
    reset_hub()


class MemoryKeyring(KeyringBackend):
    """A keyring that forgets everything when the test ends."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[fail.Keyring]:
    previous = keyring.get_keyring()
    backend = fail.Keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


# --- TLS -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TlsFiles:
    ca_file: Path
    cert_file: Path
    key_file: Path
    other_ca_file: Path  # a CA that did not sign the server certificate
    wrong_name_cert_file: Path  # signed by the CA, but for "elsewhere.example" only
    wrong_name_key_file: Path


def _make_ca(name: str) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def _make_server_cert(ca_key: Any, ca_cert: Any, names: tuple[str, ...] = ("localhost", "127.0.0.1")
                      ) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([_san(name) for name in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def _san(name: str) -> Any:
    from cryptography import x509

    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    from cryptography.hazmat.primitives import serialization

    folder = tmp_path_factory.mktemp("tls")
    ca_key, ca_cert = _make_ca("CQRS Test CA")
    _other_key, other_cert = _make_ca("Some Other CA")
    key, cert = _make_server_cert(ca_key, ca_cert)
    wrong_key, wrong_cert = _make_server_cert(ca_key, ca_cert, ("elsewhere.example",))
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem",
                     folder / "other.pem", folder / "wrong.pem", folder / "wrong-key.pem")
    files.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.other_ca_file.write_bytes(other_cert.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem, pkcs8 = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
    files.key_file.write_bytes(key.private_bytes(pem, pkcs8, serialization.NoEncryption()))
    files.wrong_name_cert_file.write_bytes(wrong_cert.public_bytes(pem))
    files.wrong_name_key_file.write_bytes(wrong_key.private_bytes(pem, pkcs8, serialization.NoEncryption()))
    return files


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True
    replies: dict[tuple[str, str], Reply]
    seen: list[SeenRequest]

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: ScriptedServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self.server.seen.append(SeenRequest(self.command, self.path, dict(self.headers.items()),
                                            json.loads(raw) if raw else None))
        route = self.path.split("?", 1)[0]
        reply = self.server.replies.get((self.command, route), Reply(404, {"error": {"message": "No route"}}))
        data = reply.body if isinstance(reply.body, bytes) else (
            b"" if reply.body is None else json.dumps(reply.body).encode())
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle


def _serve(cert_file: Path, key_file: Path) -> Iterator[ScriptedServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = ScriptedServer(("127.0.0.1", 0), _Handler)
    server.replies, server.seen = {}, []
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def https_server(tls_files: TlsFiles) -> Iterator[ScriptedServer]:
    """A real HTTPS server on 127.0.0.1. Script it: ``https_server.replies[("GET", "/x")] = Reply(...)``."""
    yield from _serve(tls_files.cert_file, tls_files.key_file)


@pytest.fixture
def https_server_wrong_name(tls_files: TlsFiles) -> Iterator[ScriptedServer]:
    """Like https_server, but its certificate (from the same CA) names another host."""
    yield from _serve(tls_files.wrong_name_cert_file, tls_files.wrong_name_key_file)
