"""Request bodies over max_body_bytes get a 413 problem: refused at once when Content-Length says so, and
otherwise (chunked, or longer than declared) stopped as the bytes stream in, so an oversized body is never
read whole."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import PROBLEM_JSON, ApiError, problem_body
from service.middleware.http import HttpMiddleware


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"request body of more than {limit:,} bytes (sent without a length, or longer than it said)"
        )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyLimitMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        super().__init__(app)
        self.max_body_bytes = max_body_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_body_bytes
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, f"request body of {declared:,} bytes; at most {limit:,}")
            return
        received = 0
        refusal: BodyTooLarge | None = None
        answered = False

        async def counting_receive() -> Message:
            nonlocal received, refusal
            if refusal is not None:
                raise refusal
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refusal = BodyTooLarge(limit)
                    raise refusal
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal answered
            if refusal is not None and not answered:
                return  # whatever the app made of a body cut short, the caller gets the 413 below
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            if answered:
                raise
        if refusal is not None and not answered:
            await self._refuse(scope, receive, send, f"{refusal.detail}; at most {limit:,}")

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, detail: str) -> None:
        # The rest of the body is never read, so the connection cannot carry another request: it closes.
        response = JSONResponse(
            problem_body(413, detail, scope["path"]),
            status_code=413,
            media_type=PROBLEM_JSON,
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
