"""The application factory. Nothing is opened at import time: the snapshot opens in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from datasets.store import connect
from scoring.methodology import load_methodology
from service.errors import PROBLEM_JSON, problem_body, register_error_handlers
from service.routers import firms, meta, screen
from service.screenings import ScreeningStore
from service.settings import Settings
from service.snapshot import load_snapshot

DESCRIPTION = """
How exposed is a Canadian company to U.S. Immigration and Customs Enforcement (ICE) and the wider Department
of Homeland Security? Every score comes with its breakdown, and every dollar traces to a USAspending award
key or a document URL. Every response names the data snapshot it came from (header `X-Exposure-Snapshot`);
errors are `application/problem+json`.
"""
SNAPSHOT_HEADER = "X-Exposure-Snapshot"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Read-only: the server never writes the store, and several workers can share one file.
        con = connect(settings.db, read_only=True)
        app.state.con = con
        app.state.serving = load_snapshot(con, settings.top_contributions)
        app.state.screenings = ScreeningStore(settings.screenings_path)
        try:
            yield
        finally:
            app.state.screenings.close()
            app.state.serving = None
            app.state.con = None
            con.close()

    app = FastAPI(
        title="exposure-screen",
        version="0.2.0",
        summary="ICE and DHS exposure of Canadian firms, contract by contract",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.methodology = load_methodology()
    register_error_handlers(app)

    app.add_middleware(SnapshotMiddleware, max_body_bytes=settings.max_body_bytes)
    app.include_router(meta.router)
    app.include_router(firms.router)
    app.include_router(screen.router)
    return app


class SnapshotMiddleware:
    """Names the snapshot on every response and refuses oversized bodies before they are read.
    Plain ASGI rather than BaseHTTPMiddleware: it adds a header, it should not cost a thread hop."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_body_bytes:
            body = problem_body(
                413, f"request body of {int(length):,} bytes; at most {self.max_body_bytes:,}", scope["path"]
            )
            response = JSONResponse(body, status_code=413, media_type=PROBLEM_JSON)
            await response(scope, receive, send)
            return
        serving = getattr(scope["app"].state, "serving", None) if "app" in scope else None
        snapshot_id = serving.snapshot_id.encode() if serving is not None else None

        async def send_with_snapshot(message: Message) -> None:
            if message["type"] == "http.response.start" and snapshot_id is not None:
                message["headers"] = [*message.get("headers", []), (SNAPSHOT_HEADER.lower().encode(), snapshot_id)]
            await send(message)

        await self.app(scope, receive, send_with_snapshot)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI contract, generated without opening any database."""
    return create_app(Settings()).openapi()
