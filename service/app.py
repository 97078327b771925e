"""The application factory. Nothing is opened at import time; the database opens in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from datasets.store import connect
from scoring.methodology import load_methodology
from service import queries
from service.errors import register_error_handlers
from service.routers import firms, meta
from service.settings import Settings

DESCRIPTION = """
How exposed is a Canadian company to U.S. Immigration and Customs Enforcement (ICE) and the wider Department
of Homeland Security? Every score comes with its breakdown, and every dollar traces to a USAspending award
key or a document URL. Errors are `application/problem+json`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Read-only: the server never writes, and several workers can share one file.
        con = connect(settings.db, read_only=True)
        cursor = con.cursor()
        try:
            app.state.snapshot = queries.current_snapshot(cursor)
        finally:
            cursor.close()
        app.state.con = con
        try:
            yield
        finally:
            app.state.con = None
            con.close()

    app = FastAPI(
        title="exposure-screen",
        version="0.1.0",
        summary="ICE and DHS exposure of Canadian firms, contract by contract",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.methodology = load_methodology()
    register_error_handlers(app)
    app.include_router(meta.router)
    app.include_router(firms.router)
    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI contract, generated without opening any database."""
    return create_app(Settings()).openapi()
