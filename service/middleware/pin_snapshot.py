"""The snapshot a request is answered from, taken once when it starts: no response mixes two, and a refreshed
snapshot's predecessor closes only when its last request ends. Every response names it in a header."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.live import LiveHolder

SNAPSHOT_HEADER = "X-Exposure-Snapshot"
_SNAPSHOT = SNAPSHOT_HEADER.lower().encode("latin-1")


class PinSnapshotMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        holder: LiveHolder | None = getattr(scope["app"].state, "holder", None)
        live = holder.current if holder is not None else None
        scope.setdefault("state", {})["live"] = live  # read by service.deps
        if live is None:  # before the lifespan opened a snapshot, or after it closed
            await self.app(scope, receive, send)
            return
        snapshot_header = (_SNAPSHOT, live.serving.snapshot_id.encode("latin-1"))

        async def send_with_snapshot(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), snapshot_header]
            await send(message)

        live.acquire()
        try:
            await self.app(scope, receive, send_with_snapshot)
        finally:
            live.release()
