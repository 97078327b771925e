"""The application factory. Nothing is opened at import time: the snapshot opens in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scoring.methodology import load_methodology
from service.access import AccessControl, bearer_token
from service.errors import PROBLEM_JSON, problem_body, register_error_handlers
from service.live import LiveHolder
from service.observability import REQUEST_ID_HEADER, Metrics, configure_logging
from service.pages.render import STATIC_DIR, STATIC_URL
from service.routers import admin, candidates, docs, federal, firms, meta, pages, screen
from service.settings import Settings
from service.state import ServiceState

DESCRIPTION = """
How exposed is a Canadian company to U.S. Immigration and Customs Enforcement (ICE) and the wider Department
of Homeland Security? Every score comes with its breakdown, and every dollar traces to a USAspending award
key or a document URL. Every response names the data snapshot it came from (header `X-Exposure-Snapshot`);
errors are `application/problem+json`. Send an API key as `Authorization: Bearer <key>`.
"""
SNAPSHOT_HEADER = "X-Exposure-Snapshot"
log = logging.getLogger("exposure.http")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        holder = LiveHolder(settings.db, settings.top_contributions)
        state = ServiceState(settings.state_path)
        app.state.holder = holder
        app.state.service_state = state
        app.state.access = AccessControl(state, settings.anonymous_scope_set)
        watcher = asyncio.create_task(holder.watch(settings.refresh_poll_seconds))
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            holder.close()
            state.close()
            app.state.holder = None

    app = FastAPI(
        title="exposure-screen",
        version="0.3.0",
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
    app.add_middleware(ServiceMiddleware, max_body_bytes=settings.max_body_bytes)
    app.include_router(meta.router)
    app.include_router(firms.router)
    app.include_router(screen.router)
    app.include_router(candidates.router)
    app.include_router(federal.router)
    app.include_router(admin.router)
    app.include_router(pages.router)
    app.include_router(docs.router)
    app.mount(docs.ASSETS_URL, StaticFiles(directory=docs.ASSETS_DIR), name="api-docs-assets")
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")

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

    _document_security(app)
    return app


def _document_security(app: FastAPI) -> None:
    """The contract says how to authenticate and which operations can answer 401, 403 and 429."""
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = plain_openapi()
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "an API key from `exposure keys create`"}
        }
        problem = {"$ref": "#/components/schemas/Problem"}
        for path, operations in schema["paths"].items():
            if not path.startswith("/v1"):
                continue
            for operation in operations.values():
                operation["security"] = [{"bearer": []}, {}]
                for status, description in (
                    ("401", "No API key, or an unknown one"),
                    ("403", "The key lacks the scope this endpoint needs"),
                    ("429", "Rate limit or monthly quota reached; see Retry-After"),
                ):
                    operation["responses"].setdefault(
                        status, {"description": description, "content": {PROBLEM_JSON: {"schema": problem}}}
                    )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


class ServiceMiddleware:
    """One pass around every request, in plain ASGI (no thread hop): a request id; the snapshot taken once
    for the whole request (so no response mixes two) and named in a header; the body size limit; API keys,
    scopes, rate limit and quota; metrics and a JSON log line."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")[:64] or uuid.uuid4().hex
        app_state = scope["app"].state
        holder: LiveHolder | None = getattr(app_state, "holder", None)
        live = holder.current if holder is not None else None
        state = scope.setdefault("state", {})
        state["live"], state["request_id"], state["key_id"] = live, request_id, None
        extra = [(b"x-request-id", request_id.encode())]
        if live is not None:
            extra.append((SNAPSHOT_HEADER.lower().encode(), live.serving.snapshot_id.encode()))
        status_seen = [500]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen[0] = message["status"]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        if live is not None:
            live.acquire()
        try:
            denial = self._refusal(scope, headers, app_state)
            if denial is not None:
                await denial(scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            if live is not None:
                live.release()
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            metrics: Metrics | None = getattr(app_state, "metrics", None)
            if metrics is not None:
                metrics.observe(route, scope["method"], status_seen[0], elapsed)
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status_seen[0],
                    "ms": round(elapsed * 1000, 2),
                    "key_id": state.get("key_id"),
                    "snapshot": live.serving.snapshot_id if live else None,
                },
            )

    def _refusal(self, scope: Scope, headers: dict[bytes, bytes], app_state: Any) -> JSONResponse | None:
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_body_bytes:
            detail = f"request body of {int(length):,} bytes; at most {self.max_body_bytes:,}"
            return JSONResponse(problem_body(413, detail, scope["path"]), status_code=413, media_type=PROBLEM_JSON)
        access: AccessControl | None = getattr(app_state, "access", None)
        if access is None:
            return None
        key, denial = access.check(scope["method"], scope["path"], bearer_token(headers))
        scope["state"]["key_id"] = key.key_id if key else None
        if denial is None:
            return None
        response = JSONResponse(
            problem_body(denial.status, denial.detail, scope["path"]),
            status_code=denial.status,
            media_type=PROBLEM_JSON,
        )
        if denial.retry_after is not None:
            response.headers["Retry-After"] = str(denial.retry_after)
        if denial.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="exposure-screen"'
        return response


def openapi_document() -> dict[str, Any]:
    """The OpenAPI contract, generated without opening any database."""
    return create_app(Settings()).openapi()


__all__ = ["SNAPSHOT_HEADER", "configure_logging", "create_app", "openapi_document"]
