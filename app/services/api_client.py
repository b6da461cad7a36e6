"""HTTPS client of the central service: verified certificates, timeouts, plain-English errors.

Certificates are checked against the operating system's trust store (truststore) plus, optionally, a
CA bundle file (the demo pins its own CA, some NHS sites run a private CA). Verification is never
switched off. Every call has a timeout. Every failure becomes one of the ApiError subclasses below,
whose ``user_message`` can be shown to a practice manager as it is.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import truststore
from requests.adapters import HTTPAdapter

from app.version import user_agent

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds


# --- Errors --------------------------------------------------------------------------------------

class ApiError(Exception):
    """Base of every client error. ``user_message`` is plain English; ``retryable`` says try later."""

    retryable = False
    default_message = "The CQRS server could not complete the request."

    def __init__(self, user_message: str | None = None, *, status: int | None = None,
                 code: str | None = None) -> None:
        self.user_message = user_message or self.default_message
        self.status = status
        self.code = code  # the server's machine-readable error code, if it sent one
        super().__init__(self.user_message)


class Unreachable(ApiError):
    retryable = True
    default_message = "The CQRS server could not be reached. Check the network connection."


class CertificateNotTrusted(ApiError):
    default_message = ("The CQRS server's certificate is not trusted, so the connection was stopped. "
                       "Ask your IT team to check the server address and the trusted certificate setting.")


class Unauthorized(ApiError):
    default_message = "Your sign-in has expired or was not accepted. Please sign in again."


class Forbidden(ApiError):
    default_message = "Your account does not have permission to do this for this practice."


class NotFound(ApiError):
    default_message = "The CQRS server could not find this record. It may have been removed."


class Conflict(ApiError):
    """409: someone changed the record first. ``current`` is the server's copy, to show both versions."""

    default_message = "Someone else changed this record first. Both versions have been kept."

    def __init__(self, user_message: str | None = None, *, current: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(user_message, **kwargs)
        self.current = current


class ValidationFailed(ApiError):
    """422: the server refused the values. ``fields`` maps a field name to its message."""

    default_message = "The CQRS server did not accept these values."

    def __init__(self, user_message: str | None = None, *, fields: dict[str, str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(user_message, **kwargs)
        self.fields = fields or {}


class ServerError(ApiError):
    retryable = True
    default_message = "The CQRS server had a problem. The app will try again shortly."


# --- TLS -----------------------------------------------------------------------------------------

def build_ssl_context(ca_file: str | Path | None = None) -> ssl.SSLContext:
    """The OS trust store plus, if given, the CAs in ``ca_file`` (PEM). Hostname checks stay on.

    truststore's SSLContext accepts load_verify_locations on every platform (its extra CAs are trusted
    alongside the system store); if a truststore version refuses, fall back to OpenSSL's defaults + file.
    """
    context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_file is not None:
        ca_path = Path(ca_file).expanduser()
        if not ca_path.is_file():
            raise CertificateNotTrusted(f"The trusted certificate file {ca_path} could not be found.")
        try:
            context.load_verify_locations(cafile=str(ca_path))
        except (AttributeError, NotImplementedError):
            context = ssl.create_default_context(cafile=str(ca_path))
            context.load_default_certs()
        except ssl.SSLError as error:
            raise CertificateNotTrusted(
                f"The trusted certificate file {ca_path} could not be read ({error.reason}).") from error
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class _ContextAdapter(HTTPAdapter):
    """Makes urllib3 use our SSLContext for every connection (and never requests' certifi bundle)."""

    def __init__(self, context: ssl.SSLContext, **kwargs: Any) -> None:
        self._context = context
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["ssl_context"] = self._context
        return super().proxy_manager_for(*args, **kwargs)

    def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> Any:
        # requests would hand REQUESTS_CA_BUNDLE (or verify=path) down to urllib3, which loads that file
        # into our shared context: trust must come from the context alone.
        return super().build_connection_pool_key_attributes(request, True, cert)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # requests would point the connection at certifi here; our context already holds the trust.
        conn.cert_reqs = "CERT_REQUIRED"


# --- Client --------------------------------------------------------------------------------------

class ApiClient:
    """One requests Session per server. Safe to share between threads for independent calls."""

    def __init__(self, base_url: str, *, ca_file: str | Path | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, token: str | None = None) -> None:
        if not base_url.startswith("https://"):
            raise ValueError("The server address must start with https://")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.token = token
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": user_agent(), "Accept": "application/json"})
        self.session.mount("https://", _ContextAdapter(build_ssl_context(ca_file)))
        self.session.mount("http://", _RefuseAdapter())

    def set_token(self, token: str | None) -> None:
        """The bearer access token sent from now on (None: send none)."""
        self.token = token

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, json: Any = None, *, idempotency_key: str | None = None) -> Any:
        return self.request("POST", path, json=json, idempotency_key=idempotency_key)

    def put(self, path: str, json: Any = None, *, if_match: str | None = None,
            idempotency_key: str | None = None) -> Any:
        return self.request("PUT", path, json=json, if_match=if_match, idempotency_key=idempotency_key)

    def delete(self, path: str, *, if_match: str | None = None, idempotency_key: str | None = None) -> Any:
        return self.request("DELETE", path, if_match=if_match, idempotency_key=idempotency_key)

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
                if_match: str | None = None, idempotency_key: str | None = None) -> Any:
        """Send one request; return the parsed JSON body (None when empty) or raise an ApiError."""
        headers: dict[str, str] = {}
        if if_match is not None:
            headers["If-Match"] = str(if_match)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return _parse(self._send(method, path, params, json, headers))

    def get_if_changed(self, path: str, params: dict[str, Any] | None = None,
                       etag: str | None = None) -> Answer:
        """A conditional GET: with ``etag`` (from an earlier answer) the server may say 304, nothing new."""
        response = self._send("GET", path, params, None, {"If-None-Match": etag} if etag else {})
        if response.status_code == 304:
            return Answer(None, response.headers.get("ETag") or etag, not_modified=True)
        return Answer(_parse(response), response.headers.get("ETag"), not_modified=False)

    def _send(self, method: str, path: str, params: dict[str, Any] | None, json: Any,
              headers: dict[str, str]) -> requests.Response:
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        url = f"{self.base_url}/{path.lstrip('/')}"
        try:
            response = self.session.request(method, url, params=params, json=json, headers=headers,
                                            timeout=self.timeout)
        except requests.exceptions.SSLError as error:
            raise _classify_ssl(error) from error
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
            log.info("%s %s: unreachable (%s)", method, path, type(error).__name__)
            raise Unreachable() from error
        except requests.exceptions.RequestException as error:
            problem = f"The request to the CQRS server could not be sent ({type(error).__name__})."
            raise Unreachable(problem) from error
        log.debug("%s %s -> %s", method, path, response.status_code)
        return response


@dataclass(frozen=True)
class Answer:
    """A conditional GET's outcome: the body (None on 304), the answer's ETag, and whether it was 304."""

    body: Any
    etag: str | None
    not_modified: bool


class _RefuseAdapter(HTTPAdapter):
    """Plain http:// (e.g. a redirect to it) is refused: tokens only ever travel over TLS."""

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        raise CertificateNotTrusted("The CQRS server tried to use an unencrypted (http://) connection.")


def _classify_ssl(error: requests.exceptions.SSLError) -> ApiError:
    text = str(error)
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            break
        cause = cause.__cause__ or cause.__context__
    if cause is not None or "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        log.warning("Server certificate not trusted: %s", text)
        return CertificateNotTrusted()
    log.warning("TLS failure: %s", text)
    return Unreachable("A secure connection to the CQRS server could not be set up.")


def _error_body(response: requests.Response) -> dict[str, Any]:
    """The ``error`` object of ``{"error": {"code", "message", "fields"}}``, or {} if there is none."""
    try:
        body = response.json()
    except ValueError:
        return {}
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return {**error, "_body": body}
        return {"_body": body}
    return {}


def _fields(raw: Any) -> dict[str, str]:
    """Per-field messages, given as {"field": "message"} or [{"field": ..., "message": ...}]."""
    if isinstance(raw, dict):
        return {str(k): "; ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in raw.items()}
    if isinstance(raw, list):
        items = [item for item in raw if isinstance(item, dict)]
        return {str(item.get("field", "")): str(item.get("message", "")) for item in items}
    return {}


def _parse(response: requests.Response) -> Any:
    status = response.status_code
    if status < 300:
        if status == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as error:
            unreadable = "The CQRS server sent a reply the app could not read."
            raise ServerError(unreadable, status=status) from error
    error = _error_body(response)
    message = error.get("message") if isinstance(error.get("message"), str) else None
    common: dict[str, Any] = {"status": status, "code": error.get("code")}
    if status == 401:
        raise Unauthorized(message, **common)
    if status == 403:
        raise Forbidden(message, **common)
    if status == 404:
        raise NotFound(message, **common)
    if status in (409, 412):
        # The server's current record: error.current, or a top-level "current".
        current = error.get("current", error.get("_body", {}).get("current"))
        raise Conflict(message, current=current if isinstance(current, dict) else None, **common)
    if status in (400, 422):
        raise ValidationFailed(message, fields=_fields(error.get("fields")), **common)
    if status == 429 or status >= 500:
        raise ServerError(message if status < 500 else None, **common)
    raise ApiError(message, **common)
