"""The snapshot a request is answered from, taken once when it starts: no response mixes two, and a refreshed
snapshot's predecessor closes only when its last request ends. Every response names it in a header."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from service.live import LiveHolder
from service.middleware.http import HttpMiddleware

SNAPSHOT_HEADER = "X-Exposure-Snapshot"
_SNAPSHOT = SNAPSHOT_HEADER.lower().encode("latin-1")


class PinSnapshotMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
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
