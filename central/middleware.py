"""ASGI middleware that runs before any route: the network allow-list and the request size cap.

Both answer with the usual JSON error body. The allow-list runs first, so a caller outside it learns
nothing else (403 before authentication). The size cap refuses a declared Content-Length over the
limit without buffering any of the body, and stops keeping a streamed body as soon as it passes the
limit. The excess is read and thrown away (up to ``DRAIN_LIMIT``) only so that an ordinary client,
which sends its whole body before reading, gets to see the 413 rather than a broken connection.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central.errors import error_response
from central.security import Network, address_allowed

DRAIN_LIMIT = 64 * 1024 * 1024  # past this an oversized body is not even read to the end


class AllowListMiddleware:
    def __init__(self, app: ASGIApp, networks: Sequence[Network]) -> None:
        self.app, self.networks = app, tuple(networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.networks:
            client = scope.get("client")
            if not address_allowed(client[0] if client else None, self.networks):
                response = error_response(403, "network_not_allowed",
                                          "This service accepts connections only from permitted networks.")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            drain = declared.isdigit() and int(declared) <= DRAIN_LIMIT
            await self._refuse(scope, receive, send, drain=drain)
            return
        chunks: list[Message] = []
        size = 0
        while True:
            message = await receive()
            chunks.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(scope, receive, send, drain=message.get("more_body", False))
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, *, drain: bool) -> None:
        if drain:  # discard (never keep) the rest, so that the client gets to read the answer
            await _discard_body(receive)
        limit = f"{self.max_bytes / (1024 * 1024):g} MB"
        response = error_response(413, "payload_too_large",
                                  f"The request is larger than the {limit} allowed.",
                                  headers={"Connection": "close"})
        await response(scope, receive, send)


async def _discard_body(receive: Receive) -> None:
    discarded = 0
    while discarded <= DRAIN_LIMIT:
        message = await receive()
        if message["type"] != "http.request":
            return
        discarded += len(message.get("body", b""))
        if not message.get("more_body", False):
            return
