"""The application factory. Nothing is opened at import time: the snapshot opens in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response

from datasets.store import connect
from scoring.methodology import load_methodology
from service.errors import problem, register_error_handlers
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

    @app.middleware("http")
    async def snapshot_and_size(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_body_bytes:
            return problem(413, f"request body of {int(length):,} bytes; at most {settings.max_body_bytes:,}", request)
        response = await call_next(request)
        serving = getattr(request.app.state, "serving", None)
        if serving is not None:
            response.headers[SNAPSHOT_HEADER] = serving.snapshot_id
        return response

    app.include_router(meta.router)
    app.include_router(firms.router)
    app.include_router(screen.router)
    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI contract, generated without opening any database."""
    return create_app(Settings()).openapi()
