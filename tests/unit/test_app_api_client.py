"""app.services.api_client against a real HTTPS server on 127.0.0.1 with a throwaway CA."""

import socket
import ssl

import pytest
import truststore
from app_fixtures import Reply

from app import version
from app.services import api_client
from app.services.api_client import (
    ApiClient,
    ApiError,
    CertificateNotTrusted,
    Conflict,
    Forbidden,
    NotFound,
    ServerError,
    Unauthorized,
    Unreachable,
    ValidationFailed,
)


@pytest.fixture
def client(https_server, tls_files):
    with ApiClient(https_server.url, ca_file=tls_files.ca_file, token="access-123") as c:
        yield c


def test_verifies_against_the_given_ca_and_sends_the_right_headers(https_server, client) -> None:
    page = {"changes": [], "next": 5, "more": False}
    https_server.replies[("GET", "/api/v1/practices/A81001/changes")] = Reply(200, page)
    assert client.get("/api/v1/practices/A81001/changes", params={"since": 5}) == page
    seen = https_server.seen[-1]
    assert seen.path == "/api/v1/practices/A81001/changes?since=5"
    assert seen.headers["Authorization"] == "Bearer access-123"
    assert seen.headers["User-Agent"] == f"CQRS-Desktop/{version.app_version()}"
    assert version.app_version() == "0.1.0"


def test_write_headers_and_empty_reply(https_server, client) -> None:
    https_server.replies[("PUT", "/api/v1/x")] = Reply(204)
    assert client.put("/api/v1/x", {"a": 1}, if_match="7", idempotency_key="key-1") is None
    seen = https_server.seen[-1]
    assert seen.body == {"a": 1}
    assert seen.headers["If-Match"] == "7" and seen.headers["Idempotency-Key"] == "key-1"


def test_without_the_ca_the_certificate_is_not_trusted(https_server) -> None:
    with ApiClient(https_server.url) as client, pytest.raises(CertificateNotTrusted) as caught:
        client.get("/api/v1/health")
    assert "not trusted" in caught.value.user_message


def test_a_different_ca_is_not_trusted_either(https_server, tls_files) -> None:
    with ApiClient(https_server.url, ca_file=tls_files.other_ca_file) as client, \
            pytest.raises(CertificateNotTrusted):
        client.get("/api/v1/health")


def test_the_certificate_must_name_the_server(https_server_wrong_name, tls_files) -> None:
    with ApiClient(https_server_wrong_name.url, ca_file=tls_files.ca_file) as client, \
            pytest.raises(CertificateNotTrusted):
        client.get("/api/v1/health")  # right CA, wrong host name


def test_missing_ca_file_is_a_plain_error(tmp_path) -> None:
    with pytest.raises(CertificateNotTrusted, match="could not be found"):
        ApiClient("https://127.0.0.1:1", ca_file=tmp_path / "none.pem")


def test_http_is_refused() -> None:
    with pytest.raises(ValueError, match="https://"):
        ApiClient("http://127.0.0.1:8000")


@pytest.mark.parametrize(("status", "error"), [
    (401, Unauthorized), (403, Forbidden), (404, NotFound), (500, ServerError), (503, ServerError),
    (428, ApiError), (429, ServerError),
])
def test_status_codes_map_to_errors(https_server, client, status, error) -> None:
    body = {"error": {"code": "x", "message": "Nope"}}
    https_server.replies[("GET", "/api/v1/thing")] = Reply(status, body)
    with pytest.raises(error) as caught:
        client.get("/api/v1/thing")
    assert caught.value.status == status
    assert caught.value.retryable is (status >= 429)
    assert caught.value.code == "x"
    assert caught.value.user_message


CURRENT = {"id": "me-1", "version": 4, "values": {"SMOK002": 15}}
ERROR = {"code": "version_conflict", "message": "Someone else changed this entry."}


@pytest.mark.parametrize("body", [
    {"error": ERROR, "current": CURRENT},  # central.errors: extra keys beside "error"
    {"error": {**ERROR, "current": CURRENT}},
])
def test_conflict_carries_the_server_copy(https_server, client, body) -> None:
    current = CURRENT
    https_server.replies[("PUT", "/api/v1/manual-entries/me-1")] = Reply(409, body)
    with pytest.raises(Conflict) as caught:
        client.put("/api/v1/manual-entries/me-1", {"values": {}}, if_match="3")
    assert caught.value.current == current
    assert caught.value.code == "version_conflict"
    assert caught.value.user_message == "Someone else changed this entry."


def test_validation_carries_the_field_messages(https_server, client) -> None:
    https_server.replies[("POST", "/api/v1/manual-entries")] = Reply(422, {"error": {
        "code": "invalid", "message": "Some values were not accepted.",
        "fields": {"numerator": "Cannot exceed the denominator", "notes": ["Too long", "Bad character"]}}})
    with pytest.raises(ValidationFailed) as caught:
        client.post("/api/v1/manual-entries", {"numerator": 9})
    assert caught.value.fields == {"numerator": "Cannot exceed the denominator",
                                   "notes": "Too long; Bad character"}
    assert caught.value.user_message == "Some values were not accepted."


def test_garbled_success_body_is_a_server_error(https_server, client) -> None:
    https_server.replies[("GET", "/api/v1/odd")] = Reply(200, b"<html>proxy login</html>")
    with pytest.raises(ServerError):
        client.get("/api/v1/odd")


def test_closed_port_is_unreachable(tls_files) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends
    with ApiClient(f"https://127.0.0.1:{port}", ca_file=tls_files.ca_file, timeout=(2, 2)) as client, \
            pytest.raises(Unreachable) as caught:
        client.get("/api/v1/health")
    assert caught.value.user_message == ("The CQRS server could not be reached. "
                                         "Check the network connection.")
    assert caught.value.retryable


def test_the_os_trust_store_stays_in_use_with_an_extra_ca(tls_files) -> None:
    context = api_client.build_ssl_context(tls_files.ca_file)
    assert isinstance(context, truststore.SSLContext)
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED


def test_fallback_when_truststore_refuses_extra_cas(https_server, tls_files, monkeypatch) -> None:
    def refuse(self, *args, **kwargs):
        raise NotImplementedError

    monkeypatch.setattr(truststore.SSLContext, "load_verify_locations", refuse)
    context = api_client.build_ssl_context(tls_files.ca_file)
    assert not isinstance(context, truststore.SSLContext)
    https_server.replies[("GET", "/api/v1/health")] = Reply(200, {"ok": True})
    with ApiClient(https_server.url, ca_file=tls_files.ca_file) as client:
        assert client.get("/api/v1/health") == {"ok": True}
    with ApiClient(https_server.url, ca_file=tls_files.other_ca_file) as client, \
            pytest.raises(CertificateNotTrusted):
        client.get("/api/v1/health")
