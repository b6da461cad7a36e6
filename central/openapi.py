"""The published OpenAPI document: every operation lists the error answers it can give, each with the
one real error body (:class:`central.errors.ErrorBody`), in place of FastAPI's own 422 shape.

Which errors an operation can give follows from what it is (see :func:`error_statuses`): the network
allow-list (403) and bad input (422) apply to all; a body brings malformed JSON (400) and the size cap
(413); a bearer token brings 401; a path parameter brings 404; a change to a record brings 409, and
one taking ``If-Match`` brings 428; sign-in alone is throttled (429); the operations that check a
password answer 503 with Retry-After when every password check is taken (central.security).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from central.errors import ErrorBody

ERROR_REF = "#/components/schemas/ErrorBody"
WRITE_METHODS = ("post", "put", "patch", "delete")
SIGN_IN = ("/api/v1/auth/token", "/api/v1/auth/refresh")  # 401 for a wrong password or a bad token
THROTTLED = ("/api/v1/auth/token",)
PASSWORD_CHECKED = ("/api/v1/auth/token", "/api/v1/auth/activate")  # argon2: 503 when every check is taken
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")

DESCRIPTIONS = {
    "400": "The request body is not valid JSON, or the link or token in it is not valid.",
    "401": "No access token, or it is invalid or expired; at sign-in, the email or password is not right.",
    "403": "Outside the permitted networks, or without the role this needs.",
    "404": "No such record, or not one you can see.",
    "409": "The record's state does not allow this (e.g. a newer version exists or it is already done).",
    "413": "The request body is larger than allowed.",
    "422": "Some values need correcting: error.fields names each one and says what is allowed.",
    "428": "This change needs an If-Match header with the version being changed.",
    "429": "Too many failed sign-in attempts: wait the Retry-After seconds.",
    "503": "Busy checking other passwords: try again after the Retry-After seconds.",
}


def error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """The error statuses ``method path`` can answer with, from its parameters, body and security."""
    parameters = operation.get("parameters", [])
    statuses = {"403"}
    if parameters or "requestBody" in operation:
        statuses.add("422")
    if method in WRITE_METHODS:
        statuses.add("413")  # the size cap reads every write's body, declared or not
    if "requestBody" in operation:
        statuses.add("400")
    if operation.get("security") or path in SIGN_IN:
        statuses.add("401")
    if any(p.get("in") == "path" for p in parameters):
        statuses.add("404")
    if method in WRITE_METHODS and not path.startswith("/api/v1/auth/"):
        statuses.add("409")
    if any(p.get("in") == "header" and p.get("name", "").lower() == "if-match" for p in parameters):
        statuses.add("428")
    if path in THROTTLED:
        statuses.add("429")
    if path in PASSWORD_CHECKED:
        statuses.add("503")
    return sorted(statuses)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The document for ``app``, made once and kept (FastAPI's own caching contract)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes,
                         description=app.description or None)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_schema.pop("$defs", {}))
    components["ErrorBody"] = error_schema
    for name in _FASTAPI_VALIDATION:
        components.pop(name, None)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "head", "options", *WRITE_METHODS):
                continue
            responses = operation.setdefault("responses", {})
            for status in error_statuses(path, method, operation):
                responses[status] = {"description": DESCRIPTIONS[status],
                                     "content": {"application/json": {"schema": {"$ref": ERROR_REF}}}}
    app.openapi_schema = schema
    return schema


def install_openapi(app: FastAPI) -> None:
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
