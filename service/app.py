"""The application factory. Nothing is opened at import time: the snapshot opens in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from scoring.methodology import load_methodology
from service.access import AccessControl
from service.errors import register_error_handlers
from service.live import LiveHolder
from service.middleware.body_limit import BodyLimitMiddleware
from service.middleware.firm_profile import FirmProfileFastPath
from service.middleware.head import HeadAsGetMiddleware
from service.middleware.pin_snapshot import SNAPSHOT_HEADER, PinSnapshotMiddleware
from service.middleware.request_log import RequestLogMiddleware
from service.observability import Metrics, configure_logging
from service.pages.render import STATIC_DIR, STATIC_URL
from service.routers import (
    admin,
    candidates,
    changes,
    docs,
    export_controls,
    federal,
    firms,
    meta,
    pages,
    screen,
    webhooks,
)
from service.settings import Settings, package_version
from service.state import ServiceState

DESCRIPTION = """
How exposed is a Canadian company to U.S. Immigration and Customs Enforcement (ICE) and the wider Department
of Homeland Security? Every score comes with its breakdown, and every dollar traces to a USAspending award
key or a document URL. Every response names the data snapshot it came from (header `X-Exposure-Snapshot`);
errors are `application/problem+json`. Send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.
"""


GZIP_MINIMUM_BYTES = 1024  # smaller answers gain less than compressing them costs


def create_app(settings: Settings | None = None, *, server_process: bool = False) -> FastAPI:
    """The app. `server_process`: this process serves it (uvicorn's factory), so it may tune the process
    itself, freezing each snapshot's objects out of the garbage collector's sight (service.live.settle_heap)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        holder = LiveHolder(settings.db, settings.top_contributions, settle=server_process)
        state = ServiceState(settings.state_path)
        app.state.holder = holder
        app.state.service_state = state
        access = AccessControl(
            state, settings.anonymous_scope_set, settings.anonymous_rate_per_minute, settings.key_cache_seconds
        )
        app.state.access = access
        watcher = asyncio.create_task(holder.watch(settings.refresh_poll_seconds))
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            app.state.access = None
            await asyncio.to_thread(access.close)
            holder.close()
            state.close()
            app.state.holder = None

    app = FastAPI(
        title="exposure-screen",
        version=package_version(),
        summary="ICE and DHS exposure of Canadian firms, contract by contract",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by routers/docs.py from local files
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.methodology = load_methodology()
    app.state.metrics = Metrics()
    register_error_handlers(app)
    # Added innermost first: the request log wraps everything, so every response has its request id.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES)
    # Inside the pin (its profile is the request's snapshot's), outside gzip (its bytes are compressed once).
    app.add_middleware(FirmProfileFastPath, route=firms.profile_route())
    app.add_middleware(PinSnapshotMiddleware)
    app.add_middleware(HeadAsGetMiddleware)
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "HEAD", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "If-None-Match", "X-Request-ID"],
            expose_headers=[SNAPSHOT_HEADER, "X-Request-ID", "ETag", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestLogMiddleware, metrics=app.state.metrics)
    app.include_router(meta.router)
    app.include_router(firms.router)
    app.include_router(screen.router)
    app.include_router(candidates.router)
    app.include_router(changes.router)
    app.include_router(webhooks.router)
    app.include_router(federal.router)
    app.include_router(admin.router)
    app.include_router(pages.router)
    app.include_router(docs.router)
    app.mount(docs.ASSETS_URL, StaticFiles(directory=docs.ASSETS_DIR), name="api-docs-assets")
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(export_controls.router)

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        holder: LiveHolder | None = request.app.state.holder
        serving = holder.current.serving if holder else None
        body = request.app.state.metrics.render(
            serving.snapshot.scored_at if serving else None,
            serving.rows_quarantined if serving else 0,
            holder.switches if holder else 0,
        )
        return Response(body, media_type="text/plain; version=0.0.4")

    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI contract, generated without opening any database."""
    return create_app(Settings()).openapi()


__all__ = ["SNAPSHOT_HEADER", "configure_logging", "create_app", "openapi_document"]
