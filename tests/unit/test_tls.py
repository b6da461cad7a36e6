"""The server's TLS settings: TLS 1.2 or newer with AEAD suites only, tried with real handshakes over a
loopback socket against a client that offers one chosen suite."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from central.tls import MINIMUM_TLS, TlsFiles, ensure_self_signed, server_ssl_context

CBC_SUITES = ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-AES128-SHA256")
AEAD_SUITES = ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
               "ECDHE-ECDSA-CHACHA20-POLY1305")


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return ensure_self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_port(tls_files: TlsFiles) -> Iterator[int]:
    """A loopback server that completes (or refuses) one handshake per connection, until closed."""
    context = server_ssl_context(tls_files.cert_path, tls_files.key_path)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            with raw:
                raw.settimeout(5)
                try:
                    with context.wrap_socket(raw, server_side=True) as tls:
                        tls.recv(1)
                except (ssl.SSLError, OSError):
                    pass  # a refused handshake: the client sees it

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    listener.close()


def _handshake(port: int, ca: Path, suite: str | None, version: ssl.TLSVersion) -> tuple[str, str]:
    """(protocol, suite) agreed with a client offering only ``suite`` at exactly ``version``."""
    client = ssl.create_default_context(cafile=str(ca))
    client.minimum_version = client.maximum_version = version
    if suite:
        client.set_ciphers(suite)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            client.wrap_socket(raw, server_hostname="localhost") as tls:
        cipher = tls.cipher()
        assert cipher is not None
        return str(tls.version()), cipher[0]


@pytest.mark.parametrize("suite", CBC_SUITES)
def test_a_client_offering_only_a_cbc_suite_is_refused(tls_port: int, tls_files: TlsFiles,
                                                       suite: str) -> None:
    with pytest.raises(ssl.SSLError):
        _handshake(tls_port, tls_files.ca_path, suite, ssl.TLSVersion.TLSv1_2)


@pytest.mark.parametrize("suite", AEAD_SUITES)
def test_a_client_offering_an_aead_suite_is_accepted(tls_port: int, tls_files: TlsFiles, suite: str) -> None:
    assert _handshake(tls_port, tls_files.ca_path, suite, ssl.TLSVersion.TLSv1_2) == ("TLSv1.2", suite)


def test_tls_1_3_is_accepted(tls_port: int, tls_files: TlsFiles) -> None:
    version, suite = _handshake(tls_port, tls_files.ca_path, None, ssl.TLSVersion.TLSv1_3)
    assert version == "TLSv1.3" and ("GCM" in suite or "CHACHA20" in suite)


def test_only_forward_secret_aead_suites_are_offered(tls_files: TlsFiles) -> None:
    context = server_ssl_context(tls_files.cert_path, tls_files.key_path)
    assert context.minimum_version == MINIMUM_TLS == ssl.TLSVersion.TLSv1_2
    offered = context.get_ciphers()
    assert offered
    for suite in offered:
        assert suite["aead"], suite["name"]
        assert suite["protocol"] == "TLSv1.3" or suite["kea"] == "kx-ecdhe", suite["name"]
