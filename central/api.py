"""The central service's web application: ``create_app(settings)``.

Everything is JSON under ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``); ``GET /health`` needs no
sign-in. Requests pass the network allow-list, then the body-size cap, before any route runs.

Authorisation (see central.deps): another practice's data is answered **404 Not Found** — the same
as data that does not exist — so nobody learns which practices or records exist elsewhere; a caller
who can see the practice but lacks the role an action needs gets 403; no or a bad token gets 401.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central.db import make_engine, make_sessionmaker, migrate
from central.errors import install_error_handlers
from central.middleware import AllowListMiddleware, BodySizeLimitMiddleware
from central.openapi import install_openapi
from central.routers import (
    auth,
    declarations,
    extracts,
    manual_entries,
    offers,
    practice_settings,
    practices,
    timetable,
    users,
)
from central.settings import Settings

API_PREFIX = "/api/v1"
VERSION = "1.0"


def create_app(settings: Settings) -> FastAPI:
    """A ready application: the database is migrated to the newest schema before it is returned."""
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(settings.database_url)
    migrate(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(title="CQRS Central", version=VERSION, lifespan=lifespan,
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs", redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    install_error_handlers(app)
    for module in (auth, practices, offers, manual_entries, declarations, users, timetable, extracts,
                   practice_settings):
        app.include_router(module.router, prefix=API_PREFIX)

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:  # on the event loop: never waits for a worker thread
        return {"status": "ok", "version": VERSION}

    install_openapi(app)  # every operation documents its error answers with the real error body

    # Added last = runs first: allow-list, then the size cap, then no-store headers.
    app.add_middleware(NoStoreMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(AllowListMiddleware, networks=settings.networks)
    return app


class NoStoreMiddleware:
    """API answers may hold personal or payment data: no caching, HTTPS only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"cache-control", b"no-store"),
                                      (b"strict-transport-security", b"max-age=31536000"),
                                      (b"x-content-type-options", b"nosniff")]
            await send(message)

        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)
