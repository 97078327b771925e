"""Every request gets an id (the caller's X-Request-ID, or a new one) echoed on its response, and on the way
out one JSON log line and its Prometheus observations."""

from __future__ import annotations

import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.middleware.http import HttpMiddleware
from service.observability import REQUEST_ID_HEADER, Metrics

log = logging.getLogger("exposure.http")
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode("latin-1")
MAX_REQUEST_ID = 64


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == _REQUEST_ID:
            return value.decode("latin-1")[:MAX_REQUEST_ID] or uuid.uuid4().hex
    return uuid.uuid4().hex


class RequestLogMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = _request_id(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        id_header = (_REQUEST_ID, request_id.encode("latin-1"))
        status = 500  # what the log says when the app fails before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe(route, scope["method"], status, elapsed)
            if log.isEnabledFor(logging.INFO):
                live = state.get("live")
                # The record is made here rather than by log.info: that also looks up the caller's frame and
                # checks each extra field, a quarter of a firm profile's cost.
                record = logging.LogRecord(log.name, logging.INFO, __file__, 0, "request", None, None)
                record.__dict__.update(
                    request_id=request_id,
                    method=scope["method"],
                    path=scope["path"],
                    route=route,
                    status=status,
                    ms=round(elapsed * 1000, 2),
                    key_id=state.get("key_id"),
                    snapshot=live.serving.snapshot_id if live is not None else None,
                )
                log.handle(record)
