"""The service as a whole: TLS, health, error shape for bad input, allow-list, schema, stopping."""

from __future__ import annotations

import socket
import ssl
import time

import pytest
import requests
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from central import start_in_thread
from central.errors import ErrorBody
from central.models import Base
from central.server import RunningServer

from .conftest import Api

ERROR_BODY = "#/components/schemas/ErrorBody"


def test_health_needs_no_sign_in_and_is_served_over_verified_tls(api: Api) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["cache-control"] == "no-store"


def test_certificate_is_refused_without_the_local_ca(server: RunningServer) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.base_url + "/health", verify=True, timeout=5)


def test_openapi_document_is_published_under_api_v1(api: Api) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert "/api/v1/practices/{ods}/changes" in paths
    assert "/api/v1/auth/token" in paths


def test_openapi_documents_every_error_answer_with_the_real_error_body(api: Api) -> None:
    document = api.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["ErrorBody"]["required"] == ["error"]
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message"}
    operations = [(path, method, operation) for path, item in document["paths"].items()
                  for method, operation in item.items()]
    assert len(operations) > 20
    for path, method, operation in operations:
        errors = {status: answer for status, answer in operation["responses"].items() if status >= "400"}
        assert "403" in errors, (method, path)  # the network allow-list applies everywhere
        for status, answer in errors.items():
            assert answer["content"]["application/json"]["schema"] == {"$ref": ERROR_BODY}
            assert answer["description"], (method, path, status)
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in errors, (method, path)
        if operation.get("security"):
            assert "401" in errors, (method, path)
        if "{" in path:
            assert "404" in errors, (method, path)
        if method in ("post", "put", "delete"):
            assert "413" in errors, (method, path)
    by_route = {(path, method): operation for path, method, operation in operations}
    assert {"400", "401", "422", "429"} <= set(by_route["/api/v1/auth/token", "post"]["responses"])
    amend = by_route["/api/v1/practices/{ods}/manual-entries/{entry_id}", "put"]
    assert {"409", "428"} <= set(amend["responses"])


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("POST", "/auth/token", {"email": 12}, 422),
    ("POST", "/auth/token", {"email": "nobody.here.at.all@nhs.net", "password": "Wrong-pass-1"}, 401),
    ("GET", "/me", None, 401),
    ("GET", "/no/such/thing", None, 404),
])
def test_real_error_answers_match_the_documented_body(api: Api, method: str, path: str, body: object,
                                                      status: int) -> None:
    response = api.call(method, path, json=body)
    assert response.status_code == status
    parsed = ErrorBody.model_validate(response.json())
    assert parsed.error.code and parsed.error.message
    assert (parsed.error.fields is not None) == (status == 422)


@pytest.mark.parametrize("suite", ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES128-SHA256"])
def test_the_server_refuses_cbc_suites(server: RunningServer, suite: str) -> None:
    with pytest.raises(ssl.SSLError):
        _handshake(server, suite)


def test_the_server_accepts_aead_suites_over_tls_1_2(server: RunningServer) -> None:
    assert _handshake(server, "ECDHE-ECDSA-AES128-GCM-SHA256") == ("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256")
    assert _handshake(server, "ECDHE-ECDSA-CHACHA20-POLY1305")[1] == "ECDHE-ECDSA-CHACHA20-POLY1305"


def _handshake(server: RunningServer, suite: str) -> tuple[str, str]:
    client = ssl.create_default_context(cafile=str(server.ca_path))
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    client.set_ciphers(suite)
    host, port = server.base_url.removeprefix("https://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as raw, \
            client.wrap_socket(raw, server_hostname=host) as tls:
        cipher = tls.cipher()
        assert cipher is not None
        return str(tls.version()), cipher[0]


def test_unknown_route_is_json_404(api: Api) -> None:
    response = api.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_method_is_json_405(api: Api) -> None:
    response = api.call("DELETE", "/auth/token")
    assert response.status_code == 405
    assert set(response.json()["error"]) >= {"code", "message"}


def test_malformed_json_is_400_with_error_body(api: Api) -> None:
    response = api.post("/auth/token", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "malformed_json", "message": "The request body is not valid JSON."}}


def test_body_of_wrong_shape_is_422_with_a_message_per_field(api: Api) -> None:
    response = api.post("/auth/token", json={"email": 12})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"email", "password"}
    assert fields["password"] == "This field is required."
    not_an_object = api.post("/auth/token", json=[1, 2])
    assert not_an_object.json()["error"]["fields"] == {"body": "Must be a JSON object."}


@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_body_is_413_not_500(api: Api, chunked: bool) -> None:
    six_mb = b"x" * (6 * 1024 * 1024)
    body = iter([six_mb[:3_000_000], six_mb[3_000_000:]]) if chunked else six_mb
    response = api.post("/auth/token", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_schema_after_migrations_matches_the_models(server: RunningServer) -> None:
    with server.app.state.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        if connection.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_audit_log_is_append_only(server: RunningServer, api: Api) -> None:
    api.post("/auth/token", json={"email": "nobody@nhs.net", "password": "Wrong-pass-1"})
    engine = server.app.state.engine
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_log")).scalar() > 0
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        # One connection each: PostgreSQL ends a transaction at its first refused statement.
        with engine.connect() as connection, pytest.raises(DatabaseError, match="append-only"):
            connection.execute(text(statement))


def test_allow_list_refuses_other_networks_before_authentication(tmp_path) -> None:
    running = start_in_thread(tmp_path, allow_networks=["10.0.0.0/8"])
    try:
        for path in ("/health", "/api/v1/me", "/api/v1/practices/Z91001"):
            response = requests.get(running.base_url + path, verify=str(running.ca_path), timeout=5)
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "network_not_allowed"
    finally:
        running.stop()


def test_allow_list_admits_listed_networks_and_the_server_stops_within_two_seconds(tmp_path) -> None:
    running = start_in_thread(tmp_path, allow_networks=["127.0.0.0/8"])
    keep_alive = requests.Session()  # an open TLS keep-alive connection must not hold up the stop
    assert keep_alive.get(running.base_url + "/health", verify=str(running.ca_path), timeout=5).ok
    started = time.monotonic()
    running.stop()
    assert time.monotonic() - started < 2.0
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(running.base_url + "/health", verify=str(running.ca_path), timeout=2)


def test_restart_reuses_the_certificate_authority_and_database(tmp_path) -> None:
    first = start_in_thread(tmp_path)
    ca = first.ca_path.read_bytes()
    first.stop()
    second = start_in_thread(tmp_path)
    try:
        assert second.ca_path.read_bytes() == ca
        assert requests.get(second.base_url + "/health", verify=str(second.ca_path), timeout=5).ok
        assert (tmp_path / "tls" / "server-key.pem").stat().st_mode & 0o777 == 0o600
        assert (tmp_path / "central.db").stat().st_mode & 0o777 == 0o600
    finally:
        second.stop()


def test_unexpected_errors_are_a_plain_500_without_details(tmp_path) -> None:
    def explode() -> None:
        raise RuntimeError("secret internal detail")

    own = start_in_thread(tmp_path)  # its own server: the session's shared app keeps exactly its routes
    try:
        own.app.add_api_route("/api/v1/test-explode", explode)
        response = Api(own).get("/test-explode")
    finally:
        own.stop()
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "secret" not in response.text and "Traceback" not in response.text
