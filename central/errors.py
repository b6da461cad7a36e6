"""Every error leaves the service as JSON ``{"error": {"code", "message", "fields"?}}``.

Bad input never becomes a 500: malformed JSON is 400, a body that does not validate is 422 with a
message per field, and anything unexpected is a 500 whose body says nothing about the cause (the
traceback goes to the server log only).

No error answer repeats an NHS-number-like value: every message, field name, field message and string
beside them passes through ``identifiers.redact`` here, whatever raised it (a service or role named in
the path, an item in ``values.<ITEM>``, an unexpected body key).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.services.identifiers import redact

log = logging.getLogger("central")

CODES = {400: "bad_request", 401: "unauthorised", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 410: "gone", 413: "payload_too_large",
         415: "unsupported_media_type", 422: "invalid", 428: "precondition_required",
         429: "too_many_requests", 500: "internal_error"}


class ErrorDetail(BaseModel):
    code: str = Field(description="A stable code for programs, e.g. invalid_credentials.")
    message: str = Field(description="What went wrong, in plain English for the person using the app.")
    fields: dict[str, str] | None = Field(
        None, description="Only for bad input: what is allowed, per field (e.g. since, values.NUMERATOR).")


class ErrorBody(BaseModel):
    """The body of every error answer; some answers add keys beside it, e.g. the current record."""

    model_config = ConfigDict(extra="allow")
    error: ErrorDetail


class ApiError(Exception):
    """Raise anywhere in a request to answer with this status and error body."""

    def __init__(self, status: int, code: str, message: str, *, fields: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields, self.extra, self.headers = fields, extra or {}, headers


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``{"error": ...}`` body, with every NHS-number-like value taken out of its text."""
    error: dict[str, Any] = {"code": code, "message": redact(message)}
    if fields:
        error["fields"] = _redacted(fields)
    return {"error": error}


def error_response(status: int, code: str, message: str, *, fields: dict[str, str] | None = None,
                   extra: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = error_body(code, message, fields) | _redacted(extra or {})
    return JSONResponse(body, status_code=status, headers=headers)


def _redacted(value: Any) -> Any:
    """``value`` with NHS-number-like values taken out of every string in it, keys included."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            # Two keys that differ only in a removed number keep the first one's message.
            out.setdefault(redact(key) if isinstance(key, str) else key, _redacted(item))
        return out
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value


def invalid(fields: dict[str, str], message: str = "Some values need correcting.") -> ApiError:
    return ApiError(422, "invalid", message, fields=fields)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, fields=exc.fields, extra=exc.extra,
                          headers=exc.headers)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    message = exc.detail if isinstance(exc.detail, str) else "The request could not be completed."
    if status == 404 and message == "Not Found":
        message = "There is nothing at this address."
    return error_response(status, CODES.get(status, "error"), message, headers=getattr(exc, "headers", None))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "malformed_json", "The request body is not valid JSON.")
    fields: dict[str, str] = {}
    for error in errors:
        fields.setdefault(_field_name(error.get("loc", ())), _friendly(error))
    return error_response(422, "invalid", "Some values need correcting.", fields=fields)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("Unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error",
                          "Something went wrong on the server. Please try again later.")


def _field_name(loc: Any) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts) or "body"


_BOUNDS = {"greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt"),
           "less_than_equal": ("no more than", "le"), "less_than": ("less than", "lt")}
_LENGTHS = {"string_too_long": ("at most", "max_length"), "string_too_short": ("at least", "min_length")}


def _friendly(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "This field is required."
    if kind in _BOUNDS and isinstance(ctx.get(_BOUNDS[kind][1]), int):
        words, key = _BOUNDS[kind]
        return f"Must be a whole number {words} {ctx[key]:,}."
    if kind in _LENGTHS and isinstance(ctx.get(_LENGTHS[kind][1]), int):
        words, key = _LENGTHS[kind]
        return f"Must be {words} {ctx[key]:,} characters long."
    if kind.startswith("int") or kind == "strict_int":
        return "Must be a whole number."
    if kind.startswith("date"):
        return "Must be a date written YYYY-MM-DD."
    if kind in ("model_attributes_type", "dict_type"):
        return "Must be a JSON object."
    if kind == "extra_forbidden":
        return "This field is not expected here."
    return str(error.get("msg", "This value is not valid."))
